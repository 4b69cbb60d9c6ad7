/**
 * A small seeded PRNG for shuffling and augmentation. Streams are derived from (seed, …keys) by hashing, so the
 * random numbers an item gets depend only on the seed, the epoch and the item, never on which thread built it or
 * in what order.
 *
 * @since 0.1.0
 */
import { mulberry32 } from "@robovla/sdk"

/** 32-bit mix (the murmur3 finaliser). */
const mix32 = (h: number): number => {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/**
 * Hashes integer keys into a 32-bit seed.
 *
 * @since 0.1.0
 * @category utils
 */
export const deriveSeed = (...keys: ReadonlyArray<number>): number => {
  let h = 0x9e3779b9
  for (const key of keys) {
    // Split doubles into two 32-bit words so keys above 2^32 still differ.
    const lo = key >>> 0
    const hi = Math.floor(key / 4294967296) >>> 0
    h = mix32(h ^ lo) + 0x6d2b79f5
    h = mix32(h ^ hi)
  }
  return h >>> 0
}

/**
 * The SDK's seeded generator (mulberry32: fast, 32-bit state, good enough for shuffles and crop offsets) with
 * an integer draw.
 *
 * @since 0.1.0
 * @category models
 */
export class Rng {
  private readonly uniform: () => number
  constructor(seed: number) {
    this.uniform = mulberry32(seed)
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.uniform()
  }
  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }
}

/**
 * A seeded Fisher–Yates permutation of 0…n − 1.
 *
 * @since 0.1.0
 * @category utils
 */
export const permutation = (n: number, seed: number): Uint32Array => {
  const out = new Uint32Array(n)
  for (let i = 0; i < n; i++) out[i] = i
  const rng = new Rng(seed)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1))
    const t = out[i]!
    out[i] = out[j]!
    out[j] = t
  }
  return out
}
