/**
 * A small seeded random generator (mulberry32) so that head initialisation is reproducible from the `seed`
 * config field alone, on every backend, without touching tfjs' global random state.
 *
 * @since 0.1.0
 */

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
  let state = seed >>> 0
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
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
