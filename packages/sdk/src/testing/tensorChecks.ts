/**
 * Input checks shared by the mock plugins: the same errors a real plugin should raise for a wrong shape
 * (`"ShapeMismatch"`), a non-finite value (`"NonFinite"`) or use after release (`"Released"`).
 *
 * @since 0.1.0
 */
import { mulberry32 } from "../Random.ts"
import { SdkError } from "../SdkError.ts"
import { isAllFinite, sizeOf } from "../Tensor.ts"

/**
 * Fails unless `shape` matches `expected` (`undefined` entries match any size) and the data length fits.
 *
 * @since 0.1.0
 * @category checks
 */
export const checkShape = (
  what: string,
  tensor: { readonly data: ArrayLike<number>; readonly shape: ReadonlyArray<number> },
  expected: ReadonlyArray<number | undefined>,
  labels: string
): SdkError | undefined => {
  const { shape } = tensor
  const ok = shape.length === expected.length && expected.every((e, i) => e === undefined || e === shape[i])
  if (!ok) {
    return new SdkError({
      reason: "ShapeMismatch",
      subject: what,
      message: `${what}: expected shape (${labels}) = [${expected.map((e) => e ?? "*").join(", ")}], got [${shape.join(", ")}]`
    })
  }
  if (tensor.data.length !== sizeOf(shape)) {
    return new SdkError({
      reason: "ShapeMismatch",
      subject: what,
      message: `${what}: data has ${tensor.data.length} values but shape [${shape.join(", ")}] needs ${sizeOf(shape)}`
    })
  }
  return undefined
}

/**
 * Fails when any value is NaN or infinite.
 *
 * @since 0.1.0
 * @category checks
 */
export const checkFinite = (what: string, data: ArrayLike<number>): SdkError | undefined =>
  isAllFinite(data)
    ? undefined
    : new SdkError({ reason: "NonFinite", subject: what, message: `${what}: contains NaN or Infinity` })

/**
 * The error for a call after the plugin's Scope closed.
 *
 * @since 0.1.0
 * @category checks
 */
export const released = (plugin: string, method: string): SdkError =>
  new SdkError({
    reason: "Released",
    subject: plugin,
    message: `${plugin}.${method} called after its scope was closed (resources released)`
  })

/**
 * mulberry32: a tiny seeded PRNG so mock weights are identical for identical seeds, on every platform.
 *
 * @since 0.1.0
 * @category random
 */
export const seededRandom = (seed: number): (() => number) => mulberry32(seed)

/**
 * `count` weights uniform in ±`scale`.
 *
 * @since 0.1.0
 * @category random
 */
export const randomWeights = (random: () => number, count: number, scale: number): Float32Array => {
  const out = new Float32Array(count)
  for (let i = 0; i < count; i++) out[i] = (random() * 2 - 1) * scale
  return out
}
