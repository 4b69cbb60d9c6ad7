/** One Adam training step of the GPT head (`npm run bench`, second half). */
import { benchTrainStep } from "@robovla/tfjs/testing"
import { Schema } from "effect"
import { describe } from "vitest"
import { Config, make } from "../src/index.ts"

const calvin = { inputSize: 2048, latent: 1, windowSize: 8, chunkSize: 10 }
describe("head-gpt: Adam step", () => {
  benchTrainStep({
    label: "H 256, 8 layers, 8 heads, D 2048, B 8 × W 8",
    make,
    config: Schema.decodeUnknownSync(Config)({ hidden_size: 256, mlp_widths: [256, 128] }),
    dimensions: calvin,
    batch: 8,
    iterations: 3
  })
  benchTrainStep({
    label: "small (H 64, 2 layers, D 128), B 8 × W 8",
    make,
    config: Schema.decodeUnknownSync(Config)({ hidden_size: 64, n_layer: 2, n_head: 4, mlp_widths: [128, 64] }),
    dimensions: { ...calvin, inputSize: 128 },
    batch: 8,
    iterations: 10
  })
})
