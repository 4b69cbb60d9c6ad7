/** Inference latency of the LSTM head at the RoboVLMs CALVIN size and a small size. Run: `npm run bench`. */
import { runBench } from "@robovla/tfjs/bench"
import { Schema } from "effect"
import { Config, make } from "../src/index.ts"

const reference = Schema.decodeUnknownSync(Config)({})
const small = Schema.decodeUnknownSync(Config)({ hidden_size: 64, mlp_widths: [128, 64] })
await runBench("head-lstm", [
  { label: "CALVIN (H 1024, 4 layers)", make, config: reference, dimensions: { inputSize: 2048, latent: 1, windowSize: 8, chunkSize: 10 }, batch: 1, runs: 5 },
  { label: "CALVIN, batch 8", make, config: reference, dimensions: { inputSize: 2048, latent: 1, windowSize: 8, chunkSize: 10 }, batch: 8, runs: 3 },
  { label: "small (H 64)", make, config: small, dimensions: { inputSize: 128, latent: 1, windowSize: 8, chunkSize: 10 }, batch: 1, runs: 20 }
])
