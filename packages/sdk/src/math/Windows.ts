/**
 * Training windows over trajectories.
 *
 * - {@link chunkedEpisodeWindows}: RoboVLMs' `get_chunked_episode` (data_utils), one window of W history frames
 *   plus N future frames per trajectory step, with "sliding" or "range" sampling and optional left padding.
 * - {@link trainingWindows}: the DiskCalvinDataset sampling of reference/robovlms.md §5.2 (windows inside one
 *   language-annotated segment; frames past the segment end repeat the last frame and are masked out).
 * - {@link chunkWindow}: the collater's step from W + N frames to W chunks of N actions.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 @category models */
export type WindowSample = "sliding" | "range"

/** @since 0.1.0 @category models */
export interface ChunkedEpisodeOptions {
  /** Trajectory length (number of frames). */
  readonly trajLen: number
  readonly windowSize: number
  readonly fwdPredNextN: number
  /** "sliding": one window per step; "range": each window repeated W times, copy w masking its first w frames. */
  readonly windowSample?: WindowSample
  /** Also emit the first W − 1 windows that start before frame 0 (clamped to frame 0, masked). */
  readonly leftPad?: boolean
  /** Frame ids to map positions to (defaults to 0…trajLen − 1). */
  readonly episodeIdxRange?: ArrayLike<number>
}

/** @since 0.1.0 @category models */
export interface ChunkedEpisode {
  /** Rows of W + N frame ids. */
  readonly indices: Array<Array<number>>
  /** Rows of W + N flags: 1 = a real, supervised frame; 0 = padding. */
  readonly mask: Array<Array<number>>
}

/**
 * Window row for step t covers positions t − W + 1 … t + N; positions outside [0, trajLen) are clamped to the
 * nearest end (so right padding repeats the last frame) and masked. Without left padding the first W − 1 rows
 * are dropped. With "range" sampling every row is repeated W times and copy w also masks positions j < w.
 *
 * @since 0.1.0
 * @category windows
 */
export const chunkedEpisodeWindows = (options: ChunkedEpisodeOptions): ChunkedEpisode => {
  const { trajLen, windowSize: w, fwdPredNextN: n } = options
  const sample = options.windowSample ?? "sliding"
  const ids = options.episodeIdxRange
  if (!(Number.isInteger(trajLen) && trajLen > 0)) throw new RangeError(`trajLen must be a positive integer, got ${trajLen}`)
  if (!(Number.isInteger(w) && w > 0)) throw new RangeError(`windowSize must be a positive integer, got ${w}`)
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`fwdPredNextN must be a non-negative integer, got ${n}`)
  if (ids !== undefined && ids.length !== trajLen) {
    throw new RangeError(`episodeIdxRange has ${ids.length} ids but trajLen is ${trajLen}`)
  }
  const width = w + n
  const indices: Array<Array<number>> = []
  const mask: Array<Array<number>> = []
  // Row r (trajectory step r) covers positions r − W + 1 … r + N; without left padding rows r < W − 1 are dropped.
  for (let r = options.leftPad === true ? 0 : w - 1; r < trajLen; r++) {
    const rowIdx = new Array<number>(width)
    const rowMask = new Array<number>(width)
    for (let j = 0; j < width; j++) {
      const p = r - w + 1 + j
      rowMask[j] = p >= 0 && p < trajLen ? 1 : 0
      const clamped = p < 0 ? 0 : p > trajLen - 1 ? trajLen - 1 : p
      rowIdx[j] = ids === undefined ? clamped : ids[clamped]!
    }
    if (sample === "range") {
      for (let copy = 0; copy < w; copy++) {
        indices.push([...rowIdx])
        mask.push(rowMask.map((m, j) => (m === 1 && copy <= j ? 1 : 0)))
      }
    } else {
      indices.push(rowIdx)
      mask.push(rowMask)
    }
  }
  return { indices, mask }
}

/** @since 0.1.0 @category models */
export interface TrainingWindow {
  /** First frame id of the window. */
  readonly start: number
  /** W + N frame ids; ids past the segment end are replaced by the end frame. */
  readonly frames: Array<number>
  /** 1 where the frame lies before the segment end, 0 for frames at or past it (never supervised). */
  readonly mask: Array<number>
}

/**
 * All windows of one language-annotated segment [segmentStart, segmentEnd] (both inclusive): starts
 * s = segmentStart … segmentEnd − W (65 − W windows for a 65-frame CALVIN segment), frames s … s + W + N − 1.
 * Right padding r = min(0, end − s − N − W): the last |r| frames become the end frame and get mask 0.
 *
 * @since 0.1.0
 * @category windows
 */
export const trainingWindows = (
  segmentStart: number,
  segmentEnd: number,
  windowSize: number,
  fwdPredNextN: number
): Array<TrainingWindow> => {
  if (!(Number.isInteger(windowSize) && windowSize > 0)) throw new RangeError(`windowSize must be a positive integer`)
  if (!(Number.isInteger(fwdPredNextN) && fwdPredNextN >= 0)) throw new RangeError(`fwdPredNextN must be >= 0`)
  const width = windowSize + fwdPredNextN
  const windows: Array<TrainingWindow> = []
  for (let s = segmentStart; s <= segmentEnd - windowSize; s++) {
    const rightPad = Math.min(0, segmentEnd - s - fwdPredNextN - windowSize)
    const frames = new Array<number>(width)
    const mask = new Array<number>(width)
    for (let i = 0; i < width; i++) {
      const padded = i >= width + rightPad
      frames[i] = padded ? segmentEnd : s + i
      mask[i] = padded ? 0 : 1
    }
    windows.push({ start: s, frames, mask })
  }
  return windows
}

/** @since 0.1.0 @category models */
export interface WindowChunks<A> {
  /** W rows of N values: chunk[t] = values[t … t + N − 1]. */
  readonly chunks: Array<Array<A>>
  /** W rows of N mask flags, the same sliding window over the frame mask. */
  readonly chunkMask: Array<Array<number>>
}

/**
 * The collater's chunking (§5.2): from W + N per-frame values (actions) drop the last one, leaving W + N − 1, and
 * take chunk[t] = values[t … t + N − 1] for t = 0 … W − 1, with the same windows over the mask.
 *
 * @since 0.1.0
 * @category windows
 */
export const chunkWindow = <A>(
  values: ReadonlyArray<A>,
  mask: ReadonlyArray<number>,
  windowSize: number,
  fwdPredNextN: number
): WindowChunks<A> => {
  const width = windowSize + fwdPredNextN
  if (values.length !== width || mask.length !== width) {
    throw new RangeError(`expected ${width} values and mask flags, got ${values.length} and ${mask.length}`)
  }
  const chunks: Array<Array<A>> = []
  const chunkMask: Array<Array<number>> = []
  for (let t = 0; t < windowSize; t++) {
    chunks.push(values.slice(t, t + fwdPredNextN))
    chunkMask.push(mask.slice(t, t + fwdPredNextN))
  }
  return { chunks, chunkMask }
}
