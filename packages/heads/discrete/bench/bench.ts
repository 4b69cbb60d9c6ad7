/** Inference latency of the discrete head (256 bins) at the RoboVLMs CALVIN size and a small size. Run: `npm run bench`. */
import { runBench } from "@robovla/tfjs/bench"
import { Schema } from "effect"
import { Config, make } from "../src/index.ts"

const reference = Schema.decodeUnknownSync(Config)({})
await runBench("head-discrete", [
  { label: "CALVIN (256 bins)", make, config: reference, dimensions: { inputSize: 2048, latent: 1, windowSize: 8, chunkSize: 10 }, batch: 1, runs: 5 },
  { label: "CALVIN, batch 8", make, config: reference, dimensions: { inputSize: 2048, latent: 1, windowSize: 8, chunkSize: 10 }, batch: 8, runs: 3 },
  { label: "one-step (N 1, W 1)", make, config: reference, dimensions: { inputSize: 2048, latent: 1, windowSize: 1, chunkSize: 1 }, batch: 1, runs: 20 }
])
