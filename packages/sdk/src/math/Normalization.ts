/**
 * Action normalisation (reference/robovlms.md §2): clip the arm dims to [min, max] and map them linearly to
 * [−1, 1]; the gripper (last dim) is kept as is. With the CALVIN bounds ±0.65 this is clip(a, ±0.65)/0.65.
 *
 * The inverse keeps the gripper too. (The reference's eval wrapper un-normalises all 7 dims, turning a 0/1
 * gripper into 0/0.65; that only works because 0.65 > 0.5, so it is not copied here; see §2.3.)
 *
 * @since 0.1.0
 */

/** CALVIN `norm_min`. @since 0.1.0 @category constants */
export const NORM_MIN = -0.65
/** CALVIN `norm_max`. @since 0.1.0 @category constants */
export const NORM_MAX = 0.65

const clip = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x)
/** The two per-value maps; every function below applies them to all dims but the gripper (the last). */
const toUnit = (a: number, min: number, max: number) => (2 * (clip(a, min, max) - min)) / (max - min) - 1
const fromUnit = (a: number, min: number, max: number) => 0.5 * (a + 1) * (max - min) + min

/**
 * a' = 2·(clip(a, min, max) − min)/(max − min) − 1 for every dim but the last.
 *
 * @since 0.1.0
 * @category normalisation
 */
export const normalizeAction = (action: ArrayLike<number>, min = NORM_MIN, max = NORM_MAX): Array<number> => {
  const out = Array.from(action)
  for (let i = 0; i < out.length - 1; i++) out[i] = toUnit(out[i]!, min, max)
  return out
}

/**
 * a = ½·(a' + 1)·(max − min) + min for every dim but the last (no clipping).
 *
 * @since 0.1.0
 * @category normalisation
 */
export const denormalizeAction = (action: ArrayLike<number>, min = NORM_MIN, max = NORM_MAX): Array<number> => {
  const out = Array.from(action)
  for (let i = 0; i < out.length - 1; i++) out[i] = fromUnit(out[i]!, min, max)
  return out
}

/**
 * {@link normalizeAction} over each row of an N×7 chunk.
 *
 * @since 0.1.0
 * @category normalisation
 */
export const normalizeChunk = (
  chunk: ReadonlyArray<ArrayLike<number>>,
  min = NORM_MIN,
  max = NORM_MAX
): Array<Array<number>> => chunk.map((row) => normalizeAction(row, min, max))

/**
 * {@link denormalizeAction} over each row of an N×7 chunk.
 *
 * @since 0.1.0
 * @category normalisation
 */
export const denormalizeChunk = (
  chunk: ReadonlyArray<ArrayLike<number>>,
  min = NORM_MIN,
  max = NORM_MAX
): Array<Array<number>> => chunk.map((row) => denormalizeAction(row, min, max))

/**
 * In-place normalisation of a flat row-major (…, dim) buffer, for hot loops over whole batches.
 *
 * @since 0.1.0
 * @category normalisation
 */
export const normalizeFlatInPlace = (
  data: Float32Array | Float64Array,
  dim = 7,
  min = NORM_MIN,
  max = NORM_MAX
): void => {
  for (let base = 0; base < data.length; base += dim) {
    for (let i = base; i < base + dim - 1; i++) data[i] = toUnit(data[i]!, min, max)
  }
}

/**
 * In-place inverse of {@link normalizeFlatInPlace}.
 *
 * @since 0.1.0
 * @category normalisation
 */
export const denormalizeFlatInPlace = (
  data: Float32Array | Float64Array,
  dim = 7,
  min = NORM_MIN,
  max = NORM_MAX
): void => {
  for (let base = 0; base < data.length; base += dim) {
    for (let i = base; i < base + dim - 1; i++) data[i] = fromUnit(data[i]!, min, max)
  }
}
