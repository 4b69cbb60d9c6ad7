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
