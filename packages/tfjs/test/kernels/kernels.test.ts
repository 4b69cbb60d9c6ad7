/**
 * Fast kernels against tfjs' stock kernels, in one process: forward and gradient of every matmul shape family the
 * models use, transposes of every rank they use, and a short Adam run of a small transformer on both paths.
 *
 * Tolerance: |fast − stock| ≤ 1e-5 · max|stock| elementwise (relative to the tensor's scale; both are float32
 * with different summation orders, so elementwise relative error near zero would test rounding, not the kernel).
 */
import "@tensorflow/tfjs-backend-cpu"
import "@tensorflow/tfjs-backend-wasm"
import "@tensorflow/tfjs-core/dist/register_all_gradients.js"
import * as tf from "@tensorflow/tfjs-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeTransformer } from "../../bench/ReferenceTransformer.ts"
import { createRequire } from "node:module"
import { matMulOutShape } from "../../src/kernels/BatchMatMul.ts"
import { type NativeBinding, raiseMallocThresholds } from "../../src/kernels/MlasEngine.ts"
import { fastKernelsActive, fastKernelsRequested, registerFastKernels, useFastKernels, useStockKernels } from "../../src/kernels/index.ts"
import { reduceSlice, sliceInto } from "../../src/kernels/Slice.ts"
import { reducePermutation, transposeInto } from "../../src/kernels/Transpose.ts"

const TOLERANCE = 1e-5

let seed = 12345
const random = (shape: Array<number>): tf.Tensor => {
  const values = Float32Array.from({ length: shape.reduce((n, d) => n * d, 1) }, () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return seed / 2 ** 32 - 0.5
  })
  return tf.tensor(values, shape)
}

const scaledError = (fast: Float32Array | Int32Array, stock: Float32Array | Int32Array): number => {
  let diff = 0
  let scale = 0
  for (let i = 0; i < stock.length; i++) {
    diff = Math.max(diff, Math.abs(fast[i]! - stock[i]!))
    scale = Math.max(scale, Math.abs(stock[i]!))
  }
  return scale === 0 ? diff : diff / scale
}

/** Runs `f` on the stock path, then on the fast path, and returns both results' values. */
const both = (backend: string, f: () => Array<tf.Tensor>): { stock: Array<Float32Array>; fast: Array<Float32Array> } => {
  useStockKernels(backend)
  const stock = tf.tidy(f).map((t) => t.dataSync() as Float32Array)
  expect(useFastKernels(backend).registered).toBe(true)
  const fast = tf.tidy(f).map((t) => t.dataSync() as Float32Array)
  return { stock, fast }
}

/** `gradients`: false where tfjs-core 4.22's BatchMatMul gradient itself rejects the shapes (broadcast batch). */
type Case = readonly [name: string, a: Array<number>, b: Array<number>, gradients?: false]

/** a·b shapes before transposition (a: …×m×k, b: …×k×n); each is run with all four transpose pairs. */
const families: ReadonlyArray<Case> = [
  ["2-D", [5, 7], [7, 3]],
  ["2-D, linear layer (320×128 · 128×256)", [320, 128], [128, 256]],
  ["2-D, one row (act at batch 1)", [1, 64], [64, 256]],
  ["2-D, two rows against a wide weight (LSTM cell)", [2, 256], [256, 1100]],
  ["batched", [4, 5, 7], [4, 7, 3]],
  ["batched, attention (16 × 80×32 · 32×80)", [16, 80, 32], [16, 32, 80]],
  ["batched rank 4", [2, 3, 5, 7], [2, 3, 7, 4]],
  ["broadcast: rank-3 · rank-2", [4, 5, 7], [7, 3], false],
  ["broadcast: rank-2 · rank-3", [5, 7], [4, 7, 3], false],
  ["broadcast: batch 1 · batch 4", [1, 5, 7], [4, 7, 3], false],
  ["broadcast: batch 4 · batch 1", [4, 5, 7], [1, 7, 3], false]
]

/** Swaps the last two dims of a shape: the stored layout of an operand used transposed. */
const stored = (shape: Array<number>, transposed: boolean) => (transposed ? [...shape.slice(0, -2), shape.at(-1)!, shape.at(-2)!] : shape)

const pairs = [
  [false, false],
  [true, false],
  [false, true],
  [true, true]
] as const

describe.each(["wasm", "cpu"])("fast kernels on %s", (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend)
  })
  afterAll(() => useStockKernels(backend))

  for (const [name, aShape, bShape, gradients] of families) {
    for (const [ta, tb] of pairs) {
      it(`BatchMatMul ${name}, transposeA ${ta}, transposeB ${tb}: forward${gradients === false ? "" : " and gradients"}`, () => {
        const a = random(stored(aShape, ta))
        const b = random(stored(bShape, tb))
        const outShape = matMulOutShape(a.shape, b.shape, ta, tb)!
        const w = random(outShape)
        const loss = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, ta, tb), w))
        const { stock, fast } = both(backend, () => {
          if (gradients === false) return [tf.matMul(a, b, ta, tb)]
          const [da, db] = tf.grads(loss)([a, b])
          return [tf.matMul(a, b, ta, tb), da!, db!]
        })
        expect(fast[0]!.length).toBe(outShape.reduce((n, d) => n * d, 1))
        expect(fast.length).toBe(gradients === false ? 1 : 3)
        for (let i = 0; i < fast.length; i++) expect(scaledError(fast[i]!, stock[i]!)).toBeLessThanOrEqual(TOLERANCE)
        // A wrong kernel is far off: the check can fail.
        expect(scaledError(fast[0]!, stock[0]!.map((v) => v * 1.001))).toBeGreaterThan(TOLERANCE)
      })
    }
  }

  it("BatchMatMul of empty operands gives zeros of the right shape", () => {
    useFastKernels(backend)
    const y = tf.matMul(tf.zeros([3, 0]), tf.zeros([0, 4]))
    expect(y.shape).toEqual([3, 4])
    expect(Array.from(y.dataSync())).toEqual(new Array(12).fill(0))
  })

  it("BatchMatMul rejects mismatched inner dims with tfjs' error", () => {
    useFastKernels(backend)
    expect(() => tf.matMul(tf.zeros([3, 5]), tf.zeros([4, 2]))).toThrow(/inner shapes/)
  })

  it("BatchMatMul in int32 goes to the stock kernel (a product on cpu, tfjs' own error on wasm)", () => {
    const outcome = () => {
      try {
        return Array.from(tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2], "int32"), tf.tensor2d([5, 6, 7, 8], [2, 2], "int32")).dataSync())
      } catch (error) {
        return String(error)
      }
    }
    useStockKernels(backend)
    const stock = outcome()
    useFastKernels(backend)
    expect(outcome()).toEqual(stock)
    if (backend === "cpu") expect(stock).toEqual([19, 22, 43, 50])
  })

  const perms: ReadonlyArray<readonly [Array<number>, Array<number>]> = [
    [[7, 5], [1, 0]],
    [[300, 70], [1, 0]],
    [[4, 5, 6], [0, 2, 1]],
    [[4, 5, 6], [2, 0, 1]],
    [[4, 20, 3, 4, 8], [2, 0, 3, 1, 4]],
    // runs of ≥ 16 contiguous elements: copied with copyWithin on the wasm heap
    [[4, 20, 3, 4, 32], [2, 0, 3, 1, 4]],
    [[3, 5, 300], [1, 0, 2]],
    [[4, 4, 20, 8], [0, 2, 1, 3]],
    [[2, 1, 3, 1, 4], [4, 3, 2, 1, 0]],
    [[2, 3, 4, 5, 6, 7], [5, 1, 3, 0, 4, 2]],
    [[3, 4], [0, 1]]
  ]
  for (const [shape, perm] of perms) {
    it(`Transpose ${JSON.stringify(shape)} by ${JSON.stringify(perm)} is exact (float32 and int32)`, () => {
      const x = random(shape)
      const { stock, fast } = both(backend, () => [tf.transpose(x, perm), tf.transpose(tf.cast(tf.mul(x, 1000), "int32"), perm)])
      for (const i of [0, 1]) {
        expect(fast[i]!.length).toBe(stock[i]!.length)
        expect(fast[i]!.findIndex((v, j) => v !== stock[i]![j])).toBe(-1)
      }
    })
  }

  const sums: ReadonlyArray<readonly [Array<number>, number | Array<number> | null, boolean]> = [
    [[300, 70], 0, false],
    // reduced length not a multiple of the four rows summed per pass
    [[301, 70], 0, false],
    [[7, 3, 5], 1, true],
    [[300, 70], 1, true],
    [[300, 70], -1, false],
    [[4, 20, 8], [0, 1], false],
    [[4, 20, 8], [1, 2], true],
    [[4, 20, 8], 1, false],
    [[4, 20, 8], [0, 2], false],
    [[4, 20, 8], [0, 1, 2], false],
    [[4, 20, 8], null, true]
  ]
  for (const [shape, axis, keepDims] of sums) {
    it(`Sum ${JSON.stringify(shape)} over ${JSON.stringify(axis)}${keepDims ? ", keepDims" : ""}: forward and gradient`, () => {
      const x = random(shape)
      const w = random(tf.tidy(() => tf.sum(x, axis ?? undefined, keepDims).shape))
      const { stock, fast } = both(backend, () => {
        const y = tf.sum(x, axis ?? undefined, keepDims)
        return [y, tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.sum(v, axis ?? undefined, keepDims), w)))(x)]
      })
      expect(fast[0]!.length).toBe(stock[0]!.length)
      for (const i of [0, 1]) expect(scaledError(fast[i]!, stock[i]!)).toBeLessThanOrEqual(TOLERANCE)
    })
  }

  for (const [shape, axis] of [[[3, 4, 20, 8], 0], [[4, 3, 5], 1], [[4, 5, 3], -1]] as const) {
    it(`Unpack ${JSON.stringify(shape)} along ${axis}: forward and gradient`, () => {
      const x = random([...shape])
      const w = random([...shape].filter((_, i) => i !== (axis < 0 ? axis + shape.length : axis)))
      const { stock, fast } = both(backend, () => [
        ...tf.unstack(x, axis),
        tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.unstack(v, axis)[1]!, w)))(x)
      ])
      expect(fast.length).toBe(stock.length)
      for (let i = 0; i < stock.length; i++) expect(fast[i]!.findIndex((v, j) => v !== stock[i]![j])).toBe(-1)
    })
  }

  const slices: ReadonlyArray<readonly [Array<number>, Array<number>, Array<number>]> = [
    // the discrete head's arm / gripper split of (B, T, N, 7, bins)
    [[2, 3, 4, 7, 16], [0, 0, 0, 0, 0], [2, 3, 4, 6, 16]],
    [[2, 3, 4, 7, 16], [0, 0, 0, 6, 0], [2, 3, 4, 1, 16]],
    [[2, 3, 4, 1, 16], [0, 0, 0, 0, 9], [2, 3, 4, 1, 7]],
    [[5, 6], [1, 2], [3, -1]],
    [[5, 6, 7], [0, 0, 3], [5, 6, 2]],
    [[2, 3, 4, 5, 6, 7], [1, 0, 1, 2, 0, 3], [1, 3, 2, 3, 6, 4]],
    [[4, 200], [1, 0], [2, 200]],
    [[3, 1, 5, 1], [2, 0, 1, 0], [1, 1, 3, 1]],
    [[3, 4], [0, 0], [0, 4]]
  ]
  for (const [shape, begin, size] of slices) {
    it(`Slice ${JSON.stringify(shape)} at ${JSON.stringify(begin)} of ${JSON.stringify(size)}: exact forward (float32, int32) and gradient`, () => {
      const x = random(shape)
      const w = random(tf.tidy(() => tf.slice(x, begin, size).shape))
      const { stock, fast } = both(backend, () => [
        tf.slice(x, begin, size),
        tf.slice(tf.cast(tf.mul(x, 1000), "int32"), begin, size),
        tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.slice(v, begin, size), w)))(x)
      ])
      for (const i of [0, 1, 2]) {
        expect(fast[i]!.length).toBe(stock[i]!.length)
        expect(fast[i]!.findIndex((v, j) => v !== stock[i]![j])).toBe(-1)
      }
    })
  }

  it("Slice out of range keeps tfjs' error", () => {
    useFastKernels(backend)
    const x = random([2, 3, 4, 5, 6])
    expect(() => tf.slice(x, [0, 0, 0, 0, 4], [2, 3, 4, 5, 3])).toThrow()
  })

  it("Identity (tf.clone) keeps values and survives disposing the original", () => {
    useFastKernels(backend)
    const x = random([5, 6])
    const values = x.dataSync().slice()
    const y = tf.clone(x)
    x.dispose()
    expect(Array.from(y.dataSync())).toEqual(Array.from(values))
    y.dispose()
  })

  it("an Adam run of a small transformer gives the stock loss curve (20 steps, ≤ 1e-4 relative per step)", () => {
    const config = { layers: 2, dModel: 32, heads: 4, feedForward: 64, batch: 4, sequence: 12, learningRate: 3e-3, seed: 3 }
    const run = () => {
      const model = makeTransformer(config)
      const losses = Array.from({ length: 20 }, () => model.step())
      model.dispose()
      return losses
    }
    useStockKernels(backend)
    const stock = run()
    useFastKernels(backend)
    const fast = run()
    expect(stock.at(-1)!).toBeLessThan(stock[0]! * 0.9)
    for (let i = 0; i < stock.length; i++) expect(Math.abs(fast[i]! - stock[i]!) / stock[i]!).toBeLessThanOrEqual(1e-4)
  })
})

describe("switching", () => {
  it("ROBOVLA_FAST_KERNELS=0 keeps the stock kernels", async () => {
    await tf.setBackend("wasm")
    useStockKernels("wasm")
    const stockKernel = tf.getKernel("BatchMatMul", "wasm").kernelFunc
    expect(fastKernelsRequested({ ROBOVLA_FAST_KERNELS: "0" })).toBe(false)
    expect(fastKernelsRequested({})).toBe(true)
    expect(registerFastKernels("wasm", { ROBOVLA_FAST_KERNELS: "0" })).toBeUndefined()
    expect(tf.getKernel("BatchMatMul", "wasm").kernelFunc).toBe(stockKernel)
    expect(registerFastKernels("wasm", {})).toMatch(/BatchMatMul.*MLAS/)
    expect(tf.getKernel("BatchMatMul", "wasm").kernelFunc).not.toBe(stockKernel)
    expect(fastKernelsActive("wasm")).toBe(true)
    useStockKernels("wasm")
    expect(fastKernelsActive("wasm")).toBe(false)
    expect(tf.getKernel("BatchMatMul", "wasm").kernelFunc).toBe(stockKernel)
  })

  it("says there is nothing to replace on a backend with native kernels", () => {
    expect(useFastKernels("tensorflow")).toEqual({ registered: false, description: expect.stringMatching(/native/) })
  })
})

describe("MLAS engine", () => {
  it("runs its one-time graph with a 31 MiB intermediate (the int64 Constant serialises and loads)", () => {
    const require = createRequire(import.meta.url)
    const native = require("onnxruntime-node/dist/binding.js") as { binding: NativeBinding; initOrt: () => void }
    native.initOrt()
    expect(raiseMallocThresholds(native.binding)).toBe(true)
  })
})

describe("sliceInto", () => {
  it("drops size-1 axes and merges axes the slice takes whole", () => {
    // (B, T, N, 7, bins) → dims 0–5 of axis 3: the outer three axes merge into one run of 6·bins values
    expect(reduceSlice([2, 3, 4, 7, 16], [0, 0, 0, 0, 0], [2, 3, 4, 6, 16])).toEqual({ dims: [24, 96], strides: [112, 1], offset: 0 })
    expect(reduceSlice([2, 3, 4, 7, 16], [0, 0, 0, 6, 0], [2, 3, 4, 1, 16])).toEqual({ dims: [24, 16], strides: [112, 1], offset: 96 })
    expect(reduceSlice([4, 1, 5], [1, 0, 0], [2, 1, 5])).toEqual({ dims: [10], strides: [1], offset: 5 })
  })

  it("matches a direct index computation", () => {
    const x = Float32Array.from({ length: 60 }, (_, i) => i)
    const out = new Float32Array(2 * 2 * 3)
    sliceInto(x, [3, 4, 5], [1, 2, 1], [2, 2, 3], out)
    // out[i][j][k] = x[1 + i][2 + j][1 + k]
    expect(out[0]).toBe(x[1 * 20 + 2 * 5 + 1])
    expect(out[1 * 6 + 1 * 3 + 2]).toBe(x[2 * 20 + 3 * 5 + 3])
  })
})

describe("transposeInto", () => {
  it("merges axes that stay adjacent and drops size-1 axes", () => {
    expect(reducePermutation([4, 5, 6], [2, 0, 1])).toEqual({ shape: [20, 6], perm: [1, 0] })
    expect(reducePermutation([16, 4, 80, 32], [0, 2, 1, 3])).toEqual({ shape: [16, 4, 80, 32], perm: [0, 2, 1, 3] })
    expect(reducePermutation([2, 1, 3], [1, 0, 2])).toEqual({ shape: [6], perm: [0] })
  })

  it("matches a direct index computation", () => {
    const shape = [2, 3, 4]
    const x = Float32Array.from({ length: 24 }, (_, i) => i)
    const out = new Float32Array(24)
    transposeInto(x, shape, [2, 0, 1], out)
    // out[k][i][j] = x[i][j][k]
    expect(out[1 * 6 + 1 * 3 + 2]).toBe(x[1 * 12 + 2 * 4 + 1])
    expect(out[3 * 6 + 0 * 3 + 1]).toBe(x[0 * 12 + 1 * 4 + 3])
  })
})
