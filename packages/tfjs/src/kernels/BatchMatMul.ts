/**
 * `BatchMatMul` on a native GEMM: every transpose pair, 2-D and batched operands, numpy-style broadcasting of
 * the batch dims (a rank-2 operand against a batched one, or batch dims of size 1). Float32 only; other dtypes
 * and shapes that do not broadcast go to the stock kernel (which throws tfjs' own error for the latter), and so
 * do the small un-batched, un-transposed products where the stock wasm kernel (XNNPACK) is faster.
 *
 * @since 0.1.0
 */
import type * as tf from "@tensorflow/tfjs-core"
import type { MatMulEngine } from "./MlasEngine.ts"
import { storageOf } from "./Storage.ts"

/**
 * The output shape of `op(a) · op(b)`, or undefined when the batch dims do not broadcast or the inner dims differ.
 *
 * @since 0.1.0
 * @category shapes
 */
export const matMulOutShape = (
  aShape: ReadonlyArray<number>,
  bShape: ReadonlyArray<number>,
  transposeA: boolean,
  transposeB: boolean
): Array<number> | undefined => {
  if (aShape.length < 2 || bShape.length < 2) return undefined
  const m = transposeA ? aShape.at(-1)! : aShape.at(-2)!
  const kA = transposeA ? aShape.at(-2)! : aShape.at(-1)!
  const kB = transposeB ? bShape.at(-1)! : bShape.at(-2)!
  const n = transposeB ? bShape.at(-2)! : bShape.at(-1)!
  if (kA !== kB) return undefined
  const batchA = aShape.slice(0, -2)
  const batchB = bShape.slice(0, -2)
  const rank = Math.max(batchA.length, batchB.length)
  const batch: Array<number> = []
  for (let i = 0; i < rank; i++) {
    const x = batchA[batchA.length - rank + i] ?? 1
    const y = batchB[batchB.length - rank + i] ?? 1
    if (x !== y && x !== 1 && y !== 1) return undefined
    batch.push(x === 1 ? y : x)
  }
  return [...batch, m, n]
}

const size = (shape: ReadonlyArray<number>) => shape.reduce((n, d) => n * d, 1)

/**
 * Where the stock wasm kernel wins: it runs XNNPACK for un-batched, un-transposed products, which beats a call
 * into onnxruntime for tiny ones (~20 µs against ~30 µs below 64³ multiply-adds), for a small inner dim
 * (measured 1024×2 · 2×4096: 1.9 ms against 15 ms; 1024×8: 3.6 against 15; even at 16; MLAS ahead from 32), and
 * for one or two rows against a large weight (the LSTM cell at act(): 1×1024 · 1024×4096 0.39–0.47 ms against
 * 0.67–0.77, 2 rows 1.0 against 1.6–2.3; MLAS ahead from 8 rows: 1.1–2.2 against 2.3).
 */
const preferXnnpack = (aShape: ReadonlyArray<number>, outShape: ReadonlyArray<number>): boolean => {
  if (outShape.slice(0, -2).some((d) => d !== 1)) return false
  const k = aShape.at(-1)!
  const rows = outShape.at(-2)!
  return k <= 16 || rows <= 2 || size(outShape) * k <= 64 * 64 * 64
}

/**
 * The kernel function; `stock` runs what we do not handle.
 *
 * @since 0.1.0
 * @category kernels
 */
export const makeBatchMatMul =
  (engine: MatMulEngine, backendName: string, stock: tf.KernelFunc): tf.KernelFunc =>
  (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo }
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean }
    const storage = storageOf(backendName, args.backend)
    const outShape = matMulOutShape(a.shape, b.shape, transposeA, transposeB)
    if (storage === undefined || a.dtype !== "float32" || b.dtype !== "float32" || outShape === undefined) {
      return stock(args)
    }
    const empty = size(a.shape) === 0 || size(b.shape) === 0
    if (!empty && backendName === "wasm" && !transposeA && !transposeB && preferXnnpack(a.shape, outShape)) return stock(args)
    const out = storage.output(outShape)
    const y = storage.view(out) as Float32Array
    if (empty) {
      y.fill(0)
      return out
    }
    engine.matMul(storage.view(a) as Float32Array, a.shape, storage.view(b) as Float32Array, b.shape, transposeA, transposeB, y, outShape)
    return out
  }
