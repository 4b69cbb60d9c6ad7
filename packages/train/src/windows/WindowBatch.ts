/**
 * Window items → a training batch, the RoboVLMs CALVIN collater (reference/robovlms.md §2.2, §5.2, §8.3):
 * W + N frames per item; per item the (W + N) actions are normalised (±0.65, gripper kept), the last one is dropped
 * and chunk[t] = actions[t … t + N − 1] with the same sliding window over the frame mask; the gripper becomes the
 * 0/1 loss label. The first W frames' images are the model input, optionally preprocessed for a backbone and
 * randomly shifted (static pad 10, gripper pad 4, per frame).
 *
 * This is the plain-function layer the loader and its worker threads call; it reads only the keys it needs from
 * only the frames it needs (future frames contribute actions, never images).
 *
 * @since 0.1.0
 */
import type { FloatTensor, ImagePreprocessing } from "@robovla/sdk"
import { ActionMath, Assembly } from "@robovla/sdk"
import type { CalvinFrame, CalvinSplit, FrameKey } from "../data/CalvinDataset.ts"
import type { NdArray } from "../data/NdArray.ts"
import { TrainError } from "../TrainError.ts"
import { drawShift, GRIPPER_SHIFT_PAD, shiftChwInPlace, shiftHwcInto, STATIC_SHIFT_PAD } from "./Augment.ts"
import { Rng } from "./Random.ts"
import type { WindowIndex, WindowItem } from "./WindowIndex.ts"

/** A uint8 tensor (images). @since 0.1.0 @category models */
export interface ByteTensor<Dims extends string = string> {
  readonly data: Uint8Array
  readonly shape: ReadonlyArray<number>
  readonly dims?: Dims
}

/** Images as stored (`"uint8"`, B W H W 3), preprocessed for a backbone (B W 3 S S float), or not loaded. @since 0.1.0 @category models */
export type ImageMode = "uint8" | "none" | { readonly preprocessing: ImagePreprocessing }

/** @since 0.1.0 @category models */
export type Camera = "static" | "gripper"

/** How items become batches. @since 0.1.0 @category models */
export interface BatchOptions {
  /** Which per-frame action key to learn: CALVIN's `rel_actions` (default) or the absolute `actions`. */
  readonly actionKey?: "rel_actions" | "actions"
  readonly images?: ImageMode
  /** Cameras to load (default both). */
  readonly cameras?: ReadonlyArray<Camera>
  /** Random shift; `true` = pads 10 (static) / 4 (gripper). Default off (validation). */
  readonly augment?: boolean | { readonly staticPad: number; readonly gripperPad: number }
  /** Action bounds; `false` keeps raw actions. Default ±0.65. */
  readonly normalize?: false | { readonly min: number; readonly max: number }
}

/** One batch. B = number of items, W = window, N = chunk. @since 0.1.0 @category models */
export interface WindowBatch {
  readonly size: number
  /** Item indices in the window index. */
  readonly items: Int32Array
  readonly rgbStatic?: ByteTensor<"B W H W 3"> | FloatTensor<"B W 3 S S">
  readonly rgbGripper?: ByteTensor<"B W H W 3"> | FloatTensor<"B W 3 S S">
  /** Normalised arm dims; the last dim is the 0/1 gripper label. */
  readonly actions: FloatTensor<"B W N 7">
  readonly chunkMask: FloatTensor<"B W N">
  readonly gripperLabels: FloatTensor<"B W N">
  /** Mask of the W input frames (0 only for left padding). */
  readonly frameMask: FloatTensor<"B W">
  readonly robotObs: FloatTensor<"B W 15">
  readonly instructions: ReadonlyArray<string>
  readonly tasks: ReadonlyArray<string>
}

const cameraKey = { static: "rgb_static", gripper: "rgb_gripper" } as const

const imageOf = (frame: CalvinFrame, key: FrameKey, dir: string): NdArray => {
  const array = frame[key]
  if (array === undefined || array.shape.length !== 3 || array.shape[2] !== 3 || !(array.data instanceof Uint8Array)) {
    throw new TrainError({ reason: "CorruptFile", message: `${dir}: frame ${frame.id} has no uint8 HxWx3 ${key}` })
  }
  return array
}

const vectorOf = (frame: CalvinFrame, key: FrameKey, length: number, dir: string): ArrayLike<number> => {
  const array = frame[key]
  const data = array?.data
  if (data === undefined || data.length !== length || data instanceof BigInt64Array || data instanceof BigUint64Array) {
    throw new TrainError({ reason: "CorruptFile", message: `${dir}: frame ${frame.id} key ${key} is not a ${length}-vector` })
  }
  return data as ArrayLike<number>
}

interface CameraBuffer {
  readonly camera: Camera
  readonly key: FrameKey
  readonly pad: number
  data: Uint8Array | Float32Array | undefined
  shape: Array<number> | undefined
}

/**
 * Builds one batch from the given items. `augmentSeeds[b]` seeds item b's crop offsets, so a batch depends only on
 * its items and seeds.
 *
 * @since 0.1.0
 * @category batching
 */
export const buildBatch = (
  split: CalvinSplit,
  index: WindowIndex,
  items: ArrayLike<number>,
  options: BatchOptions = {},
  augmentSeeds?: ArrayLike<number>
): WindowBatch => {
  const B = items.length
  const W = index.options.windowSize
  const N = index.options.fwdPredNextN
  const width = W + N
  const actionKey = options.actionKey ?? "rel_actions"
  const imageMode = options.images ?? "uint8"
  const cameras = imageMode === "none" ? [] : (options.cameras ?? ["static", "gripper"])
  const augment = options.augment === true ? { staticPad: STATIC_SHIFT_PAD, gripperPad: GRIPPER_SHIFT_PAD } : options.augment === false || options.augment === undefined ? undefined : options.augment
  const normalize = options.normalize === false ? undefined : (options.normalize ?? { min: ActionMath.NORM_MIN, max: ActionMath.NORM_MAX })
  if (augment !== undefined && augmentSeeds === undefined) throw new TrainError({ reason: "InvalidInput", message: "augmentation needs per-item seeds" })

  const actions = new Float32Array(B * W * N * 7)
  const chunkMask = new Float32Array(B * W * N)
  const gripperLabels = new Float32Array(B * W * N)
  const frameMask = new Float32Array(B * W)
  const robotObs = new Float32Array(B * W * 15)
  const instructions: Array<string> = []
  const tasks: Array<string> = []
  const buffers: Array<CameraBuffer> = cameras.map((camera) => ({
    camera,
    key: cameraKey[camera],
    pad: augment === undefined ? 0 : camera === "static" ? augment.staticPad : augment.gripperPad,
    data: undefined,
    shape: undefined
  }))
  const imageKeys = buffers.map((c) => c.key)
  const inputKeys: Array<FrameKey> = [actionKey, "robot_obs", ...imageKeys]

  for (let b = 0; b < B; b++) {
    const item: WindowItem = index.item(items[b]!)
    instructions.push(item.instruction)
    tasks.push(item.task)
    const rng = augment === undefined ? undefined : new Rng(augmentSeeds![b]!)
    // Padding repeats a boundary frame: read each distinct frame once.
    const loaded = new Map<number, CalvinFrame>()
    const load = (id: number, input: boolean): CalvinFrame => {
      const have = loaded.get(id)
      if (have !== undefined && (!input || inputKeys.every((k) => have[k] !== undefined))) return have
      const frame = split.frame(id, input ? inputKeys : [actionKey])
      loaded.set(id, frame)
      return frame
    }
    const rows: Array<Array<number>> = []
    for (let j = 0; j < width; j++) {
      const frame = load(item.frames[j]!, j < W)
      const row = Array.from(vectorOf(frame, actionKey, 7, split.dir))
      rows.push(normalize === undefined ? row : ActionMath.normalizeAction(row, normalize.min, normalize.max))
      if (j >= W) continue
      frameMask[b * W + j] = item.mask[j]!
      robotObs.set(vectorOf(frame, "robot_obs", 15, split.dir), (b * W + j) * 15)
      for (const buffer of buffers) {
        const image = imageOf(frame, buffer.key, split.dir)
        const [h, w] = image.shape as [number, number, number]
        const shift = rng === undefined ? undefined : drawShift(rng, buffer.pad)
        if (imageMode === "uint8") {
          const per = h * w * 3
          if (buffer.data === undefined) {
            buffer.data = new Uint8Array(B * W * per)
            buffer.shape = [B, W, h, w, 3]
          } else if (buffer.shape![2] !== h || buffer.shape![3] !== w) {
            throw new TrainError({ reason: "CorruptFile", message: `${split.dir}: frame ${frame.id} ${buffer.key} is ${h}x${w}, earlier frames were ${buffer.shape![2]}x${buffer.shape![3]}` })
          }
          const offset = (b * W + j) * per
          if (shift === undefined) buffer.data.set(image.data as Uint8Array, offset)
          else shiftHwcInto(image.data as Uint8Array, h, w, 3, buffer.pad, shift, buffer.data, offset)
        } else if (imageMode !== "none") {
          const s = imageMode.preprocessing.size
          const per = 3 * s * s
          if (buffer.data === undefined) {
            buffer.data = new Float32Array(B * W * per)
            buffer.shape = [B, W, 3, s, s]
          }
          const offset = (b * W + j) * per
          Assembly.preprocessImageInto({ data: image.data as Uint8Array, height: h, width: w }, imageMode.preprocessing, buffer.data as Float32Array, offset, `${buffer.key}@${frame.id}`)
          if (shift !== undefined) shiftChwInPlace(buffer.data as Float32Array, offset, 3, s, s, buffer.pad, shift)
        }
      }
    }
    const { chunks, chunkMask: masks } = ActionMath.chunkWindow(rows, item.mask, W, N)
    for (let t = 0; t < W; t++) {
      for (let k = 0; k < N; k++) {
        const a = chunks[t]![k]!
        const at = ((b * W + t) * N + k) * 7
        for (let d = 0; d < 6; d++) actions[at + d] = a[d]!
        const label = ActionMath.gripperDataToLabel(a[6]!)
        actions[at + 6] = label
        gripperLabels[(b * W + t) * N + k] = label
        chunkMask[(b * W + t) * N + k] = masks[t]![k]!
      }
    }
  }
  const batch: Record<string, unknown> = {
    size: B,
    items: Int32Array.from(items),
    actions: { data: actions, shape: [B, W, N, 7] },
    chunkMask: { data: chunkMask, shape: [B, W, N] },
    gripperLabels: { data: gripperLabels, shape: [B, W, N] },
    frameMask: { data: frameMask, shape: [B, W] },
    robotObs: { data: robotObs, shape: [B, W, 15] },
    instructions,
    tasks
  }
  for (const buffer of buffers) {
    if (buffer.data !== undefined) batch[buffer.camera === "static" ? "rgbStatic" : "rgbGripper"] = { data: buffer.data, shape: buffer.shape }
  }
  return batch as unknown as WindowBatch
}

/**
 * The typed arrays of a batch (for `postMessage` transfer lists).
 *
 * @since 0.1.0
 * @category utils
 */
export const batchBuffers = (batch: WindowBatch): Array<ArrayBuffer> =>
  [batch.items, batch.actions.data, batch.chunkMask.data, batch.gripperLabels.data, batch.frameMask.data, batch.robotObs.data, batch.rgbStatic?.data, batch.rgbGripper?.data]
    .filter((d): d is NonNullable<typeof d> => d !== undefined)
    .map((d) => d.buffer as ArrayBuffer)
