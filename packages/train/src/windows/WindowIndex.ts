/**
 * The RoboVLMs sampling over a CALVIN split (reference/robovlms.md §5.2, §8.5): every window inside every
 * language-annotated segment is one dataset item. The index is compact (one prefix-sum entry per annotation) and
 * computes an item's frame ids and mask on demand with the SDK's window math, so a split with a million windows
 * costs a few hundred kilobytes, not the windows themselves.
 *
 * Two samplings:
 * - `"segment"` (default): DiskCalvinDataset, `ActionMath.trainingWindows`: starts s = start … end − W, frames past
 *   the segment end repeat the end frame, and the end frame itself is never supervised.
 * - `"chunked"`: RoboVLMs' `get_chunked_episode`, `ActionMath.chunkedEpisodeWindows` over the segment's frames
 *   (sliding / range sampling, optional left padding).
 *
 * @since 0.1.0
 */
import { ActionMath } from "@robovla/sdk"
import type { LanguageAnnotation } from "../data/CalvinDataset.ts"
import { TrainError } from "../TrainError.ts"

/** @since 0.1.0 @category models */
export type WindowSampling = "segment" | "chunked"

/** @since 0.1.0 @category models */
export interface WindowOptions {
  /** W: history frames fed to the model. */
  readonly windowSize: number
  /** N: future actions per chunk. */
  readonly fwdPredNextN: number
  readonly sampling?: WindowSampling
  /** Only for `"chunked"`. */
  readonly windowSample?: ActionMath.WindowSample
  /** Only for `"chunked"`. */
  readonly leftPad?: boolean
}

/** One dataset item: W + N frame ids with their supervision mask, and its annotation. @since 0.1.0 @category models */
export interface WindowItem {
  /** Position of the item in the index. */
  readonly index: number
  /** Position of its annotation in the split's annotation list. */
  readonly annotation: number
  readonly task: string
  readonly instruction: string
  /** W + N global frame ids (padding repeats a boundary frame). */
  readonly frames: ReadonlyArray<number>
  /** W + N flags, 1 = real supervised frame, 0 = padding. */
  readonly mask: ReadonlyArray<number>
}

const checkOptions = (options: WindowOptions): void => {
  const { windowSize: w, fwdPredNextN: n } = options
  if (!(Number.isInteger(w) && w > 0)) throw new TrainError({ reason: "InvalidInput", message: `windowSize must be a positive integer, got ${w}` })
  if (!(Number.isInteger(n) && n >= 0)) throw new TrainError({ reason: "InvalidInput", message: `fwdPredNextN must be a non-negative integer, got ${n}` })
}

/**
 * All window items of a list of annotations.
 *
 * @since 0.1.0
 * @category constructors
 */
export class WindowIndex {
  /** offsets[k] = number of items before annotation k; offsets[K] = total. */
  private readonly offsets: Float64Array
  private cache: { annotation: number; rows: { frames: Array<Array<number>>; mask: Array<Array<number>> } } | undefined

  constructor(
    readonly annotations: ReadonlyArray<LanguageAnnotation>,
    readonly options: WindowOptions
  ) {
    checkOptions(options)
    this.offsets = new Float64Array(annotations.length + 1)
    const perLength = new Map<number, number>()
    annotations.forEach((a, k) => {
      if (!(Number.isInteger(a.start) && Number.isInteger(a.end) && a.end >= a.start)) {
        throw new TrainError({ reason: "InvalidInput", message: `annotation ${k} (${a.task}) has an invalid range [${a.start}, ${a.end}]` })
      }
      const length = a.end - a.start + 1
      let count = perLength.get(length)
      if (count === undefined) {
        count = this.rowsFor(a.start, a.end).frames.length
        perLength.set(length, count)
      }
      this.offsets[k + 1] = this.offsets[k]! + count
    })
  }

  /** Number of items. */
  get size(): number {
    return this.offsets[this.annotations.length]!
  }

  /** Frames per item (W + N). */
  get width(): number {
    return this.options.windowSize + this.options.fwdPredNextN
  }

  private rowsFor(start: number, end: number): { frames: Array<Array<number>>; mask: Array<Array<number>> } {
    const { windowSize, fwdPredNextN } = this.options
    if ((this.options.sampling ?? "segment") === "segment") {
      const windows = ActionMath.trainingWindows(start, end, windowSize, fwdPredNextN)
      return { frames: windows.map((w) => w.frames), mask: windows.map((w) => w.mask) }
    }
    const trajLen = end - start + 1
    const episode = ActionMath.chunkedEpisodeWindows({
      trajLen,
      windowSize,
      fwdPredNextN,
      windowSample: this.options.windowSample ?? "sliding",
      leftPad: this.options.leftPad ?? false,
      episodeIdxRange: Array.from({ length: trajLen }, (_, i) => start + i)
    })
    return { frames: episode.indices, mask: episode.mask }
  }

  /** The annotation holding item i (binary search over the prefix sums). */
  private annotationOf(i: number): number {
    let lo = 0
    let hi = this.annotations.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.offsets[mid]! <= i) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  /** Item i (0 ≤ i < size). */
  item(i: number): WindowItem {
    if (!(Number.isInteger(i) && i >= 0 && i < this.size)) {
      throw new TrainError({ reason: "InvalidInput", message: `window item ${i} is out of range [0, ${this.size})` })
    }
    const k = this.annotationOf(i)
    const a = this.annotations[k]!
    if (this.cache?.annotation !== k) this.cache = { annotation: k, rows: this.rowsFor(a.start, a.end) }
    const row = i - this.offsets[k]!
    return {
      index: i,
      annotation: k,
      task: a.task,
      instruction: a.instruction,
      frames: this.cache.rows.frames[row]!,
      mask: this.cache.rows.mask[row]!
    }
  }
}
