/**
 * The collection progress line on stderr: episodes, frames, frames/s and annotated segments per task. On a TTY it
 * redraws one line; otherwise it prints a line every `intervalMs`.
 *
 * @since 0.1.0
 */
import type { CollectProgress } from "./Collector.ts"

const short = (task: string) =>
  task
    .replace("_block", "")
    .replace("rotate_", "rot_")
    .replace("turn_", "")
    .replace("lightbulb", "bulb")

/**
 * One progress line.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatProgress = (p: CollectProgress): string => {
  const fps = p.frames / Math.max(p.elapsedMs / 1000, 1e-9)
  const width = 20
  const filled = p.episodesTotal === 0 ? width : Math.round((p.episodesDone / p.episodesTotal) * width)
  const bar = "#".repeat(filled) + ".".repeat(width - filled)
  const tasks = Object.entries(p.annotated)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([task, n]) => `${short(task)}:${n}`)
    .join(" ")
  const segments = Object.values(p.annotated).reduce((a, b) => a + b, 0)
  return `[${bar}] episodes ${p.episodesDone}/${p.episodesTotal} | frames ${p.frames} | ${fps.toFixed(1)} frames/s | segments ${segments}${tasks === "" ? "" : ` | ${tasks}`}`
}

/**
 * A progress callback writing to `stream` (stderr by default).
 *
 * @since 0.1.0
 * @category constructors
 */
export const progressPrinter = (stream: NodeJS.WriteStream = process.stderr, intervalMs = 5000): ((p: CollectProgress) => void) => {
  let last = 0
  return (p) => {
    const now = Date.now()
    const finished = p.episodesDone === p.episodesTotal
    if (stream.isTTY) {
      if (now - last < 200 && !finished) return
      last = now
      stream.write(`\r\x1b[2K${formatProgress(p)}`)
      if (finished) stream.write("\n")
    } else {
      if (now - last < intervalMs && !finished) return
      last = now
      stream.write(`${formatProgress(p)}\n`)
    }
  }
}
