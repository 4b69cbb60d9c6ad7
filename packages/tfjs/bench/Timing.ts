/**
 * Small timing helpers for the kit's bench: medians / percentiles of wall-clock runs after a warm-up.
 */
import * as os from "node:os"

export interface Timed {
  readonly samples: ReadonlyArray<number>
  readonly p50: number
  readonly p90: number
}

export const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!

export const summarise = (samples: ReadonlyArray<number>): Timed => {
  const sorted = [...samples].sort((a, b) => a - b)
  return { samples, p50: percentile(sorted, 50), p90: percentile(sorted, 90) }
}

/** Runs `f` `warmup` times untimed, then `runs` times timed (ms). */
export const time = async (f: () => unknown | Promise<unknown>, warmup: number, runs: number): Promise<Timed> => {
  for (let i = 0; i < warmup; i++) await f()
  const samples: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await f()
    samples.push(performance.now() - t0)
  }
  return summarise(samples)
}

export const load = (): string => os.loadavg().map((x) => x.toFixed(1)).join(" ")

export const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))

export const envInt = (name: string, fallback: number): number => {
  const raw = process.env[name]
  const n = raw === undefined ? NaN : Number(raw)
  return Number.isInteger(n) && n >= 0 ? n : fallback
}
