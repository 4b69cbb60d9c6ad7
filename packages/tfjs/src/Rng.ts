/**
 * The SDK's seeded generator (`mulberry32`) with a normal draw on top, so that every weight init in the kit is
 * reproducible from the `seed` config field alone, on every backend, without touching tfjs' global random state.
 *
 * @since 0.1.0
 */
import { mulberry32 } from "@robovla/sdk"

/**
 * @since 0.1.0
 * @category models
 */
export interface Rng {
  /** Uniform in [0, 1). */
  readonly uniform: () => number
  /** Standard normal (Box–Muller). */
  readonly normal: () => number
}

/**
 * Builds a generator from a 32-bit seed. The same seed gives the same stream.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeRng = (seed: number): Rng => {
  const uniform = mulberry32(seed)
  let spare: number | undefined
  const normal = (): number => {
    if (spare !== undefined) {
      const value = spare
      spare = undefined
      return value
    }
    let u = uniform()
    while (u === 0) u = uniform()
    const v = uniform()
    const radius = Math.sqrt(-2 * Math.log(u))
    spare = radius * Math.sin(2 * Math.PI * v)
    return radius * Math.cos(2 * Math.PI * v)
  }
  return { uniform, normal }
}
