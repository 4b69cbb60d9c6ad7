/**
 * Engine-neutral tensors: a flat typed array plus its shape. Backbones and heads exchange these, so a
 * backbone on onnxruntime and a head on tfjs compose without either knowing the other's engine.
 *
 * Shapes are named in the type parameter (`FloatTensor<"B W latent D">`) so that signatures document them.
 *
 * @since 0.1.0
 */
import { SdkError } from "./SdkError.ts"

/**
 * A float32 tensor in row-major order. `Dims` is a documentation-only label such as `"B L D"`.
 *
 * @since 0.1.0
 * @category models
 */
export interface FloatTensor<Dims extends string = string> {
  readonly data: Float32Array
  readonly shape: ReadonlyArray<number>
  readonly dims?: Dims
}

/**
 * An int32 tensor (token ids, masks).
 *
 * @since 0.1.0
 * @category models
 */
export interface IntTensor<Dims extends string = string> {
  readonly data: Int32Array
  readonly shape: ReadonlyArray<number>
  readonly dims?: Dims
}

/**
 * @since 0.1.0
 * @category utils
 */
export const sizeOf = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

/**
 * Builds a float tensor, checking that the data length matches the shape.
 *
 * @since 0.1.0
 * @category constructors
 */
export const floatTensor = <Dims extends string = string>(
  data: Float32Array | ReadonlyArray<number>,
  shape: ReadonlyArray<number>
): FloatTensor<Dims> => {
  const array = data instanceof Float32Array ? data : Float32Array.from(data)
  if (array.length !== sizeOf(shape)) {
    throw new SdkError({
      reason: "ShapeMismatch",
      message: `tensor data has ${array.length} values but shape [${shape.join(", ")}] needs ${sizeOf(shape)}`
    })
  }
  return { data: array, shape: [...shape] }
}

/**
 * Builds an int tensor, checking that the data length matches the shape.
 *
 * @since 0.1.0
 * @category constructors
 */
export const intTensor = <Dims extends string = string>(
  data: Int32Array | ReadonlyArray<number>,
  shape: ReadonlyArray<number>
): IntTensor<Dims> => {
  const array = data instanceof Int32Array ? data : Int32Array.from(data)
  if (array.length !== sizeOf(shape)) {
    throw new SdkError({
      reason: "ShapeMismatch",
      message: `tensor data has ${array.length} values but shape [${shape.join(", ")}] needs ${sizeOf(shape)}`
    })
  }
  return { data: array, shape: [...shape] }
}

/**
 * True when every value is finite (no NaN, no ±Infinity).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isAllFinite = (data: ArrayLike<number>): boolean => {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return false
  return true
}

/**
 * The one dtype table of the repository: for each element type, its bytes per element, the typed array that holds
 * it in memory, and its name in numpy's `descr` spelling (little-endian: `.npy`, `.npz`, pickles, the openpi
 * wire) and in safetensors. Readers and writers of those formats derive their own tables from this one.
 * float16 and bfloat16 are held as their raw 16-bit patterns.
 *
 * @since 0.1.0
 * @category models
 */
export const DTYPES = {
  float32: { bytes: 4, array: Float32Array, numpy: "<f4", safetensors: "F32" },
  float64: { bytes: 8, array: Float64Array, numpy: "<f8", safetensors: undefined },
  int8: { bytes: 1, array: Int8Array, numpy: "|i1", safetensors: undefined },
  uint8: { bytes: 1, array: Uint8Array, numpy: "|u1", safetensors: "U8" },
  int16: { bytes: 2, array: Int16Array, numpy: "<i2", safetensors: undefined },
  uint16: { bytes: 2, array: Uint16Array, numpy: "<u2", safetensors: undefined },
  int32: { bytes: 4, array: Int32Array, numpy: "<i4", safetensors: "I32" },
  uint32: { bytes: 4, array: Uint32Array, numpy: "<u4", safetensors: undefined },
  int64: { bytes: 8, array: BigInt64Array, numpy: "<i8", safetensors: "I64" },
  uint64: { bytes: 8, array: BigUint64Array, numpy: "<u8", safetensors: undefined },
  bool: { bytes: 1, array: Uint8Array, numpy: "|b1", safetensors: "BOOL" },
  float16: { bytes: 2, array: Uint16Array, numpy: "<f2", safetensors: "F16" },
  bfloat16: { bytes: 2, array: Uint16Array, numpy: undefined, safetensors: "BF16" }
} as const

/**
 * An element type of `DTYPES`.
 *
 * @since 0.1.0
 * @category models
 */
export type Dtype = keyof typeof DTYPES

/**
 * The element type's name in numpy's `descr` spelling (`"<f4"`, `"|u1"`, …).
 *
 * @since 0.1.0
 * @category models
 */
export type NumpyDtype = NonNullable<(typeof DTYPES)[Dtype]["numpy"]>

/**
 * The element type's name in safetensors (`"F32"`, `"I64"`, …).
 *
 * @since 0.1.0
 * @category models
 */
export type SafetensorsDtypeName = NonNullable<(typeof DTYPES)[Dtype]["safetensors"]>

/**
 * The `DTYPES` entry named `name` in one spelling (`"numpy"` or `"safetensors"`), or undefined.
 *
 * @since 0.1.0
 * @category utils
 */
export const dtypeBy = (spelling: "numpy" | "safetensors", name: string): Dtype | undefined =>
  (Object.keys(DTYPES) as Array<Dtype>).find((d) => DTYPES[d][spelling] === name)

/**
 * The element type a typed array holds (the first `DTYPES` entry with its array: `Uint8Array` is uint8, not
 * bool; `Uint16Array` is uint16, not float16); undefined for other values.
 *
 * @since 0.1.0
 * @category utils
 */
export const dtypeOfArray = (data: unknown): Dtype | undefined =>
  (Object.keys(DTYPES) as Array<Dtype>).find((d) => data instanceof DTYPES[d].array)
