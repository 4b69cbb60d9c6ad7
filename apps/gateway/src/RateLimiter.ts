/**
 * Per-key token buckets: `requestsPerSecond` refill, `burst` capacity. A refused call learns how many
 * seconds until its next token (the `Retry-After` header).
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category models
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    readonly requestsPerSecond: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now() / 1000
  ) {}

  /** Takes a token for `key`; returns 0 when allowed, else the seconds to wait. */
  take(key: string): number {
    const now = this.now()
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now }
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.requestsPerSecond)
    bucket.at = now
    this.buckets.set(key, bucket)
    if (this.buckets.size > 100_000) this.buckets.clear() // bound memory under key-spraying
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return 0
    }
    return (1 - bucket.tokens) / this.requestsPerSecond
  }
}
