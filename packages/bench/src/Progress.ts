/**
 * A terminal progress line for long runs: chains done / total, the running 1…5 rates, elapsed time and ETA.
 * Redrawn in place on a TTY; on a pipe (CI logs) printed at most every few seconds.
 *
 * @since 0.1.0
 */
import type { Progress } from "./Runner.ts"
import { formatRates } from "./Results.ts"

const duration = (ms: number): string => {
  const s = Math.round(ms / 1000)
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`
}

/** @since 0.1.0 @category constructors */
export const progressPrinter = (stream: NodeJS.WriteStream = process.stderr, label = "bench") => {
  let lastPrint = 0
  let startDone: number | undefined
  return (p: Progress) => {
    startDone ??= p.done
    const now = performance.now()
    const finished = p.done === p.total
    if (!stream.isTTY && !finished && now - lastPrint < 5000) return
    lastPrint = now
    const width = 24
    const filled = Math.round((p.done / Math.max(1, p.total)) * width)
    const newly = p.done - startDone
    const eta = newly > 0 ? ((p.total - p.done) * p.elapsedMs) / newly : undefined
    const line = `${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${p.done}/${p.total} | ${formatRates(p.summary)} | ${duration(p.elapsedMs)}${eta !== undefined && !finished ? ` eta ${duration(eta)}` : ""}${p.workers === undefined ? "" : ` | ${p.workers} worker(s) alive, ${newly > 0 ? ((newly * 60_000) / p.elapsedMs).toFixed(1) : "0"} chains/min`}`
    if (stream.isTTY) stream.write(`\r\x1b[2K${line}${finished ? "\n" : ""}`)
    else stream.write(`${line}\n`)
  }
}
