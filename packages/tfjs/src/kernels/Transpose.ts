/**
 * `Transpose` as a strided copy in JavaScript over the backend's memory. tfjs-backend-wasm 4.22's kernel takes
 * 30–40 ms for the rank-5 head split of a 16×80×384 attention input (about 150 ns per element); this loop, after
 * merging axes that stay adjacent, copies contiguous runs and is two orders of magnitude faster.
 *
 * @since 0.1.0
 */
import type * as tf from "@tensorflow/tfjs-core"
import { storageOf } from "./Storage.ts"

type Data = Float32Array | Int32Array

/**
 * Drops size-1 axes and merges input axes that stay adjacent and in order in the output: the same copy
 * expressed with the fewest axes. Returns the reduced input shape and permutation.
 *
 * @since 0.1.0
 * @category shapes
 */
export const reducePermutation = (
  shape: ReadonlyArray<number>,
  perm: ReadonlyArray<number>
): { shape: Array<number>; perm: Array<number> } => {
  // Renumber the axes left after dropping size-1 ones, so axes around a dropped one count as adjacent.
  const kept = shape.flatMap((d, i) => (d === 1 ? [] : [i]))
  const keptShape = kept.map((i) => shape[i]!)
  const keptPerm = perm.filter((p) => shape[p] !== 1).map((p) => kept.indexOf(p))
  // Group output-ordered axes into runs of consecutive input axes.
  const runs: Array<Array<number>> = []
  for (const p of keptPerm) {
    const last = runs.at(-1)
    if (last !== undefined && last.at(-1)! + 1 === p) last.push(p)
    else runs.push([p])
  }
  // Each run becomes one axis; number them in input order.
  const byInput = [...runs].sort((x, y) => x[0]! - y[0]!)
  const reducedShape = byInput.map((run) => run.reduce((n, axis) => n * keptShape[axis]!, 1))
  const reducedPerm = runs.map((run) => byInput.indexOf(run))
  return { shape: reducedShape, perm: reducedPerm }
}

/**
 * Writes `x` (of `shape`) permuted by `perm` into `out`.
 *
 * @since 0.1.0
 * @category kernels
 */
export const transposeInto = (x: Data, shape: ReadonlyArray<number>, perm: ReadonlyArray<number>, out: Data): void => {
  const reduced = reducePermutation(shape, perm)
  const rank = reduced.shape.length
  if (rank <= 1) {
    out.set(x.subarray(0, out.length))
    return
  }
  const inStrides = new Array<number>(rank)
  inStrides[rank - 1] = 1
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1]! * reduced.shape[i + 1]!
  const outShape = reduced.perm.map((p) => reduced.shape[p]!)
  const stride = reduced.perm.map((p) => inStrides[p]!)
  const inner = outShape[rank - 1]!
  const innerStride = stride[rank - 1]!
  if (rank === 2) {
    transpose2d(x, outShape[0]!, inner, stride[0]!, innerStride, out)
    return
  }
  stridedCopy(x, 0, outShape, stride, out)
}

/**
 * Writes into `out` (contiguous, of `dims`) the values of `x` starting at `offset` and stepping `strides[i]`
 * along output axis i: the copy behind both a transpose and a slice once their axes are reduced.
 *
 * @since 0.1.0
 * @category kernels
 */
export const stridedCopy = (
  x: Data,
  offset: number,
  dims: ReadonlyArray<number>,
  strides: ReadonlyArray<number>,
  out: Data
): void => {
  const total = out.length
  if (total === 0) return
  const rank = dims.length
  if (rank === 0 || (rank === 1 && strides[0] === 1)) {
    out.set(x.subarray(offset, offset + total))
    return
  }
  // Odometer over the outer output axes; the innermost axis is a strided (or, if it was merged, contiguous) run.
  const inner = dims[rank - 1]!
  const innerStride = strides[rank - 1]!
  const outer = dims.slice(0, -1)
  const outerStride = strides.slice(0, -1)
  const index = new Array<number>(outer.length).fill(0)
  let src = offset
  let dst = 0
  const advance = (): void => {
    for (let axis = outer.length - 1; axis >= 0; axis--) {
      index[axis]++
      src += outerStride[axis]!
      if (index[axis]! < outer[axis]!) break
      src -= outerStride[axis]! * outer[axis]!
      index[axis] = 0
    }
  }
  // On wasm both are views of one heap: contiguous runs then go through `copyWithin` (a memmove, no view per
  // run), 2.5x faster than the loop for the 32-float runs of the attention head split.
  if (innerStride === 1 && inner >= 16 && x.buffer === out.buffer && x.BYTES_PER_ELEMENT === out.BYTES_PER_ELEMENT) {
    const heap = x instanceof Float32Array ? new Float32Array(x.buffer) : new Int32Array(x.buffer)
    const xBase = x.byteOffset / x.BYTES_PER_ELEMENT
    const outBase = out.byteOffset / out.BYTES_PER_ELEMENT
    while (dst < total) {
      heap.copyWithin(outBase + dst, xBase + src, xBase + src + inner)
      dst += inner
      advance()
    }
    return
  }
  while (dst < total) {
    if (innerStride === 1 && inner >= 256) {
      out.set(x.subarray(src, src + inner), dst)
      dst += inner
    } else {
      // Short or strided runs: a loop beats allocating a subarray view per run.
      for (let j = 0, s = src; j < inner; j++, s += innerStride) out[dst++] = x[s]!
    }
    advance()
  }
}

/** out (rows, cols) ← x read at row stride `rowStride`, column stride `colStride`; tiled to stay in cache. */
const transpose2d = (x: Data, rows: number, cols: number, rowStride: number, colStride: number, out: Data): void => {
  const tile = 32
  for (let r0 = 0; r0 < rows; r0 += tile) {
    const r1 = Math.min(r0 + tile, rows)
    for (let c0 = 0; c0 < cols; c0 += tile) {
      const c1 = Math.min(c0 + tile, cols)
      for (let r = r0; r < r1; r++) {
        let s = r * rowStride + c0 * colStride
        let d = r * cols + c0
        for (let c = c0; c < c1; c++, s += colStride) out[d++] = x[s]!
      }
    }
  }
}

/**
 * The kernel function; `stock` runs dtypes other than float32 / int32.
 *
 * @since 0.1.0
 * @category kernels
 */
export const makeTranspose =
  (backendName: string, stock: tf.KernelFunc): tf.KernelFunc =>
  (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo }
    const { perm } = args.attrs as unknown as { perm: Array<number> }
    const storage = storageOf(backendName, args.backend)
    if (storage === undefined || (x.dtype !== "float32" && x.dtype !== "int32")) return stock(args)
    const out = storage.output(
      perm.map((p) => x.shape[p]!),
      x.dtype
    )
    transposeInto(storage.view(x), x.shape, perm, storage.view(out))
    return out
  }

/**
 * The wasm `Unpack` (`tf.unstack`) kernel function: each output is a strided run of contiguous blocks, copied
 * with `set` (the stock kernel slices through the generic path, 3.4 ms per 3×64×80×32 split of q, k, v).
 *
 * @since 0.1.0
 * @category kernels
 */
export const makeUnpack =
  (backendName: string, stock: tf.KernelFunc): tf.KernelFunc =>
  (args) => {
    const { value } = args.inputs as { value: tf.TensorInfo }
    const { axis } = args.attrs as unknown as { axis: number }
    const storage = storageOf(backendName, args.backend)
    if (storage === undefined || (value.dtype !== "float32" && value.dtype !== "int32")) return stock(args)
    const a = axis < 0 ? axis + value.shape.length : axis
    const count = value.shape[a]!
    const outer = value.shape.slice(0, a).reduce((n, d) => n * d, 1)
    const inner = value.shape.slice(a + 1).reduce((n, d) => n * d, 1)
    const outShape = value.shape.filter((_, i) => i !== a)
    // Allocate every output before taking views: an allocation may grow the wasm heap.
    const outs = Array.from({ length: count }, () => storage.output(outShape, value.dtype as "float32" | "int32"))
    const x = storage.view(value)
    outs.forEach((out, i) => {
      const y = storage.view(out)
      for (let o = 0; o < outer; o++) {
        const src = (o * count + i) * inner
        y.set(x.subarray(src, src + inner), o * inner)
      }
    })
    return outs
  }
