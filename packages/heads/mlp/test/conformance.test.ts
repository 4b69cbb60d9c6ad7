import * as tf from "@tensorflow/tfjs-core"
import { conformanceSuite } from "@robovla/sdk/testing"
import { Schema } from "effect"
import { beforeAll, describe } from "vitest"
import { useBackend } from "@robovla/tfjs/testing"
import { Config, plugin } from "../src/index.ts"

describe("mlp head: SDK conformance", () => {
  beforeAll(useBackend)
  conformanceSuite(plugin, {
    config: Schema.decodeUnknownSync(Config)({ hidden_size: 5, mlp_widths: [16, 8], seed: 7 }),
    dimensions: { inputSize: 12, windowSize: 3, chunkSize: 2, latent: 2 },
    liveResources: () => tf.memory().numTensors
  })
})
