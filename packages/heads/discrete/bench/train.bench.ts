/** One Adam training step of the discrete head (`npm run bench`, second half). */
import { benchTrainStep } from "@robovla/tfjs/testing"
import { Schema } from "effect"
import { describe } from "vitest"
import { Config, make } from "../src/index.ts"

describe("head-discrete: Adam step", () => {
  benchTrainStep({
    label: "CALVIN size (36.7 M), B 2 × W 8, N 10",
    make,
    config: Schema.decodeUnknownSync(Config)({}),
    dimensions: { inputSize: 2048, latent: 1, windowSize: 8, chunkSize: 10 },
    batch: 2,
    iterations: 3
  })
  benchTrainStep({
    label: "one-step (3.7 M), B 8 × W 1, N 1",
    make,
    config: Schema.decodeUnknownSync(Config)({}),
    dimensions: { inputSize: 2048, latent: 1, windowSize: 1, chunkSize: 1 },
    batch: 8,
    iterations: 10
  })
})
