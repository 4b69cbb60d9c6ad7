/**
 * The training progress line: step / total, a bar, steps/s, samples/s, ETA and the running loss. On a TTY it
 * redraws one line; elsewhere (logs, CI) it prints a line every `every` steps.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 @category models */
export interface TrainProgress {
  readonly step: number
  readonly totalSteps: number
  readonly epoch: number
  readonly stepsPerSecond: number
  readonly samplesPerSecond: number
  /** Exponential moving average of the training loss. */
  readonly runningLoss: number
  readonly lr: number
  readonly lastValLoss?: number | undefined
}

const duration = (seconds: number): string => {
  if (!Number.isFinite(seconds)) return "?"
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, "0")}s` : `${s}s`
}

/**
 * One progress line (no newline).
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatTrainProgress = (p: TrainProgress, width = 24): string => {
  const fraction = p.totalSteps > 0 ? Math.min(1, p.step / p.totalSteps) : 0
  const filled = Math.round(fraction * width)
  const eta = p.stepsPerSecond > 0 ? (p.totalSteps - p.step) / p.stepsPerSecond : Number.POSITIVE_INFINITY
  return `epoch ${p.epoch} step ${p.step}/${p.totalSteps} [${"#".repeat(filled)}${".".repeat(width - filled)}] ` +
    `${(fraction * 100).toFixed(0).padStart(3)}% ${p.stepsPerSecond.toFixed(2)} steps/s ${p.samplesPerSecond.toFixed(1)} samples/s ` +
    `ETA ${duration(eta)} loss ${p.runningLoss.toFixed(4)} lr ${p.lr.toExponential(2)}` +
    (p.lastValLoss !== undefined ? ` val ${p.lastValLoss.toFixed(4)}` : "")
}

/**
 * A printer for `onProgress`: redraws on a TTY, else one line every `every` calls.
 *
 * @since 0.1.0
 * @category formatting
 */
export const trainProgressPrinter = (stream: NodeJS.WriteStream = process.stderr, every = 10): ((p: TrainProgress) => void) => {
  let calls = 0
  return (p) => {
    calls += 1
    if (stream.isTTY) stream.write(`\r${formatTrainProgress(p)}\x1b[K${p.step >= p.totalSteps ? "\n" : ""}`)
    else if (calls % every === 0 || p.step >= p.totalSteps) stream.write(formatTrainProgress(p) + "\n")
  }
}
