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
