/**
 * Seeded weights for the mock plugins (their input checks are `Backbone.make` / `PolicyHead.make`'s, as for
 * every plugin).
 *
 * @since 0.1.0
 */
import { mulberry32 } from "../Random.ts"

/**
 * The SDK's seeded generator, so mock weights are identical for identical seeds, on every platform.
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
