/**
 * The fused ops (layer norm, softmax, GELU: one kernel forward, one backward) and the fused AdamW update against
 * the same computation composed from tfjs ops (the stock path), in one process, on wasm and cpu: forward and every
 * gradient within |fused − composite| ≤ 1e-5 · max|composite|.
 */
import "@tensorflow/tfjs-backend-cpu"
import "@tensorflow/tfjs-backend-wasm"
import "@tensorflow/tfjs-core/dist/register_all_gradients.js"
import * as tf from "@tensorflow/tfjs-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adamWUpdate, globalGradNorm, zeroMoments } from "../../src/AdamW.ts"
import { geluTanh, layerNorm, relu, softmax } from "../../src/FusedOps.ts"
import { useFastKernels, useStockKernels } from "../../src/kernels/index.ts"
import { storageOf } from "../../src/kernels/Storage.ts"

const TOLERANCE = 1e-5

let seed = 4242
const random = (shape: Array<number>, spread = 1): tf.Tensor => {
  const values = Float32Array.from({ length: shape.reduce((n, d) => n * d, 1) }, () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return (seed / 2 ** 32 - 0.5) * 2 * spread
  })
  return tf.tensor(values, shape)
}

const scaledError = (fast: Float32Array, stock: Float32Array): number => {
  let diff = 0
  let scale = 0
  for (let i = 0; i < stock.length; i++) {
    diff = Math.max(diff, Math.abs(fast[i]! - stock[i]!))
    scale = Math.max(scale, Math.abs(stock[i]!))
  }
  return scale === 0 ? diff : diff / scale
}

/** Runs `f` on the stock path (composed ops), then on the fast path (fused kernels); both results' values. */
const both = (backend: string, f: () => Array<tf.Tensor>): { stock: Array<Float32Array>; fast: Array<Float32Array> } => {
  useStockKernels(backend)
  const stock = tf.tidy(f).map((t) => t.dataSync().slice() as Float32Array)
  expect(useFastKernels(backend).registered).toBe(true)
  const fast = tf.tidy(f).map((t) => t.dataSync().slice() as Float32Array)
  return { stock, fast }
}

const kernelNames = (f: () => unknown): Promise<Array<string>> => tf.profile(() => void tf.tidy(() => void f())).then((p) => p.kernels.map((k) => k.name))

describe.each(["wasm", "cpu"])("fused ops on %s", (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend)
  })
  afterAll(() => useStockKernels(backend))

  it(`the SIMD loops are ${backend === "wasm" ? "" : "not "}in use`, () => {
    // wasm: rows of a multiple of 4 go through the WebAssembly SIMD loops (the cases below cover both kinds of row).
    expect(storageOf(backend, tf.backend())?.simd !== undefined).toBe(backend === "wasm")
  })

  for (const shape of [[7, 5], [3, 10, 128], [1280, 128]]) {
    it(`layerNorm ${JSON.stringify(shape)}: forward and gradients of x, γ, β`, () => {
      const d = shape.at(-1)!
      const x = random(shape, 3)
      const gamma = tf.add(random([d], 0.5), 1)
      const beta = random([d])
      const w = random(shape)
      const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layerNorm(a, g, b), w))
      const { stock, fast } = both(backend, () => [layerNorm(x, gamma, beta), ...tf.grads(loss)([x, gamma, beta])])
      expect(fast.length).toBe(4)
      for (let i = 0; i < 4; i++) expect(scaledError(fast[i]!, stock[i]!)).toBeLessThanOrEqual(TOLERANCE)
      expect(scaledError(fast[0]!, stock[0]!.map((v) => v * 1.001))).toBeGreaterThan(TOLERANCE)
    })
  }

  it("layerNorm runs one kernel forward on the fast path, the composition on the stock path", async () => {
    const x = random([4, 8])
    const g = tf.ones([8])
    const b = tf.zeros([8])
    useFastKernels(backend)
    expect(await kernelNames(() => layerNorm(x, g, b))).toEqual(["RobovlaLayerNorm"])
    useStockKernels(backend)
    expect((await kernelNames(() => layerNorm(x, g, b))).length).toBeGreaterThan(5)
  })

  for (const [shape, scale] of [[[6, 9], 1], [[64, 80, 80], 1 / Math.sqrt(32)], [[2, 3, 17], -0.5]] as const) {
    it(`softmax ${JSON.stringify(shape)} scale ${scale.toFixed(3)}: forward and gradient`, () => {
      const x = random([...shape], 4)
      const w = random([...shape])
      const loss = (a: tf.Tensor) => tf.sum(tf.mul(softmax(a, scale), w))
      const { stock, fast } = both(backend, () => [softmax(x, scale), tf.grad(loss)(x)])
      for (let i = 0; i < 2; i++) expect(scaledError(fast[i]!, stock[i]!)).toBeLessThanOrEqual(TOLERANCE)
    })
  }

  it("softmax keeps a masked row (−1e9 logits) finite", () => {
    useFastKernels(backend)
    const y = softmax(tf.tensor2d([[0, -1e9, 1], [-1e9, -1e9, -1e9]]))
    const values = Array.from(y.dataSync())
    expect(values.every(Number.isFinite)).toBe(true)
    expect(values[1]).toBe(0)
    expect(values.slice(3)).toEqual([1 / 3, 1 / 3, 1 / 3].map(Math.fround))
  })

  for (const shape of [[5, 7], [2, 40, 512]]) {
    it(`relu ${JSON.stringify(shape)}: forward and gradient (exact)`, () => {
      // Some exact zeros too (tfjs' gradient there is 0: step(0) = 0).
      const x = tf.relu(tf.sub(tf.relu(random(shape, 2)), 0.5))
      const w = random(shape)
      const loss = (a: tf.Tensor) => tf.sum(tf.mul(relu(a), w))
      const { stock, fast } = both(backend, () => [relu(x), tf.grad(loss)(x)])
      // Equal values (tfjs' dy·0 gives −0 where this gives +0).
      for (let i = 0; i < 2; i++) expect(scaledError(fast[i]!, stock[i]!)).toBe(0)
    })

    it(`geluTanh ${JSON.stringify(shape)}: forward and gradient`, () => {
      const x = random(shape, 4)
      const w = random(shape)
      const loss = (a: tf.Tensor) => tf.sum(tf.mul(geluTanh(a), w))
      const { stock, fast } = both(backend, () => [geluTanh(x), tf.grad(loss)(x)])
      for (let i = 0; i < 2; i++) expect(scaledError(fast[i]!, stock[i]!)).toBeLessThanOrEqual(TOLERANCE)
    })
  }

  for (const weightDecay of [0, 0.01]) {
    it(`adamWUpdate (weight decay ${weightDecay}, clipped gradients): 5 steps fused equal the composed update`, () => {
      const shapes = [[33, 17], [17], [4, 5, 6]]
      const initial = shapes.map((s) => random(s))
      const gradients = Array.from({ length: 5 }, () => shapes.map((s) => random(s, 0.01)))
      const run = (expected: "fused" | "composite") => {
        const variables = initial.map((t) => tf.variable(t.clone()))
        const moments = variables.map(zeroMoments)
        const norms: Array<number> = []
        for (let step = 1; step <= 5; step++) {
          const grads = gradients[step - 1]!
          const norm = globalGradNorm(grads)
          norms.push(norm)
          const slots = variables.map((variable, i) => ({ variable, grad: grads[i]!, ...moments[i]! }))
          const path = adamWUpdate(slots, { learningRate: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay, step, gradScale: Math.min(1, 0.05 / (norm + 1e-6)) })
          expect(path).toBe(expected)
        }
        const values = [...variables, ...moments.flatMap(({ m, v }) => [m, v])].map((t) => t.dataSync().slice() as Float32Array)
        tf.dispose([...variables, ...moments.flatMap(({ m, v }) => [m, v])])
        return { values, norms }
      }
      useStockKernels(backend)
      const stock = run("composite")
      useFastKernels(backend)
      const fast = run("fused")
      for (let i = 0; i < stock.values.length; i++) expect(scaledError(fast.values[i]!, stock.values[i]!)).toBeLessThanOrEqual(TOLERANCE)
      for (let i = 0; i < 5; i++) expect(Math.abs(fast.norms[i]! - stock.norms[i]!) / stock.norms[i]!).toBeLessThanOrEqual(TOLERANCE)
      // The update moved the weights (a no-op would also "match" if both paths did nothing).
      expect(scaledError(fast.values[0]!, initial[0]!.dataSync() as Float32Array)).toBeGreaterThan(1e-3)
    })
  }

  it("adamWUpdate gives weights new data (tensors that shared it keep their values; a matmul sees the new weights)", () => {
    useFastKernels(backend)
    const source = tf.tensor1d([1, 2, 3, 4])
    const variable = tf.variable(source) // shares source's data
    const alias = tf.reshape(variable, [2, 2])
    const before = Array.from(source.dataSync())
    const read = variable.dataSync() // on cpu, the backend's own array
    const readCopy = Array.from(read)
    const { m, v } = zeroMoments(variable)
    const grad = tf.tensor1d([0.1, -0.2, 0.3, -0.4])
    expect(adamWUpdate([{ variable, grad, m, v }], { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, step: 1 })).toBe("fused")
    expect(Array.from(source.dataSync())).toEqual(before)
    expect(Array.from(alias.dataSync())).toEqual(before)
    expect(Array.from(read)).toEqual(readCopy)
    // Adam's first step moves each weight by lr against its gradient's sign.
    expect(Array.from(variable.dataSync()).map((x) => Number(x.toFixed(4)))).toEqual([0.9, 2.1, 2.9, 4.1])
    tf.dispose([source, variable, alias, m, v, grad])
  })

  it("adamWUpdate: a one-row matmul (XNNPACK on wasm, which caches packed weights by tensor id) uses the updated weights", () => {
    useFastKernels(backend)
    const weight = tf.variable(random([8, 8]))
    const x = random([1, 8])
    const { m, v } = zeroMoments(weight)
    for (let step = 1; step <= 3; step++) {
      const before = tf.matMul(x, weight)
      tf.dispose(before)
      const grad = random([8, 8])
      adamWUpdate([{ variable: weight, grad, m, v }], { learningRate: 0.05, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, step })
      grad.dispose()
      const product = tf.matMul(x, weight)
      const expected = tf.sum(tf.mul(tf.reshape(x, [8, 1]), weight), 0)
      expect(scaledError(product.dataSync() as Float32Array, expected.dataSync() as Float32Array)).toBeLessThanOrEqual(TOLERANCE)
      tf.dispose([product, expected])
    }
    tf.dispose([weight, x, m, v])
  })
})
