/**
 * Multimodal sequence assembly (reference/robovlms.md §4.3), engine-neutral.
 *
 * One frame becomes a *group*: `[BOS][gripper image n (optional)][static image n][text…][LRN × latent][EOS]`.
 * Image blocks go right after BOS (gripper before static, as RoboVLMs' two merges at `bos_off` produce); the
 * [LRN] copies go right before the row's **own** EOS. RoboVLMs inserts [LRN] at one index for the whole padded
 * batch, so in right-padded rows it lands after that row's EOS among the pads (§4.3 "padding pitfall"); here
 * every row is laid out on its own and padded afterwards, which fixes that.
 *
 * A row is one group (one-step, policy-head) or the concatenation of up to W groups (interleaved `pre`).
 * Rows are right-padded to the longest with zero embeddings and mask 0.
 *
 * {@link frameLayout} is the index plan (usable with any engine, e.g. tf.gather in training);
 * {@link buildFrameGroup} / {@link packRows} / {@link gatherRows} do it on Float32Arrays for inference.
 *
 * @since 0.1.0
 */
import type { BackboneTokenizer } from "../Backbone.ts"
import { SdkError } from "../SdkError.ts"
import type { FloatTensor, IntTensor } from "../Tensor.ts"

/**
 * Where one position of a frame group takes its embedding from: a text id (index into the frame's ids), a
 * token of the gripper or static image block, the robot_obs state token, or the [LRN] vector.
 *
 * @since 0.1.0
 * @category models
 */
export type Source =
  | { readonly kind: "text"; readonly index: number }
  | { readonly kind: "gripper"; readonly index: number }
  | { readonly kind: "static"; readonly index: number }
  | { readonly kind: "lrn"; readonly index: number }
  | { readonly kind: "state"; readonly index: 0 }

/**
 * The plan of one frame group.
 *
 * @since 0.1.0
 * @category models
 */
export interface FrameLayout {
  readonly sources: ReadonlyArray<Source>
  /** Offsets of the [LRN] copies inside the group. */
  readonly lrnOffsets: ReadonlyArray<number>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface FrameLayoutOptions {
  /** Image tokens per camera (n). */
  readonly imageTokens: number
  readonly gripperCamera: boolean
  /** [LRN] copies per frame. */
  readonly latent: number
  /** A robot_obs state token right before the first [LRN] (the trainer's `stateToken`). */
  readonly stateToken?: boolean | undefined
}

/**
 * Lays out one frame from its token ids (as the tokenizer returns them, with BOS/EOS where it has them).
 * `bos_off` / `eos_off` are 1 when the ids start with BOS / end with EOS.
 *
 * @since 0.1.0
 * @category layout
 */
export const frameLayout = (
  ids: ReadonlyArray<number>,
  tokenizer: Pick<BackboneTokenizer, "bosId" | "eosId">,
  options: FrameLayoutOptions
): FrameLayout => {
  const bosOff = tokenizer.bosId !== undefined && ids.length > 0 && ids[0] === tokenizer.bosId ? 1 : 0
  const eosOff = tokenizer.eosId !== undefined && ids.length > bosOff && ids[ids.length - 1] === tokenizer.eosId ? 1 : 0
  const sources: Array<Source> = []
  for (let i = 0; i < bosOff; i++) sources.push({ kind: "text", index: i })
  if (options.gripperCamera) for (let i = 0; i < options.imageTokens; i++) sources.push({ kind: "gripper", index: i })
  for (let i = 0; i < options.imageTokens; i++) sources.push({ kind: "static", index: i })
  for (let i = bosOff; i < ids.length - eosOff; i++) sources.push({ kind: "text", index: i })
  if (options.stateToken === true) sources.push({ kind: "state", index: 0 })
  const lrnOffsets: Array<number> = []
  for (let i = 0; i < options.latent; i++) {
    lrnOffsets.push(sources.length)
    sources.push({ kind: "lrn", index: i })
  }
  for (let i = ids.length - eosOff; i < ids.length; i++) sources.push({ kind: "text", index: i })
  return { sources, lrnOffsets }
}

/**
 * One frame group's embeddings (length × D) and where its [LRN] copies are.
 *
 * @since 0.1.0
 * @category models
 */
export interface FrameGroup {
  readonly embeds: Float32Array
  readonly length: number
  readonly lrnOffsets: ReadonlyArray<number>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface FrameInputs {
  /** Rows of text embeddings for this frame's ids, (≥ ids.length) × D; extra rows (padding) are ignored. */
  readonly textEmbeds: Float32Array
  readonly staticTokens: Float32Array
  readonly gripperTokens?: Float32Array | undefined
  /** The learnable [LRN] vector (D). */
  readonly actionToken: Float32Array
  /** The state token's embedding (D), when the layout has one. */
  readonly stateToken?: Float32Array | undefined
}

/**
 * Fills a frame group from its layout.
 *
 * @since 0.1.0
 * @category layout
 */
export const buildFrameGroup = (layout: FrameLayout, inputs: FrameInputs, hiddenSize: number): FrameGroup => {
  const d = hiddenSize
  const embeds = new Float32Array(layout.sources.length * d)
  layout.sources.forEach((source, position) => {
    const from =
      source.kind === "text"
        ? inputs.textEmbeds
        : source.kind === "static"
        ? inputs.staticTokens
        : source.kind === "gripper"
        ? inputs.gripperTokens
        : source.kind === "state"
        ? inputs.stateToken
        : inputs.actionToken
    if (from === undefined) {
      const subject = source.kind === "state" ? "stateToken" : "gripperTokens"
      throw new SdkError({ reason: "InvalidInput", message: `the layout needs ${source.kind === "state" ? "a state token" : "gripper-camera tokens"} but none were given`, subject })
    }
    const start = source.kind === "lrn" || source.kind === "state" ? 0 : source.index * d
    if (start + d > from.length) {
      throw new SdkError({ reason: "ShapeMismatch", message: `${source.kind} embeddings are too short for index ${source.index}`, subject: source.kind })
    }
    embeds.set(from.subarray(start, start + d), position * d)
  })
  return { embeds, length: layout.sources.length, lrnOffsets: layout.lrnOffsets }
}

/**
 * The decoder input for a batch of rows, each the concatenation of its groups, right-padded.
 *
 * @since 0.1.0
 * @category models
 */
export interface PackedBatch {
  readonly inputsEmbeds: FloatTensor<"B L D">
  readonly attentionMask: IntTensor<"B L">
  /** Per row, per group, the absolute positions of its [LRN] copies. */
  readonly lrnPositions: ReadonlyArray<ReadonlyArray<ReadonlyArray<number>>>
  /** Unpadded length of each row. */
  readonly rowLengths: ReadonlyArray<number>
}

/**
 * Concatenates each row's groups and right-pads the rows into one batch (pads: zero embedding, mask 0).
 *
 * @since 0.1.0
 * @category layout
 */
export const packRows = (rows: ReadonlyArray<ReadonlyArray<FrameGroup>>, hiddenSize: number): PackedBatch => {
  const d = hiddenSize
  const rowLengths = rows.map((groups) => groups.reduce((s, g) => s + g.length, 0))
  const l = Math.max(1, ...rowLengths)
  const embeds = new Float32Array(rows.length * l * d)
  const mask = new Int32Array(rows.length * l)
  const lrnPositions = rows.map((groups, b) => {
    let offset = 0
    return groups.map((group) => {
      embeds.set(group.embeds, (b * l + offset) * d)
      mask.fill(1, b * l + offset, b * l + offset + group.length)
      const positions = group.lrnOffsets.map((o) => offset + o)
      offset += group.length
      return positions
    })
  })
  return {
    inputsEmbeds: { data: embeds, shape: [rows.length, l, d] },
    attentionMask: { data: mask, shape: [rows.length, l] },
    lrnPositions,
    rowLengths
  }
}

/**
 * Reads one row's hidden states at the given positions → (positions.length × D) in that order.
 *
 * @since 0.1.0
 * @category layout
 */
export const gatherRows = (hidden: FloatTensor<"B L D">, row: number, positions: ReadonlyArray<number>): Float32Array => {
  const [, l, d] = hidden.shape as [number, number, number]
  const out = new Float32Array(positions.length * d)
  positions.forEach((p, i) => out.set(hidden.data.subarray((row * l + p) * d, (row * l + p + 1) * d), i * d))
  return out
}
