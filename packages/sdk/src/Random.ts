/**
 * A seeded uniform [0, 1) generator (mulberry32): small, fast and identical on every platform. Used wherever
 * robovla needs reproducible randomness that is not numpy's (mock weights, weight init, random policies,
 * randomised scenes); numpy-exact streams live in the simulator's chain generator.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category constructors
 */
export const mulberry32 = (seed: number): (() => number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A seeded stream with a normal draw beside the uniform one, for weight initialisation.
 *
 * @since 0.1.0
 * @category models
 */
export interface Rng {
  /** Uniform in [0, 1). */
  readonly uniform: () => number
  /** Standard normal (Box–Muller over two uniforms; the second value of each pair is kept for the next call). */
  readonly normal: () => number
}

/**
 * Builds an {@link Rng} over {@link mulberry32}. The same seed gives the same stream on every platform.
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
