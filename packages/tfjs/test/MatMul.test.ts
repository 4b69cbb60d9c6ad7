import * as tf from "@tensorflow/tfjs-core"
import { describe, expect, it } from "vitest"
import { matMul } from "../src/MatMul.ts"
import { maxAbsDiff, randomTensor, useBackend } from "../src/testing/index.ts"

describe("matMul (wasm-friendly gradient)", () => {
  it("equals tf.matMul in value and gradients, rank 2 and batched rank 3, with and without transposeB", async () => {
    await useBackend()
    const before = tf.memory().numTensors
    tf.engine().startScope()
    const cases: Array<[Array<number>, Array<number>, boolean]> = [
      [[5, 7], [7, 3], false],
      [[5, 7], [3, 7], true],
      [[2, 4, 6], [2, 6, 3], false],
      [[2, 4, 6], [2, 5, 6], true]
    ]
    for (const [shapeA, shapeB, transposeB] of cases) {
      const a = tf.tensor<tf.Rank>(randomTensor(1, shapeA).data, shapeA) as tf.Tensor2D
      const b = tf.tensor<tf.Rank>(randomTensor(2, shapeB).data, shapeB) as tf.Tensor2D
      const weights = (t: tf.Tensor) => tf.sum(tf.mul(t, tf.sin(tf.reshape(tf.range(0, t.size), t.shape)))) as tf.Scalar
      const ours = tf.grads((x, y) => weights(matMul(x as tf.Tensor2D, y as tf.Tensor2D, transposeB)))([a, b])
      const theirs = tf.grads((x, y) => weights(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, false, transposeB)))([a, b])
      expect(maxAbsDiff(matMul(a, b, transposeB).dataSync(), tf.matMul(a, b as tf.Tensor2D, false, transposeB).dataSync())).toBeLessThan(1e-5)
      expect(maxAbsDiff(ours[0]!.dataSync(), theirs[0]!.dataSync())).toBeLessThan(1e-5)
      expect(maxAbsDiff(ours[1]!.dataSync(), theirs[1]!.dataSync())).toBeLessThan(1e-5)
      tf.dispose([a, b, ...ours, ...theirs])
    }
    tf.engine().endScope()
    expect(tf.memory().numTensors).toBe(before)
  })
})
