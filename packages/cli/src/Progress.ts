/**
 * The one progress printer of the command line. Libraries (bench, collect, vl-pairs, train) only emit progress
 * events through their `onProgress` option; this module turns each kind of event into one line and prints it:
 * redrawn in place on a TTY (at most every 200 ms), on a pipe (CI logs) one line every few seconds, and the final
 * line always.
 *
 * @since 0.1.0
 */
import type { Progress as BenchProgress } from "@robovla/bench"
import { formatRates } from "@robovla/bench"
import type { Collect } from "@robovla/train"
import type { TrainProgress } from "@robovla/train/trainer"

/** Episodes and frames of a recording run (`collect`, `vl-pairs`); `annotated` counts segments per task. */
type RecordingProgress = Omit<Collect.CollectProgress, "annotated"> & { readonly annotated?: Collect.CollectProgress["annotated"] }

const BAR_WIDTH = 24

const bar = (done: number, total: number): string => {
  const filled = total <= 0 ? BAR_WIDTH : Math.round(Math.min(1, done / total) * BAR_WIDTH)
  return `[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}]`
}

const duration = (ms: number): string => {
  if (!Number.isFinite(ms)) return "?"
  const s = Math.round(ms / 1000)
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`
}

const shortTask = (task: string) => task.replace("_block", "").replace("rotate_", "rot_").replace("turn_", "").replace("lightbulb", "bulb")

/**
 * Writes progress lines to `stream`: `print(line, finished)`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const lineWriter = (stream: NodeJS.WriteStream = process.stderr, pipeIntervalMs = 5000) => {
  let last = Number.NEGATIVE_INFINITY
  return (line: string, finished: boolean): void => {
    const now = performance.now()
    if (!finished && now - last < (stream.isTTY ? 200 : pipeIntervalMs)) return
    last = now
    if (stream.isTTY) stream.write(`\r\x1b[2K${line}${finished ? "\n" : ""}`)
    else stream.write(`${line}\n`)
  }
}

/**
 * One benchmark line: chains done, the running 1…5 rates, elapsed time and ETA (from the chains run since this
 * printer started, so resumed chains do not skew it).
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatBenchProgress = (p: BenchProgress, label: string, doneAtStart: number): string => {
  const newly = p.done - doneAtStart
  const eta = newly > 0 && p.done < p.total ? ` eta ${duration(((p.total - p.done) * p.elapsedMs) / newly)}` : ""
  const workers = p.workers === undefined ? "" : ` | ${p.workers} worker(s) alive, ${newly > 0 ? ((newly * 60_000) / p.elapsedMs).toFixed(1) : "0"} chains/min`
  return `${label} ${bar(p.done, p.total)} ${p.done}/${p.total} | ${formatRates(p.summary)} | ${duration(p.elapsedMs)}${eta}${workers}`
}

/**
 * One recording line: episodes, frames, frames/s and, for collections, annotated segments per task.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatRecordingProgress = (p: RecordingProgress): string => {
  const fps = p.frames / Math.max(p.elapsedMs / 1000, 1e-9)
  const head = `${bar(p.episodesDone, p.episodesTotal)} episodes ${p.episodesDone}/${p.episodesTotal} | frames ${p.frames} | ${fps.toFixed(1)} frames/s`
  if (p.annotated === undefined) return head
  const tasks = Object.entries(p.annotated).sort(([a], [b]) => a.localeCompare(b)).map(([task, n]) => `${shortTask(task)}:${n}`).join(" ")
  const segments = Object.values(p.annotated).reduce((a, b) => a + b, 0)
  return `${head} | segments ${segments}${tasks === "" ? "" : ` | ${tasks}`}`
}

/**
 * One training line: step / total, steps/s, samples/s, ETA, the running loss, the learning rate and the last
 * validation loss.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatTrainProgress = (p: TrainProgress): string => {
  const fraction = p.totalSteps > 0 ? Math.min(1, p.step / p.totalSteps) : 0
  const eta = p.stepsPerSecond > 0 ? ((p.totalSteps - p.step) / p.stepsPerSecond) * 1000 : Number.POSITIVE_INFINITY
  return `epoch ${p.epoch} step ${p.step}/${p.totalSteps} ${bar(p.step, p.totalSteps)} ` +
    `${(fraction * 100).toFixed(0).padStart(3)}% ${p.stepsPerSecond.toFixed(2)} steps/s ${p.samplesPerSecond.toFixed(1)} samples/s ` +
    `ETA ${duration(eta)} loss ${p.runningLoss.toFixed(4)} lr ${p.lr.toExponential(2)}` +
    (p.lastValLoss !== undefined ? ` val ${p.lastValLoss.toFixed(4)}` : "")
}

/** @since 0.1.0 @category constructors */
export const benchProgressPrinter = (label: string, stream: NodeJS.WriteStream = process.stderr): ((p: BenchProgress) => void) => {
  const print = lineWriter(stream)
  let doneAtStart: number | undefined
  return (p) => {
    doneAtStart ??= p.done
    print(formatBenchProgress(p, label, doneAtStart), p.done === p.total)
  }
}

/** @since 0.1.0 @category constructors */
export const recordingProgressPrinter = (stream: NodeJS.WriteStream = process.stderr): ((p: RecordingProgress) => void) => {
  const print = lineWriter(stream)
  return (p) => print(formatRecordingProgress(p), p.episodesDone === p.episodesTotal)
}

/** @since 0.1.0 @category constructors */
export const trainProgressPrinter = (stream: NodeJS.WriteStream = process.stderr): ((p: TrainProgress) => void) => {
  const print = lineWriter(stream)
  return (p) => print(formatTrainProgress(p), p.step >= p.totalSteps)
}
