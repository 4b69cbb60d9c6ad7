import * as tf from "@tensorflow/tfjs-core"
import { conformanceSuite } from "@robovla/sdk/testing"
import { Schema } from "effect"
import { beforeAll, describe } from "vitest"
import { useBackend } from "@robovla/tfjs/testing"
import { Config, plugin } from "../src/index.ts"

describe("gpt head: SDK conformance", () => {
  beforeAll(useBackend)
  conformanceSuite(plugin, {
    config: Schema.decodeUnknownSync(Config)({ hidden_size: 4, n_layer: 2, n_head: 2, mlp_widths: [8], seed: 7 }),
    dimensions: { inputSize: 6, windowSize: 3, chunkSize: 2, latent: 2 },
    liveResources: () => tf.memory().numTensors
  })
})
