import * as tf from "@tensorflow/tfjs-core"
import { afterAll, describe, expect, it } from "vitest"
import { makeFrozenProducts } from "../src/FrozenWeights.ts"
import { useFastKernels, useStockKernels } from "../src/kernels/index.ts"
import { makeConstantProduct } from "../src/kernels/MlasEngine.ts"
import { useBackend } from "../src/testing/index.ts"

const relativeGap = (got: tf.Tensor, want: tf.Tensor) => {
  const a = got.dataSync()
  const b = want.dataSync()
  let gap = 0
  let scale = 0
  for (let i = 0; i < b.length; i++) {
    gap = Math.max(gap, Math.abs(a[i]! - b[i]!))
    scale = Math.max(scale, Math.abs(b[i]!))
  }
  return gap / scale
}

describe("frozen-weight products (inference)", () => {
  afterAll(() => {
    useFastKernels(tf.getBackend())
  })

  it("a constant-weight MLAS session equals tf.matMul for 1, 8 and 64 rows", async () => {
    await useBackend()
    const [k, n] = [96, 200]
    const weight = tf.randomUniform([k, n], -1, 1, "float32", 3)
    const product = makeConstantProduct(weight.dataSync() as Float32Array, k, n, 1)
    expect(typeof product).not.toBe("string")
    if (typeof product === "string") return
    for (const m of [1, 8, 64]) {
      const x = tf.randomUniform([m, k], -1, 1, "float32", m)
      const out = new Float32Array(m * n)
      product.run(x.dataSync() as Float32Array, m, out)
      expect(relativeGap(tf.tensor2d(out, [m, n]), tf.matMul(x, weight))).toBeLessThan(1e-5)
    }
  })

  it.each(["fast", "stock"] as const)("on the %s kernels: equals tf.matMul, follows the variable's assignments, leaks no tensors", async (path) => {
    await useBackend()
    const backend = tf.getBackend()
    if (path === "stock") useStockKernels(backend)
    else useFastKernels(backend)
    const weight = tf.variable(tf.randomUniform([64, 48], -1, 1, "float32", 5))
    const x = tf.randomUniform([8, 64], -1, 1, "float32", 6) as tf.Tensor2D
    const frozen = makeFrozenProducts()
    const check = () => {
      const before = tf.memory().numTensors
      const got = frozen.matMul(x, weight)
      expect(tf.memory().numTensors).toBe(before + 1) // only the result
      expect(tf.tidy(() => relativeGap(got, tf.matMul(x, weight)))).toBeLessThan(1e-5)
      got.dispose()
    }
    check()
    check()
    const next = tf.randomUniform([64, 48], -1, 1, "float32", 7)
    weight.assign(next)
    next.dispose()
    check()
    frozen.clear()
    weight.dispose()
  })
})
