import { bench, describe } from "vitest"
import * as tf from "@tensorflow/tfjs-core"
import "@tensorflow/tfjs-core/dist/register_all_gradients.js"
import { Schema } from "effect"
import { fakeLabels, openHead, randomTensor, useBackend } from "../src/testing/index.ts"
import { Config, make } from "../src/index.ts"

await useBackend()
const dims = { inputSize: 2048, latent: 1, windowSize: 8, chunkSize: 10 }
const { head } = await openHead(make, Schema.decodeUnknownSync(Config)({}), dims)
const x = tf.tensor4d(randomTensor(1, [8, 8, 1, 2048]).data, [8, 8, 1, 2048])
const labels = fakeLabels(2, 8, 8, 10)
const optimizer = tf.train.adam(1e-4)
describe("mlp train step", () => {
  bench("adam step, B 8 × W 8", () => {
    optimizer.minimize(() => head.loss(head.predictTensors(x), labels, labels.mask).loss, false, head.variables() as Array<tf.Variable>)?.dispose()
  }, { iterations: 5, warmupIterations: 1, time: 0 })
})
