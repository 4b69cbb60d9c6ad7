/**
 * numpy's legacy `RandomState` (MT19937) in TypeScript, bit-exact for the calls CALVIN's chain generator and
 * reset code make: `np.random.seed(int)`, `random_sample`/`uniform`, `shuffle`, `permutation` and
 * `choice(n, k, replace=False)`. Bit-exactness is what lets `generateEvalSequences` reproduce the published
 * 1000 evaluation chains instead of a statistically similar set.
 *
 * @since 0.1.0
 */

const N = 624
const M = 397
const MATRIX_A = 0x9908b0df | 0
const UPPER_MASK = 0x80000000 | 0
const LOWER_MASK = 0x7fffffff

/** Smallest all-ones mask covering `max` (max < 2³¹ here). */
const maskFor = (max: number): number => {
  let mask = max
  mask |= mask >>> 1
  mask |= mask >>> 2
  mask |= mask >>> 4
  mask |= mask >>> 8
  mask |= mask >>> 16
  return mask
}

/**
 * A numpy-legacy MT19937 stream.
 *
 * @since 0.1.0
 * @category models
 */
export class NumpyRandomState {
  /** State words stored as int32 so V8 keeps them small integers (bit patterns are what matter). */
  private readonly key = new Int32Array(N)
  private pos = N

  /** Seeds like `np.random.seed(seed)` with an integer in [0, 2³²). */
  constructor(seed: number) {
    this.seed(seed)
  }

  /** `np.random.seed(int)`: MT19937 `init_genrand`. */
  seed(seed: number): void {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`numpy seed must be an integer in [0, 2**32), got ${seed}`)
    }
    let s = seed >>> 0
    for (let i = 0; i < N; i++) {
      this.key[i] = s
      // 1812433253 * (s ^ (s >>> 30)) + i + 1, modulo 2^32
      s = (Math.imul(1812433253, (s ^ (s >>> 30)) >>> 0) + i + 1) >>> 0
    }
    this.pos = N
  }

  /** MT19937 `init_by_array` (numpy's seeding from an array of 32-bit words). */
  seedByArray(words: ReadonlyArray<number>): void {
    this.seed(19650218)
    const mt = this.key
    let i = 1
    let j = 0
    const len = words.length
    for (let k = Math.max(N, len); k > 0; k--) {
      const prev = (mt[i - 1]! ^ (mt[i - 1]! >>> 30)) >>> 0
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1664525)) + (words[j]! >>> 0) + j) >>> 0
      i++
      j++
      if (i >= N) {
        mt[0] = mt[N - 1]!
        i = 1
      }
      if (j >= len) j = 0
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = (mt[i - 1]! ^ (mt[i - 1]! >>> 30)) >>> 0
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1566083941)) - i) >>> 0
      i++
      if (i >= N) {
        mt[0] = mt[N - 1]!
        i = 1
      }
    }
    mt[0] = 0x80000000
    this.pos = N
  }

  private generate(): void {
    const mt = this.key
    let kk = 0
    for (; kk < N - M; kk++) {
      const y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK)
      mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A)
    }
    for (; kk < N - 1; kk++) {
      const y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK)
      mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A)
    }
    const y = (mt[N - 1]! & UPPER_MASK) | (mt[0]! & LOWER_MASK)
    mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A)
    this.pos = 0
  }

  /** The next tempered 32-bit output (`genrand_int32`). */
  nextUint32(): number {
    if (this.pos >= N) this.generate()
    let y = this.key[this.pos++]!
    y ^= y >>> 11
    y ^= (y << 7) & 0x9d2c5680
    y ^= (y << 15) & 0xefc60000
    y ^= y >>> 18
    return y >>> 0
  }

  /** `random_sample()`: a 53-bit double in [0, 1) from two outputs, (a >> 5, b >> 6). */
  randomSample(): number {
    const a = this.nextUint32() >>> 5
    const b = this.nextUint32() >>> 6
    return (a * 67108864 + b) / 9007199254740992
  }

  /** `uniform(low, high)` = low + (high − low)·random_sample(). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.randomSample()
  }

  /** numpy's `random_interval(max)`: uniform integer in [0, max] by masked rejection (max < 2³²). */
  interval(max: number): number {
    if (max === 0) return 0
    let mask = max
    mask |= mask >>> 1
    mask |= mask >>> 2
    mask |= mask >>> 4
    mask |= mask >>> 8
    mask |= mask >>> 16
    mask >>>= 0
    let value: number
    do {
      value = (this.nextUint32() & mask) >>> 0
    } while (value > max)
    return value
  }

  /** `shuffle(x)` in place (Fisher–Yates from the end, numpy's order of draws). */
  shuffle<A>(items: Array<A>): void {
    for (let i = items.length - 1; i >= 1; i--) {
      const j = this.interval(i)
      const t = items[i]!
      items[i] = items[j]!
      items[j] = t
    }
  }

  /** `permutation(n)`: a shuffled `arange(n)`. */
  permutation(n: number): Array<number> {
    const out = Array.from({ length: n }, (_, i) => i)
    this.shuffle(out)
    return out
  }

  /** `permutation(n)` written into `out` (length n) without allocating: the hot path of chain generation. */
  permutationInto(out: Int32Array): void {
    for (let i = 0; i < out.length; i++) out[i] = i
    const key = this.key
    let pos = this.pos
    for (let i = out.length - 1; i >= 1; i--) {
      // random_interval(i), with genrand_int32 inlined (same draws as `interval`).
      const mask = maskFor(i)
      let j: number
      do {
        if (pos >= N) {
          this.generate()
          pos = 0
        }
        let y = key[pos++]!
        y ^= y >>> 11
        y ^= (y << 7) & 0x9d2c5680
        y ^= (y << 15) & 0xefc60000
        y ^= y >>> 18
        j = y & mask
      } while (j > i)
      const t = out[i]!
      out[i] = out[j]!
      out[j] = t
    }
    this.pos = pos
  }

  /** `choice(n, k, replace=False)` with uniform probabilities: `permutation(n)[:k]`. */
  choiceWithoutReplacement(n: number, k: number): Array<number> {
    if (k > n) throw new RangeError(`cannot take ${k} of ${n} without replacement`)
    return this.permutation(n).slice(0, k)
  }
}

/**
 * `np.array_split(range(total), parts)` sizes: the first `total % parts` parts get one extra element.
 *
 * @since 0.1.0
 * @category utils
 */
export const arraySplitSizes = (total: number, parts: number): Array<number> => {
  const base = Math.floor(total / parts)
  const extra = total % parts
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0))
}

/**
 * FNV-1 32-bit hash with initial value `seed` (pyhash `fnv1_32()` uses 0) over bytes.
 *
 * @since 0.1.0
 * @category utils
 */
export const fnv1_32 = (bytes: Uint8Array, seed = 0): number => {
  let h = seed >>> 0
  for (let i = 0; i < bytes.length; i++) {
    h = Math.imul(h, 16777619) >>> 0
    h = (h ^ bytes[i]!) >>> 0
  }
  return h
}

/**
 * pyhash's `fnv1_32()(text)` for a Python 3 `str` on Linux: FNV-1 over the UTF-16-LE bytes, initial value 0.
 *
 * @since 0.1.0
 * @category utils
 */
export const pyhashFnv1_32 = (text: string): number => {
  const bytes = new Uint8Array(text.length * 2)
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    bytes[2 * i] = unit & 0xff
    bytes[2 * i + 1] = unit >>> 8
  }
  return fnv1_32(bytes)
}
