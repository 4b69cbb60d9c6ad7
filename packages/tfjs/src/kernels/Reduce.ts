/**
 * `Sum` over contiguous axes, and a zero-copy `Identity`, in JavaScript over the wasm heap.
 *
 * Every bias gradient and layer norm reduces over the batch axis, i.e. not the innermost one; tfjs-backend-wasm
 * 4.22 transposes the input first for that (1.2 ms for a 1280×128 column sum, 49 of them per reference-transformer
 * step). Here the input is seen as (outer, reduced, inner) and summed in place: rows for inner = 1, accumulated
 * row vectors otherwise (sums over the innermost axes stay on the stock kernel, which is fast there). The wasm
 * `Identity` copies its input; tensors are immutable, so sharing the data with a reference count (what the cpu
 * backend's `Identity` and every backend's `Reshape` do) is equivalent.
 *
 * @since 0.1.0
 */
import type * as tf from "@tensorflow/tfjs-core"
import { storageOf } from "./Storage.ts"

/**
 * The input seen as (outer, reduced, inner), or undefined when the reduced axes are not contiguous.
 *
 * @since 0.1.0
 * @category shapes
 */
export const reductionLayout = (
  shape: ReadonlyArray<number>,
  axes: ReadonlyArray<number>
): { outer: number; reduced: number; inner: number } | undefined => {
  const sorted = [...new Set(axes.map((a) => (a < 0 ? a + shape.length : a)))].sort((x, y) => x - y)
  if (sorted.length === 0) return { outer: shape.reduce((n, d) => n * d, 1), reduced: 1, inner: 1 }
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]! + 1) return undefined
  const first = sorted[0]!
  const last = sorted.at(-1)!
  if (first < 0 || last >= shape.length) return undefined
  const product = (from: number, to: number) => shape.slice(from, to).reduce((n, d) => n * d, 1)
  return { outer: product(0, first), reduced: product(first, last + 1), inner: product(last + 1, shape.length) }
}

/**
 * Sums `x` laid out as (outer, reduced, inner) into `out` (outer, inner).
 *
 * @since 0.1.0
 * @category kernels
 */
export const sumInto = (x: Float32Array, outer: number, reduced: number, inner: number, out: Float32Array): void => {
  if (inner === 1) {
    for (let o = 0, src = 0; o < outer; o++) {
      let acc = 0
      for (let r = 0; r < reduced; r++) acc += x[src++]!
      out[o] = acc
    }
    return
  }
  // float64 accumulators, as in the row case; four rows per pass over them (2.3x faster than one: the
  // accumulator row is loaded and stored a quarter as often; 1280×512 column sum 0.39 against 0.89 ms).
  const acc = new Float64Array(inner)
  for (let o = 0; o < outer; o++) {
    acc.fill(0)
    const base = o * reduced * inner
    let r = 0
    for (; r + 4 <= reduced; r += 4) {
      const a = base + r * inner
      const b = a + inner
      const c = b + inner
      const d = c + inner
      for (let i = 0; i < inner; i++) acc[i]! += x[a + i]! + x[b + i]! + x[c + i]! + x[d + i]!
    }
    for (; r < reduced; r++) {
      const a = base + r * inner
      for (let i = 0; i < inner; i++) acc[i]! += x[a + i]!
    }
    out.set(acc, o * inner)
  }
}

/**
 * The `Sum` kernel function; `stock` runs other dtypes and non-contiguous axes.
 *
 * @since 0.1.0
 * @category kernels
 */
export const makeSum =
  (backendName: string, stock: tf.KernelFunc): tf.KernelFunc =>
  (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo }
    const { axis, keepDims } = args.attrs as unknown as { axis: number | Array<number> | null; keepDims: boolean }
    // tfjs passes `null` for "every axis".
    const axes = (axis === null || axis === undefined ? x.shape.map((_, i) => i) : Array.isArray(axis) ? axis : [axis]).map(
      (a) => (a < 0 ? a + x.shape.length : a)
    )
    const layout = reductionLayout(x.shape, axes)
    const storage = storageOf(backendName, args.backend)
    // Innermost-axis sums are the stock kernel's fast case (1280×128 rows: 0.06 ms against 0.2 ms here).
    if (storage === undefined || x.dtype !== "float32" || layout === undefined || layout.inner === 1) return stock(args)
    const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i))
    const out = storage.output(outShape)
    sumInto(storage.view(x) as Float32Array, layout.outer, layout.reduced, layout.inner, storage.view(out) as Float32Array)
    return out
  }

/** The part of the wasm backend `Identity` needs. */
interface RefCounted {
  incRef(dataId: object): void
}

/**
 * The wasm `Identity` kernel function: shares the input's data (strings go to `stock`).
 *
 * @since 0.1.0
 * @category kernels
 */
export const makeIdentity =
  (stock: tf.KernelFunc): tf.KernelFunc =>
  (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo }
    if (x.dtype === "string") return stock(args)
    ;(args.backend as unknown as RefCounted).incRef(x.dataId)
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype }
  }
