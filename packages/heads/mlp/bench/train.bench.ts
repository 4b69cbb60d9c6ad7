/** One Adam training step of the MLP head (`npm run bench`, second half). */
import { Schema } from "effect"
import { describe } from "vitest"
import { benchTrainStep } from "@robovla/tfjs/testing"
import { Config, make } from "../src/index.ts"

const calvin = { inputSize: 2048, latent: 1, windowSize: 8, chunkSize: 10 }
describe("head-mlp: Adam step", () => {
  benchTrainStep({ label: "CALVIN size, B 8 × W 8", make, config: Schema.decodeUnknownSync(Config)({}), dimensions: calvin, batch: 8, iterations: 5 })
  benchTrainStep({
    label: "small (H 64, D 128), B 8 × W 8",
    make,
    config: Schema.decodeUnknownSync(Config)({ hidden_size: 64, mlp_widths: [128, 64] }),
    dimensions: { ...calvin, inputSize: 128 },
    batch: 8,
    iterations: 20
  })
})
