/**
 * CALVIN's on-disk layout (reference/calvin.md §7): one compressed `episode_XXXXXXX.npz` per 30 Hz frame,
 * `ep_start_end_ids.npy`, `ep_lens.npy`, `scene_info.npy`, `lang_annotations/auto_lang_ann.npy` and
 * `statistics.yaml`. Reading is lazy (one frame file at a time, only the keys asked for), so a 500k-frame split
 * is never held in memory. Writing produces files CALVIN's own Python loaders read (`np.load`, `.item()`).
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as fsp from "node:fs/promises"
import * as path from "node:path"
import { Episode, Schemas } from "@robovla/sdk"
import { Result } from "effect"
import { unzipSync } from "fflate"
import { TrainError } from "../TrainError.ts"
import type { NdArray, ObjectArray } from "./NdArray.ts"
import { ndarray, toNumbers } from "./NdArray.ts"
import { objectScalar, parseNpy, parseNpz, writeNpy, writeNpz } from "./Npy.ts"
import { PyTuple } from "./Pickle.ts"
import { DEFAULT_INSTRUCTIONS } from "@robovla/sim"
import { encodeSentence, encodeSentences, EMBEDDING_SIZE } from "./SentenceEncoder.ts"

/** Keys a frame may hold. @since 0.1.0 @category models */
export type FrameKey =
  | "actions"
  | "rel_actions"
  | "robot_obs"
  | "scene_obs"
  | "rgb_static"
  | "rgb_gripper"
  | "depth_static"
  | "depth_gripper"
  | "rgb_tactile"
  | "depth_tactile"

/** One frame: whatever keys were asked for. @since 0.1.0 @category models */
export type CalvinFrame = { readonly id: number } & Partial<Record<FrameKey, NdArray>>

/** An annotated language segment (inclusive frame ids). @since 0.1.0 @category models */
export interface LanguageAnnotation {
  readonly start: number
  readonly end: number
  readonly task: string
  readonly instruction: string
}

/** @since 0.1.0 @category utils */
export const frameFileName = (id: number): string => `episode_${String(id).padStart(7, "0")}.npz`

const readFile = (file: string): Uint8Array => {
  try {
    return fs.readFileSync(file)
  } catch (cause) {
    throw new TrainError({ reason: "MissingFile", message: `${file}: cannot read (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, file, cause })
  }
}

const asObject = (array: NdArray | ObjectArray, file: string): Record<string, unknown> => {
  const value = array.dtype === "|O" && array.shape.length === 0 ? (array.data as ReadonlyArray<unknown>)[0] : undefined
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TrainError({ reason: "CorruptFile", message: `${file}: expected a pickled dict (np.save of a dict)`, file })
  }
  return value as Record<string, unknown>
}

const pairs = (value: unknown, file: string, what: string): Array<[number, number]> => {
  const rows = Array.isArray(value) ? value : undefined
  if (rows === undefined) throw new TrainError({ reason: "CorruptFile", message: `${file}: ${what} is not a list`, file })
  return rows.map((row, i) => {
    const items = Array.isArray(row) ? row : (row as { data?: ArrayLike<number | bigint> })?.data
    if (items === undefined || items.length !== 2) throw new TrainError({ reason: "CorruptFile", message: `${file}: ${what}[${i}] is not a (start, end) pair`, file })
    return [Number(items[0]), Number(items[1])]
  })
}

const strings = (value: unknown, file: string, what: string): Array<string> => {
  const items = Array.isArray(value) ? value : (value as { dtype?: string; data?: ReadonlyArray<unknown> })?.dtype === "|O" ? (value as ObjectArray).data : undefined
  if (items === undefined || items.some((s) => typeof s !== "string")) throw new TrainError({ reason: "CorruptFile", message: `${file}: ${what} is not a list of strings`, file })
  return items as Array<string>
}

const decodeAnnotation = Schemas.decodeUnknownResult(Episode.LanguageAnnotationSchema, "language annotation")

/**
 * Reads `lang_annotations/auto_lang_ann.npy` into annotations.
 *
 * @since 0.1.0
 * @category decoding
 */
export const readLanguageAnnotations = (file: string): Array<LanguageAnnotation> => {
  const dict = asObject(parseNpy(readFile(file), file), file)
  const language = dict["language"] as Record<string, unknown> | undefined
  const info = dict["info"] as Record<string, unknown> | undefined
  if (language === undefined || info === undefined) throw new TrainError({ reason: "CorruptFile", message: `${file}: missing "language" or "info"`, file })
  const ann = strings(language["ann"], file, "language.ann")
  const task = strings(language["task"], file, "language.task")
  const indx = pairs(info["indx"], file, "info.indx")
  if (ann.length !== task.length || ann.length !== indx.length) {
    throw new TrainError({ reason: "CorruptFile", message: `${file}: language.ann (${ann.length}), language.task (${task.length}) and info.indx (${indx.length}) differ in length`, file })
  }
  return indx.map(([start, end], i) => {
    // Each entry through the SDK's boundary Schema (non-negative integer frame ids, end ≥ start).
    const annotation = decodeAnnotation({ start, end, ann: ann[i], task: task[i] })
    if (Result.isFailure(annotation)) throw new TrainError({ reason: "CorruptFile", message: `${file}: entry ${i}: ${annotation.failure.message}`, file, cause: annotation.failure })
    return { start, end, task: annotation.success.task, instruction: annotation.success.ann }
  })
}

/**
 * One split folder (`training/` or `validation/`), opened lazily.
 *
 * @since 0.1.0
 * @category models
 */
export class CalvinSplit {
  private constructor(
    readonly dir: string,
    /** Inclusive [start, end] frame ids of each contiguous recording. */
    readonly segments: ReadonlyArray<readonly [number, number]>,
    readonly sceneInfo: Readonly<Record<string, readonly [number, number]>>,
    readonly annotations: ReadonlyArray<LanguageAnnotation>
  ) {}

  /** Opens a split: reads the small index files, not the frames. */
  static open(dir: string): CalvinSplit {
    const idsFile = path.join(dir, "ep_start_end_ids.npy")
    const ids = parseNpy(readFile(idsFile), idsFile)
    if (ids.dtype === "|O" || ids.shape.length !== 2 || ids.shape[1] !== 2) {
      throw new TrainError({ reason: "CorruptFile", message: `${idsFile}: expected a (K, 2) integer array, got ${ids.dtype} [${ids.shape}]`, file: idsFile })
    }
    const flat = toNumbers(ids)
    const segments = Array.from({ length: ids.shape[0]! }, (_, k) => [flat[2 * k]!, flat[2 * k + 1]!] as const)
    const sceneFile = path.join(dir, "scene_info.npy")
    const sceneInfo: Record<string, readonly [number, number]> = {}
    if (fs.existsSync(sceneFile)) {
      const dict = asObject(parseNpy(readFile(sceneFile), sceneFile), sceneFile)
      for (const [scene, range] of Object.entries(dict)) sceneInfo[scene] = pairs([range], sceneFile, scene)[0]!
    }
    const annFile = path.join(dir, "lang_annotations", "auto_lang_ann.npy")
    const annotations = fs.existsSync(annFile) ? readLanguageAnnotations(annFile) : []
    return new CalvinSplit(dir, segments, sceneInfo, annotations)
  }

  /** Number of frames over all segments. */
  get frameCount(): number {
    return this.segments.reduce((n, [s, e]) => n + e - s + 1, 0)
  }

  /** Reads one frame, decompressing only the requested keys (all keys by default). */
  frame(id: number, keys?: ReadonlyArray<FrameKey>): CalvinFrame {
    const file = path.join(this.dir, frameFileName(id))
    const bytes = readFile(file)
    let arrays: Record<string, NdArray | ObjectArray>
    if (keys === undefined) {
      arrays = parseNpz(bytes, file)
    } else {
      const wanted = new Set(keys.map((k) => `${k}.npy`))
      let entries: Record<string, Uint8Array>
      try {
        entries = unzipSync(bytes, { filter: (f) => wanted.has(f.name) })
      } catch (cause) {
        throw new TrainError({ reason: "CorruptFile", message: `${file}: not a readable .npz archive`, file, cause })
      }
      arrays = {}
      for (const [name, data] of Object.entries(entries)) arrays[name.replace(/\.npy$/, "")] = parseNpy(data, `${file}:${name}`)
      const missing = keys.filter((k) => arrays[k] === undefined)
      if (missing.length > 0) throw new TrainError({ reason: "CorruptFile", message: `${file}: missing key(s) ${missing.join(", ")}`, file })
    }
    const frame: Record<string, unknown> = { id }
    for (const [key, array] of Object.entries(arrays)) {
      if (array.dtype === "|O") throw new TrainError({ reason: "CorruptFile", message: `${file}: key ${key} holds Python objects`, file })
      frame[key] = array
    }
    return frame as CalvinFrame
  }

  /** Streams frames start…end (inclusive) one at a time. */
  *frames(start: number, end: number, keys?: ReadonlyArray<FrameKey>): Generator<CalvinFrame> {
    for (let id = start; id <= end; id++) yield this.frame(id, keys)
  }
}

/**
 * The arrays of one frame to write; vectors may be given as plain number arrays.
 *
 * @since 0.1.0
 * @category models
 */
export interface FrameToWrite {
  readonly actions: ArrayLike<number>
  readonly rel_actions: ArrayLike<number>
  readonly robot_obs: ArrayLike<number>
  readonly scene_obs: ArrayLike<number>
  readonly rgb_static?: { readonly data: Uint8Array; readonly height: number; readonly width: number } | undefined
  readonly rgb_gripper?: { readonly data: Uint8Array; readonly height: number; readonly width: number } | undefined
  readonly depth_static?: { readonly data: Float32Array; readonly height: number; readonly width: number } | undefined
  readonly depth_gripper?: { readonly data: Float32Array; readonly height: number; readonly width: number } | undefined
}

/**
 * Encodes one frame as CALVIN does: float vectors as float64, images uint8 HWC, depth float32.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeFrame = (frame: FrameToWrite): Uint8Array => {
  const arrays: Record<string, NdArray> = {
    actions: ndarray(Float64Array.from(frame.actions)),
    rel_actions: ndarray(Float64Array.from(frame.rel_actions)),
    robot_obs: ndarray(Float64Array.from(frame.robot_obs)),
    scene_obs: ndarray(Float64Array.from(frame.scene_obs))
  }
  if (frame.rgb_static) arrays["rgb_static"] = ndarray(frame.rgb_static.data, [frame.rgb_static.height, frame.rgb_static.width, 3])
  if (frame.rgb_gripper) arrays["rgb_gripper"] = ndarray(frame.rgb_gripper.data, [frame.rgb_gripper.height, frame.rgb_gripper.width, 3])
  if (frame.depth_static) arrays["depth_static"] = ndarray(frame.depth_static.data, [frame.depth_static.height, frame.depth_static.width])
  if (frame.depth_gripper) arrays["depth_gripper"] = ndarray(frame.depth_gripper.data, [frame.depth_gripper.height, frame.depth_gripper.width])
  return writeNpz(arrays)
}

/**
 * Writes frame files as they come and the index files at the end. Frame ids are global and contiguous within
 * a segment; call `endSegment()` after the last frame of each recording.
 *
 * @since 0.1.0
 * @category constructors
 */
export class CalvinSplitWriter {
  private readonly segments: Array<[number, number]> = []
  private readonly annotations: Array<LanguageAnnotation> = []
  private segmentStart: number | undefined
  private lastId: number | undefined

  constructor(readonly dir: string) {
    fs.mkdirSync(path.join(dir, "lang_annotations"), { recursive: true })
  }

  async writeFrame(id: number, frame: FrameToWrite): Promise<void> {
    if (this.lastId !== undefined && this.segmentStart !== undefined && id !== this.lastId + 1) {
      throw new TrainError({ reason: "InvalidInput", message: `frame ${id} does not follow ${this.lastId} inside a segment; call endSegment() first` })
    }
    // Write to a temporary name and rename, so a killed writer never leaves a half-written frame file.
    const file = path.join(this.dir, frameFileName(id))
    await fsp.writeFile(`${file}.tmp`, encodeFrame(frame))
    await fsp.rename(`${file}.tmp`, file)
    this.segmentStart ??= id
    this.lastId = id
  }

  endSegment(): void {
    if (this.segmentStart !== undefined && this.lastId !== undefined) this.segments.push([this.segmentStart, this.lastId])
    this.segmentStart = undefined
    this.lastId = undefined
  }

  /** Adds a segment written elsewhere (e.g. by a worker) to the index. */
  addSegment(start: number, end: number): void {
    this.segments.push([start, end])
  }

  annotate(annotation: LanguageAnnotation): void {
    this.annotations.push(annotation)
  }

  /**
   * Writes `ep_start_end_ids.npy`, `ep_lens.npy`, `scene_info.npy`, `lang_annotations/auto_lang_ann.npy` (with
   * `language.emb` (N, 1, 384): given, else the project's sentence encoder, `SentenceEncoder.ts`) and
   * `lang_annotations/embeddings.npy` (task → {emb (1, 1, 384), ann [instruction]}) for the evaluation
   * instructions (given, else the simulator's built-in ones).
   */
  finish(options: {
    readonly sceneInfo?: Readonly<Record<string, readonly [number, number]>>
    readonly languageEmbeddings?: NdArray
    readonly evalInstructions?: Readonly<Record<string, string>>
  } = {}): void {
    this.endSegment()
    const segments = [...this.segments].sort((a, b) => a[0] - b[0])
    fs.writeFileSync(path.join(this.dir, "ep_start_end_ids.npy"), writeNpy(ndarray(BigInt64Array.from(segments.flat().map(BigInt)), [segments.length, 2])))
    fs.writeFileSync(path.join(this.dir, "ep_lens.npy"), writeNpy(ndarray(BigInt64Array.from(segments.map(([s, e]) => BigInt(e - s + 1))))))
    if (options.sceneInfo) {
      const info: Record<string, Array<number>> = {}
      for (const [scene, [s, e]] of Object.entries(options.sceneInfo)) info[scene] = [s, e]
      fs.writeFileSync(path.join(this.dir, "scene_info.npy"), writeNpy(objectScalar(info)))
    }
    const annotations = [...this.annotations].sort((a, b) => a.start - b.start)
    const language: Record<string, unknown> = {
      ann: annotations.map((a) => a.instruction),
      task: annotations.map((a) => a.task)
    }
    // CALVIN's language-conditioned loaders read `emb`; one embedding per annotation, as its files have.
    language["emb"] = options.languageEmbeddings ?? encodeSentences(annotations.map((a) => a.instruction))
    const evalInstructions = options.evalInstructions ?? Object.fromEntries(Object.entries(DEFAULT_INSTRUCTIONS).map(([task, i]) => [task, i.eval]))
    const evalEmbeddings: Record<string, unknown> = {}
    for (const [task, instruction] of Object.entries(evalInstructions)) {
      evalEmbeddings[task] = { emb: ndarray(encodeSentence(instruction), [1, 1, EMBEDDING_SIZE]), ann: [instruction] }
    }
    fs.writeFileSync(path.join(this.dir, "lang_annotations", "embeddings.npy"), writeNpy(objectScalar(evalEmbeddings)))
    fs.writeFileSync(
      path.join(this.dir, "lang_annotations", "auto_lang_ann.npy"),
      writeNpy(objectScalar({ language, info: { indx: annotations.map((a) => new PyTuple(a.start, a.end)), episodes: [] } }))
    )
  }
}
