/**
 * `Slice` as a strided copy in JavaScript over the backend's memory. tfjs-backend-wasm 4.22 has dedicated loops for
 * ranks 2–4 and contiguous slices only; every other slice goes through the cpu backend's generic `sliceImpl`
 * (a `TensorBuffer.get` per element, about 300 ns each): the discrete head's arm/gripper split of its
 * (B, T, N, 7, bins) logits took 365 ms per call. Merging the axes the slice takes whole makes it one loop of
 * contiguous runs at any rank.
 *
 * @since 0.1.0
 */
import type * as tf from "@tensorflow/tfjs-core"
import { storageOf } from "./Storage.ts"
import { stridedCopy } from "./Transpose.ts"

type Data = Float32Array | Int32Array

/**
 * The same slice with the fewest axes: drops axes of size 1 (their offset goes into `offset`) and merges an axis
 * into the one before it where the slice takes that inner axis whole. Returns the output's dims with their input
 * strides and the flat offset of the first element.
 *
 * @since 0.1.0
 * @category shapes
 */
export const reduceSlice = (
  shape: ReadonlyArray<number>,
  begin: ReadonlyArray<number>,
  size: ReadonlyArray<number>
): { dims: Array<number>; strides: Array<number>; offset: number } => {
  const rank = shape.length
  const inputStrides = new Array<number>(rank)
  let stride = 1
  for (let i = rank - 1; i >= 0; i--) {
    inputStrides[i] = stride
    stride *= shape[i]!
  }
  let offset = 0
  for (let i = 0; i < rank; i++) offset += begin[i]! * inputStrides[i]!
  const dims: Array<number> = []
  const strides: Array<number> = []
  for (let i = 0; i < rank; i++) {
    const d = size[i]!
    if (d === 1) continue
    const last = dims.length - 1
    // The previous kept axis steps over exactly this axis' whole extent: one axis of their product.
    if (last >= 0 && strides[last] === d * inputStrides[i]! && d === shape[i]) {
      dims[last] = dims[last]! * d
      strides[last] = inputStrides[i]!
    } else {
      dims.push(d)
      strides.push(inputStrides[i]!)
    }
  }
  return { dims, strides, offset }
}

/**
 * Writes the slice of `x` (of `shape`) at `begin` of `size` into `out`.
 *
 * @since 0.1.0
 * @category kernels
 */
export const sliceInto = (
  x: Data,
  shape: ReadonlyArray<number>,
  begin: ReadonlyArray<number>,
  size: ReadonlyArray<number>,
  out: Data
): void => {
  const { dims, offset, strides } = reduceSlice(shape, begin, size)
  stridedCopy(x, offset, dims, strides, out)
}

/**
 * The wasm `Slice` kernel function; `stock` runs dtypes other than float32 / int32 and a backend whose memory is
 * unknown. `begin` / `size` arrive normalised (`size` without −1) from tfjs-core's `slice` op.
 *
 * @since 0.1.0
 * @category kernels
 */
export const makeSlice =
  (backendName: string, stock: tf.KernelFunc): tf.KernelFunc =>
  (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo }
    const { begin, size } = args.attrs as unknown as { begin: Array<number>; size: Array<number> }
    const storage = storageOf(backendName, args.backend)
    if (storage === undefined || (x.dtype !== "float32" && x.dtype !== "int32")) return stock(args)
    const rank = x.shape.length
    const fullBegin = Array.from({ length: rank }, (_, i) => begin[i] ?? 0)
    const fullSize = Array.from({ length: rank }, (_, i) => {
      const s = size[i] ?? -1
      return s < 0 ? x.shape[i]! - fullBegin[i]! : s
    })
    // Out-of-range slices keep tfjs' own error.
    if (fullBegin.some((b, i) => b < 0 || b + fullSize[i]! > x.shape[i]!)) return stock(args)
    const out = storage.output(fullSize, x.dtype)
    sliceInto(storage.view(x), x.shape, fullBegin, fullSize, storage.view(out))
    return out
  }
