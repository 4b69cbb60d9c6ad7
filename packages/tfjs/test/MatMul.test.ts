import * as tf from "@tensorflow/tfjs-core"
import { afterAll, describe, expect, it } from "vitest"
import { fastKernelsActive, useFastKernels, useStockKernels } from "../src/kernels/index.ts"
import { matMul } from "../src/MatMul.ts"
import { maxAbsDiff, randomTensor, useBackend } from "../src/testing/index.ts"

describe("matMul (wasm-friendly gradient)", () => {
  afterAll(() => {
    useFastKernels(tf.getBackend())
  })

  // Stock kernels: explicit transposes; fast kernels: the GEMM's transpose flags. Both must equal tf.matMul.
  it.each(["stock", "fast"] as const)(
    "equals tf.matMul in value and gradients on the %s kernels, rank 2 and batched rank 3, with and without transposeB",
    async (path) => {
      await useBackend()
      const backend = tf.getBackend()
      if (path === "stock") useStockKernels(backend)
      else useFastKernels(backend)
      expect(fastKernelsActive(backend)).toBe(path === "fast")
      const before = tf.memory().numTensors
      tf.engine().startScope()
      const cases: Array<[Array<number>, Array<number>, boolean]> = [
        [[5, 7], [7, 3], false],
        [[5, 7], [3, 7], true],
        [[2, 4, 6], [2, 6, 3], false],
        [[2, 4, 6], [2, 5, 6], true],
        // LSTM-shaped: a few rows against a wide weight (the weight side takes the flag on the fast path).
        [[2, 64], [64, 256], false],
        [[3, 64], [256, 64], true]
      ]
      for (const [shapeA, shapeB, transposeB] of cases) {
        const a = tf.tensor<tf.Rank>(randomTensor(1, shapeA).data, shapeA) as tf.Tensor2D
        const b = tf.tensor<tf.Rank>(randomTensor(2, shapeB).data, shapeB) as tf.Tensor2D
        const weights = (t: tf.Tensor) => tf.sum(tf.mul(t, tf.sin(tf.reshape(tf.range(0, t.size), t.shape)))) as tf.Scalar
        const ours = tf.grads((x, y) => weights(matMul(x as tf.Tensor2D, y as tf.Tensor2D, transposeB)))([a, b])
        const theirs = tf.grads((x, y) => weights(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, false, transposeB)))([a, b])
        const scale = 1e-5 * Math.max(1, shapeA.at(-1)! / 8)
        expect(maxAbsDiff(matMul(a, b, transposeB).dataSync(), tf.matMul(a, b as tf.Tensor2D, false, transposeB).dataSync())).toBeLessThan(scale)
        expect(maxAbsDiff(ours[0]!.dataSync(), theirs[0]!.dataSync())).toBeLessThan(scale)
        expect(maxAbsDiff(ours[1]!.dataSync(), theirs[1]!.dataSync())).toBeLessThan(scale)
        tf.dispose([a, b, ...ours, ...theirs])
      }
      tf.engine().endScope()
      expect(tf.memory().numTensors).toBe(before)
    }
  )
})
