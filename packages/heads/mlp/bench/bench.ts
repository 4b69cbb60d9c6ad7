/** Inference latency of the MLP head at the RoboVLMs CALVIN size and a small size. Run: `npm run bench`. */
import { Schema } from "effect"
import { runBench } from "@robovla/tfjs/bench"
import { Config, make } from "../src/index.ts"

const reference = Schema.decodeUnknownSync(Config)({})
const small = Schema.decodeUnknownSync(Config)({ hidden_size: 64, mlp_widths: [128, 64] })
await runBench("head-mlp", [
  { label: "CALVIN (H 1024, widths 1024/512/256)", make, config: reference, dimensions: { inputSize: 2048, latent: 1, windowSize: 8, chunkSize: 10 }, batch: 1, runs: 10 },
  { label: "CALVIN, batch 8", make, config: reference, dimensions: { inputSize: 2048, latent: 1, windowSize: 8, chunkSize: 10 }, batch: 8, runs: 5 },
  { label: "small (H 64)", make, config: small, dimensions: { inputSize: 128, latent: 1, windowSize: 8, chunkSize: 10 }, batch: 1, runs: 20 }
])
