/** One Adam training step of the LSTM head (`npm run bench`, second half). */
import { benchTrainStep } from "@robovla/tfjs/testing"
import { Schema } from "effect"
import { describe } from "vitest"
import { Config, make } from "../src/index.ts"

const calvin = { inputSize: 2048, latent: 1, windowSize: 8, chunkSize: 10 }
describe("head-lstm: Adam step", () => {
  benchTrainStep({ label: "CALVIN size (41 M), B 2 × W 8", make, config: Schema.decodeUnknownSync(Config)({}), dimensions: calvin, batch: 2, iterations: 3 })
  benchTrainStep({
    label: "small (H 64, D 128), B 8 × W 8",
    make,
    config: Schema.decodeUnknownSync(Config)({ hidden_size: 64, mlp_widths: [128, 64] }),
    dimensions: { ...calvin, inputSize: 128 },
    batch: 8,
    iterations: 10
  })
})
