/**
 * The training forward pass of a VLA (reference/robovlms.md §4.3, §5, §6.1) on tfjs tensors, so gradients reach
 * the backbone, the learnable [LRN] vector, the optional state token and the head.
 *
 * The sequence is the SDK assembly's (`Assembly.frameLayout`): `[BOS][gripper n][static n][text…][STATE]
 * [LRN × latent][EOS]`, with [LRN] before **each row's own** EOS (RoboVLMs puts it at one index for the whole
 * padded batch, so shorter rows had it after their EOS, §4.3; the SDK and this trainer fix that, so training and
 * inference see the same layout). Rows are built as a batched one-hot matmul `P (R, L, Ls) · sources (R, Ls, D)`
 * and [LRN] is read out by `Q (R, K, L) · hidden`: both are differentiable on every tfjs backend (a gather's
 * gradient needs UnsortedSegmentSum, which the wasm backend lacks).
 *
 * Structures: `post` / `one_step` run every frame alone (R = B·W rows); `pre` (interleaved) concatenates the W
 * frame groups of an item into one causal row (R = B) and reads every group's [LRN].
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { Assembly, type BackboneService, type BackboneTokenizer } from "@robovla/sdk"
import { TrainError } from "../TrainError.ts"

/**
 * The tensor face of a trainable backbone (tiny-vlm's `backbone.model`): the contract's three primitives on
 * tf tensors, its variables by name, and which of them train.
 *
 * @since 0.1.0
 * @category models
 */
export interface TensorBackbone {
  readonly encodeImages: (pixels: tf.Tensor) => tf.Tensor
  readonly embedTokens: (ids: tf.Tensor) => tf.Tensor
  readonly forward: (inputsEmbeds: tf.Tensor, attentionMask: tf.Tensor) => tf.Tensor
  readonly variables: ReadonlyMap<string, tf.Variable>
  readonly trainableVariables: () => ReadonlyArray<tf.Variable>
}

/**
 * The tensor face of a backbone, when it has one (`backbone.model` with `encodeImages`, `embedTokens`,
 * `forward`, `variables` and `trainableVariables`); inference-only backbones (ONNX) have none and train
 * head-only from cached [LRN] features.
 *
 * @since 0.1.0
 * @category constructors
 */
export const tensorBackboneOf = (backbone: BackboneService): TensorBackbone | undefined => {
  const model = (backbone as unknown as { readonly model?: Partial<TensorBackbone> }).model
  if (
    model === undefined || typeof model.encodeImages !== "function" || typeof model.embedTokens !== "function" ||
    typeof model.forward !== "function" || typeof model.trainableVariables !== "function" || !(model.variables instanceof Map)
  ) return undefined
  return {
    encodeImages: (x) => model.encodeImages!(x),
    embedTokens: (x) => model.embedTokens!(x),
    forward: (x, m) => model.forward!(x, m),
    variables: model.variables,
    trainableVariables: () => model.trainableVariables!()
  }
}

/** @since 0.1.0 @category models */
export interface Structure {
  readonly historyType: "one_step" | "pre" | "post"
  readonly windowSize: number
  readonly chunkSize: number
  readonly latent: number
  readonly useGripperCamera: boolean
  readonly stateToken: boolean
}

/** The CPU-side plan of one batch: one-hot placement and read-out matrices, mask and padded ids. */
export interface SequencePlan {
  readonly rows: number
  readonly length: number
  readonly sources: number
  readonly textLength: number
  /** (B, Lt) padded ids. */
  readonly ids: Int32Array
  /** (R, L, Ls) one-hot placement. */
  readonly place: Float32Array
  /** (R, L) attention mask. */
  readonly mask: Int32Array
  /** (R, K, L) one-hot read-out of the [LRN] positions, K = latent (rows per frame) or W·latent (`pre`). */
  readonly readout: Float32Array
  readonly readoutRows: number
}

/**
 * Plans the rows of a batch of B items (W frames each) from their token ids.
 *
 * @since 0.1.0
 * @category layout
 */
export const planSequences = (
  ids: ReadonlyArray<ReadonlyArray<number>>,
  tokenizer: Pick<BackboneTokenizer, "bosId" | "eosId" | "padId">,
  imageTokens: number,
  structure: Structure
): SequencePlan => {
  const B = ids.length
  const { windowSize: W, latent, useGripperCamera, stateToken, historyType } = structure
  const interleaved = historyType === "pre"
  const n = imageTokens
  const cams = useGripperCamera ? 2 : 1
  const lt = Math.max(1, ...ids.map((x) => x.length))
  const frames = interleaved ? W : 1
  // Source rows per sequence row: text | static (frames·n) | gripper (frames·n) | [LRN] (latent) | state (frames).
  const staticAt = lt
  const gripperAt = lt + frames * n
  const lrnAt = lt + frames * n * cams
  const stateAt = lrnAt + latent
  const ls = stateAt + (stateToken ? frames : 0)
  const layouts = ids.map((x) => Assembly.frameLayout(x, tokenizer as BackboneTokenizer, { imageTokens: n, gripperCamera: useGripperCamera, latent }))
  // Per frame group: the state token (when used) goes right before the first [LRN].
  const groupLength = (b: number) => layouts[b]!.sources.length + (stateToken ? 1 : 0)
  const rowLength = (b: number) => groupLength(b) * frames
  const L = Math.max(...Array.from({ length: B }, (_, b) => rowLength(b)))
  const R = interleaved ? B : B * W
  const K = interleaved ? W * latent : latent
  const place = new Float32Array(R * L * ls)
  const mask = new Int32Array(R * L)
  const readout = new Float32Array(R * K * L)
  const idData = new Int32Array(B * lt).fill(tokenizer.padId)
  ids.forEach((x, b) => idData.set(x, b * lt))
  for (let r = 0; r < R; r++) {
    const b = interleaved ? r : Math.floor(r / W)
    const layout = layouts[b]!
    let pos = 0
    let k = 0
    for (let f = 0; f < frames; f++) {
      for (const source of layout.sources) {
        if (source.kind === "lrn" && source.index === 0 && stateToken) {
          place[(r * L + pos) * ls + stateAt + f] = 1
          mask[r * L + pos] = 1
          pos++
        }
        const at = source.kind === "text"
          ? source.index
          : source.kind === "static"
          ? staticAt + f * n + source.index
          : source.kind === "gripper"
          ? gripperAt + f * n + source.index
          : lrnAt + source.index
        place[(r * L + pos) * ls + at] = 1
        mask[r * L + pos] = 1
        if (source.kind === "lrn") readout[(r * K + k++) * L + pos] = 1
        pos++
      }
    }
  }
  return { rows: R, length: L, sources: ls, textLength: lt, ids: idData, place, mask, readout, readoutRows: K }
}

/** Inputs of one forward pass; tensors are owned by the caller. */
export interface ForwardInputs {
  readonly plan: SequencePlan
  /** (B·W, n, D) static-camera tokens (encoded now or from the cache). */
  readonly staticTokens: tf.Tensor
  readonly gripperTokens?: tf.Tensor | undefined
  /** (B·W, D) state token embeddings. */
  readonly stateTokens?: tf.Tensor | undefined
}

/**
 * (B, W, latent, D) [LRN] hidden states for a planned batch.
 *
 * @since 0.1.0
 * @category forward
 */
export const lrnHidden = (
  backbone: TensorBackbone,
  actionToken: tf.Tensor,
  structure: Structure,
  batchSize: number,
  inputs: ForwardInputs
): tf.Tensor4D => {
  const { plan } = inputs
  const { windowSize: W, latent, historyType } = structure
  const interleaved = historyType === "pre"
  const R = plan.rows
  const text = backbone.embedTokens(tf.tensor2d(plan.ids, [batchSize, plan.textLength], "int32")) as tf.Tensor3D
  const d = text.shape[2]
  const perRow = (t: tf.Tensor, width: number): tf.Tensor =>
    // (B·W, width, D) per frame → (B, W·width, D) for interleaved rows.
    interleaved ? tf.reshape(t, [batchSize, W * width, d]) : t
  const parts: Array<tf.Tensor> = [
    interleaved ? text : tf.reshape(tf.tile(tf.expandDims(text, 1), [1, W, 1, 1]), [R, plan.textLength, d]),
    perRow(inputs.staticTokens, inputs.staticTokens.shape[1]!)
  ]
  if (structure.useGripperCamera) {
    if (inputs.gripperTokens === undefined) throw new TrainError({ reason: "InvalidInput", message: "use_hand_rgb needs gripper-camera tokens" })
    parts.push(perRow(inputs.gripperTokens, inputs.gripperTokens.shape[1]!))
  }
  parts.push(tf.tile(tf.reshape(actionToken, [1, 1, d]), [R, latent, 1]))
  if (structure.stateToken) {
    if (inputs.stateTokens === undefined) throw new TrainError({ reason: "InvalidInput", message: "the state token needs robot_obs" })
    parts.push(perRow(tf.reshape(inputs.stateTokens, [batchSize * W, 1, d]), 1))
  }
  const sources = tf.concat(parts, 1)
  const embeds = tf.matMul(tf.tensor3d(plan.place, [R, plan.length, plan.sources]), sources)
  const hidden = backbone.forward(embeds, tf.tensor2d(plan.mask, [R, plan.length], "int32"))
  const lrn = tf.matMul(tf.tensor3d(plan.readout, [R, plan.readoutRows, plan.length]), hidden)
  return tf.reshape(lrn, [batchSize, W, latent, d]) as tf.Tensor4D
}
