/**
 * The VLA assembly: any `Backbone` + any `PolicyHead` (engine-neutral FloatTensors between them) + the
 * learnable [LRN] action token + a structure (reference/robovlms.md §4.3, §5) → a `PolicyModel`.
 *
 * Structures (`historyType`, RoboVLMs' names):
 * - `"one_step"`: W = 1; each call encodes the current frame and reads its [LRN] (one-step continuous).
 * - `"pre"` (interleaved): the policy keeps the last W frame groups (FIFO, window grows 1…W after a reset, no
 *   padding) and runs them as one causal sequence; the chunk of the **newest** position is returned (RoboVLMs
 *   takes the oldest, §5.3 / §10.9, which looks like a bug).
 * - `"post"` (policy-head): each frame goes through the VLM alone; history lives in the head's stepper.
 *
 * `actBatch` runs the backbone once for all items (batch B > 1, right-padded rows); for `"post"` the head steps
 * every item's stepper in one `stepMany` call, and for `"pre"` it runs per item (windows of different lengths).
 * It equals `act` on each item up to float rounding.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { ActionChunk } from "../Action.ts"
import { BACKBONE_CONTRACT_VERSION, type Backbone, type ParameterGroup } from "../Backbone.ts"
import type { ImageU8, Observation } from "../Observation.ts"
import type { Policy, PolicyBatchItem, PolicyMetadata, PolicyModel } from "../Policy.ts"
import { HEAD_CONTRACT_VERSION, type HeadDimensions, type HeadStepper, type PolicyHead } from "../PolicyHead.ts"
import { SdkError } from "../SdkError.ts"
import { isAllFinite, type FloatTensor } from "../Tensor.ts"
import type { VlaConfig } from "../VlaConfig.ts"
import { CALVIN_NORMALIZATION, decodeActionChunk, type Normalization } from "./ActionDecoding.ts"
import { preprocessImages } from "./ImagePreprocessing.ts"
import { buildFrameGroup, frameLayout, gatherRows, packRows, type FrameGroup } from "./Sequence.ts"
import { checkRobotObs, type StateTokenEncoder } from "./StateToken.ts"

/**
 * How the assembly is put together. Names follow RoboVLMs' config (`history_type`, `window_size`,
 * `fwd_pred_next_n`, `latent`, `use_hand_rgb`, `norm_min` / `norm_max`).
 *
 * @since 0.1.0
 * @category models
 */
export interface VlaAssemblyConfig {
  readonly historyType: "one_step" | "pre" | "post"
  /** W. Must be 1 for `one_step`. */
  readonly windowSize: number
  /** N, actions per call. */
  readonly chunkSize: number
  /** [LRN] copies per frame. */
  readonly latent: number
  /** Also feed the gripper camera (its tokens go before the static camera's). */
  readonly useGripperCamera: boolean
  /** Arm (de)normalisation range; CALVIN: ±0.65. */
  readonly normalization?: Normalization
  /** Shown in the policy metadata; defaults to `<backbone>+<head>`. */
  readonly name?: string
}

/**
 * The assembly part of a decoded RoboVLMs-style VLA config (`window_size`, `fwd_pred_next_n`,
 * `act_head.history_type`, `act_head.latent`, `use_hand_rgb`, `norm_min` / `norm_max`; `norm_action: false`
 * means no denormalisation, i.e. the identity range [−1, 1]).
 *
 * @since 0.1.0
 * @category constructors
 */
export const assemblyConfigFromVla = (vla: VlaConfig): VlaAssemblyConfig => ({
  historyType: vla.act_head.history_type,
  windowSize: vla.window_size,
  chunkSize: vla.fwd_pred_next_n,
  latent: vla.act_head.latent,
  useGripperCamera: vla.use_hand_rgb,
  normalization: vla.norm_action ? { min: vla.norm_min, max: vla.norm_max } : { min: -1, max: 1 }
})

/**
 * The checkpoint tensor name of the [LRN] vector (RoboVLMs' `action_token` parameter, shape (D,)): save
 * `model.actionToken` under it and pass it back as `actionToken` when loading.
 *
 * @since 0.1.0
 * @category constants
 */
export const ACTION_TOKEN_TENSOR_NAME = "action_token"

/**
 * The head dimensions a config implies for a backbone: make the head with these.
 *
 * @since 0.1.0
 * @category constructors
 */
export const headDimensionsFor = (backbone: Pick<Backbone, "hiddenSize">, config: VlaAssemblyConfig): HeadDimensions => ({
  inputSize: backbone.hiddenSize,
  windowSize: config.windowSize,
  chunkSize: config.chunkSize,
  latent: config.latent
})

/**
 * A policy model made by the assembly, with its parts and the learnable [LRN] vector (saved with checkpoints).
 *
 * @since 0.1.0
 * @category models
 */
export interface VlaPolicyModel extends PolicyModel {
  readonly backbone: Backbone
  readonly head: PolicyHead
  readonly config: VlaAssemblyConfig
  /** [LRN], size D; zeros unless given. Mutating it changes later calls (training writes it here). */
  readonly actionToken: Float32Array
  /** The robot_obs state token's encoder, when the policy has one (exporters read its `weights()`). */
  readonly stateToken?: StateTokenEncoder | undefined
  /** Backbone groups + the action token + head groups. */
  readonly parameterGroups: () => ReadonlyArray<ParameterGroup>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface VlaPolicyModelOptions {
  readonly backbone: Backbone
  readonly head: PolicyHead
  readonly config: VlaAssemblyConfig
  /** A trained [LRN] vector (size D); zeros when absent (RoboVLMs' init). */
  readonly actionToken?: Float32Array
  /** A trained robot_obs state token (`makeStateTokenEncoder`, or an exported graph): each frame then needs `robotObs`. */
  readonly stateToken?: StateTokenEncoder
}

interface PolicyState {
  readonly model: object
  readonly stepper: HeadStepper | undefined
  /** `pre`: the last W − 1 frame groups, oldest first. */
  history: Array<FrameGroup>
}

const invalid = (message: string, subject: string) => new SdkError({ reason: "InvalidInput", message, subject })

const checkConfig = (backbone: Backbone, head: PolicyHead, config: VlaAssemblyConfig, actionToken: Float32Array | undefined): void => {
  if (backbone.specificationVersion !== BACKBONE_CONTRACT_VERSION) {
    throw new SdkError({
      reason: "IncompatibleContract",
      message: `backbone "${backbone.name}" implements ${String(backbone.specificationVersion)}, this SDK speaks ${BACKBONE_CONTRACT_VERSION}`,
      subject: backbone.name
    })
  }
  if (head.specificationVersion !== HEAD_CONTRACT_VERSION) {
    throw new SdkError({
      reason: "IncompatibleContract",
      message: `head "${head.name}" implements ${String(head.specificationVersion)}, this SDK speaks ${HEAD_CONTRACT_VERSION}`,
      subject: head.name
    })
  }
  const positive = (value: number, key: string) => {
    if (!Number.isInteger(value) || value < 1) throw invalid(`${key} must be a positive integer, got ${value}`, key)
  }
  positive(config.windowSize, "windowSize")
  positive(config.chunkSize, "chunkSize")
  positive(config.latent, "latent")
  if (!["one_step", "pre", "post"].includes(config.historyType)) {
    throw invalid(`historyType must be "one_step", "pre" or "post", got ${JSON.stringify(config.historyType)}`, "historyType")
  }
  if (config.historyType === "one_step" && config.windowSize !== 1) throw invalid(`historyType "one_step" needs windowSize 1, got ${config.windowSize}`, "windowSize")
  const n = config.normalization ?? CALVIN_NORMALIZATION
  if (!(Number.isFinite(n.min) && Number.isFinite(n.max) && n.min < n.max)) throw invalid(`normalization needs finite min < max, got ${n.min}, ${n.max}`, "normalization")
  const want = headDimensionsFor(backbone, config)
  for (const key of ["inputSize", "windowSize", "chunkSize", "latent"] as const) {
    if (head.dimensions[key] !== want[key]) {
      throw invalid(`head "${head.name}" was made for ${key} ${head.dimensions[key]}, the assembly needs ${want[key]}`, `head.dimensions.${key}`)
    }
  }
  if (actionToken !== undefined && actionToken.length !== backbone.hiddenSize) {
    throw new SdkError({ reason: "ShapeMismatch", message: `actionToken has ${actionToken.length} values, the backbone width is ${backbone.hiddenSize}`, subject: "actionToken" })
  }
  if (actionToken !== undefined && !isAllFinite(actionToken)) throw new SdkError({ reason: "NonFinite", message: "actionToken contains NaN or Infinity", subject: "actionToken" })
}

const checkTensor = (t: FloatTensor, shape: ReadonlyArray<number>, what: string): void => {
  if (t.shape.length !== shape.length || t.shape.some((n, i) => n !== shape[i]) || t.data.length !== shape.reduce((a, b) => a * b, 1)) {
    throw new SdkError({ reason: "ShapeMismatch", message: `${what} has shape [${t.shape.join(", ")}], expected [${shape.join(", ")}]`, subject: what })
  }
}

const image = (observation: Observation, key: "rgbStatic" | "rgbGripper", index: number): ImageU8 => {
  const value = observation[key]
  if (value === undefined) throw invalid(`observation ${index} has no ${key} image, which this policy needs`, `observation.${key}`)
  return value
}

/**
 * Assembles a policy model. Fails with `"IncompatibleContract"` for a plugin of another contract version and
 * `"InvalidInput"` when the head was made for other dimensions than {@link headDimensionsFor} gives.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeVlaPolicyModel = (options: VlaPolicyModelOptions): Effect.Effect<VlaPolicyModel, SdkError> =>
  Effect.try({
    try: () => assemble(options),
    catch: (cause) => (cause instanceof SdkError ? cause : new SdkError({ reason: "PluginFailure", message: `assembly failed: ${String(cause)}`, cause }))
  })

const assemble = ({ backbone, head, config, actionToken: givenToken, stateToken }: VlaPolicyModelOptions): VlaPolicyModel => {
  checkConfig(backbone, head, config, givenToken)
  const d = backbone.hiddenSize
  const n = backbone.imageTokens
  const { historyType, windowSize: w, chunkSize, latent, useGripperCamera } = config
  const normalization = config.normalization ?? CALVIN_NORMALIZATION
  const actionToken = givenToken !== undefined ? Float32Array.from(givenToken) : new Float32Array(d)
  const states = new WeakMap<Policy, PolicyState>()
  const identity = {}
  const idsCache = new Map<string, ReadonlyArray<number>>()
  const tokenize = (instruction: string): ReadonlyArray<number> => {
    let ids = idsCache.get(instruction)
    if (ids === undefined) {
      ids = backbone.tokenizer.encode(instruction)
      if (idsCache.size >= 1024) idsCache.clear()
      idsCache.set(instruction, ids)
    }
    return ids
  }

  const metadata: PolicyMetadata = {
    name: config.name ?? `${backbone.name}+${head.name}`,
    windowSize: w,
    chunkSize,
    actionSpace: "relative",
    inputs: { rgbStatic: true, rgbGripper: useGripperCamera, robotObs: stateToken !== undefined, sceneObs: false },
    details: { backbone: backbone.name, head: head.name, historyType, latent, hiddenSize: d, imageTokens: n, stateToken: stateToken !== undefined }
  }

  /** Every item's state token in one encoder call; robotObs checked here, so every encoder fails alike. */
  const encodeStates = (encoder: StateTokenEncoder, items: ReadonlyArray<PolicyBatchItem>) =>
    Effect.gen(function*() {
      const robotObs = items.map((it) => {
        const value = (it.observation as { readonly robotObs?: ReadonlyArray<number> }).robotObs
        if (value === undefined) throw invalid("this policy was trained with a robot_obs state token: the observation needs robotObs", "observation.robotObs")
        checkRobotObs(value)
        return value
      })
      const tokens = yield* encoder.encodeBatch(robotObs)
      if (tokens.length !== items.length || tokens.some((t) => t.length !== d)) {
        throw new SdkError({ reason: "ShapeMismatch", message: `the state token encoder returned ${tokens.length} tokens of ${tokens[0]?.length ?? 0} values for ${items.length} items of width ${d}`, subject: "stateToken" })
      }
      return tokens
    })

  /** Backbone part for all items at once: per item, its newest frame group and the hidden states at its [LRN]s. */
  const encodeAndRun = (items: ReadonlyArray<PolicyBatchItem>, stateOf: ReadonlyArray<PolicyState>) =>
    Effect.gen(function*() {
      const b = items.length
      const pixels = preprocessImages(items.map((it, i) => image(it.observation, "rgbStatic", i)), backbone.imagePreprocessing, "observation.rgbStatic")
      const staticTokens = yield* backbone.encodeImages(pixels)
      checkTensor(staticTokens, [b, n, d], `${backbone.name}.encodeImages output`)
      let gripperTokens: FloatTensor | undefined
      if (useGripperCamera) {
        const grip = preprocessImages(items.map((it, i) => image(it.observation, "rgbGripper", i)), backbone.imagePreprocessing, "observation.rgbGripper")
        gripperTokens = yield* backbone.encodeImages(grip)
        checkTensor(gripperTokens, [b, n, d], `${backbone.name}.encodeImages output`)
      }
      const ids = items.map((it) => tokenize(it.instruction))
      const lt = Math.max(1, ...ids.map((x) => x.length))
      const idData = new Int32Array(b * lt).fill(backbone.tokenizer.padId)
      ids.forEach((x, i) => idData.set(x, i * lt))
      const text = yield* backbone.embedTokens({ data: idData, shape: [b, lt] })
      checkTensor(text, [b, lt, d], `${backbone.name}.embedTokens output`)

      const options = { imageTokens: n, gripperCamera: useGripperCamera, latent, stateToken: stateToken !== undefined }
      const stateTokens = stateToken === undefined ? undefined : yield* encodeStates(stateToken, items)
      const groups = items.map((_, i) =>
        buildFrameGroup(
          frameLayout(ids[i]!, backbone.tokenizer, options),
          {
            textEmbeds: text.data.subarray(i * lt * d, (i + 1) * lt * d),
            staticTokens: staticTokens.data.subarray(i * n * d, (i + 1) * n * d),
            gripperTokens: gripperTokens?.data.subarray(i * n * d, (i + 1) * n * d),
            actionToken,
            stateToken: stateTokens?.[i]
          },
          d
        )
      )
      const rows = groups.map((group, i) => (historyType === "pre" ? [...stateOf[i]!.history, group] : [group]))
      const packed = packRows(rows, d)
      const hidden = yield* backbone.forward(packed.inputsEmbeds, packed.attentionMask)
      checkTensor(hidden, packed.inputsEmbeds.shape, `${backbone.name}.forward output`)
      // Per item: (groups × latent × D), oldest group first.
      const lrn = packed.lrnPositions.map((perGroup, i) => gatherRows(hidden, i, perGroup.flat()))
      return { groups, rows, lrn }
    })

  const runHeads = (
    items: ReadonlyArray<PolicyBatchItem>,
    stateOf: ReadonlyArray<PolicyState>,
    rows: ReadonlyArray<ReadonlyArray<FrameGroup>>,
    lrn: ReadonlyArray<Float32Array>
  ) =>
    Effect.gen(function*() {
      const b = items.length
      const per = latent * d
      const chunks: Array<ActionChunk> = []
      if (historyType === "one_step") {
        const input = new Float32Array(b * per)
        lrn.forEach((x, i) => input.set(x, i * per))
        const out = yield* head.predict({ data: input, shape: [b, 1, latent, d] })
        checkTensor(out.arm, [b, 1, chunkSize, 6], `${head.name}.predict arm`)
        checkTensor(out.gripperLogits, [b, 1, chunkSize, 1], `${head.name}.predict gripperLogits`)
        for (let i = 0; i < b; i++) chunks.push(decodeActionChunk(out.arm.data, i * chunkSize * 6, out.gripperLogits.data, i * chunkSize, chunkSize, normalization))
      } else if (historyType === "post") {
        // All policies' steppers in one head call where the head can (one engine product per layer for the batch).
        const steps = stateOf.map((state, i) => ({ stepper: state.stepper!, lrn: { data: lrn[i]!, shape: [1, latent, d] } }))
        const outs = head.stepMany !== undefined
          ? yield* head.stepMany(steps)
          : yield* Effect.forEach(steps, ({ lrn, stepper }) => stepper.step(lrn))
        for (const out of outs) {
          checkTensor(out.arm, [1, chunkSize, 6], `${head.name}.step arm`)
          checkTensor(out.gripperLogits, [1, chunkSize, 1], `${head.name}.step gripperLogits`)
          chunks.push(decodeActionChunk(out.arm.data, 0, out.gripperLogits.data, 0, chunkSize, normalization))
        }
      } else {
        for (let i = 0; i < b; i++) {
          const k = rows[i]!.length
          const out = yield* head.predict({ data: lrn[i]!, shape: [1, k, latent, d] })
          checkTensor(out.arm, [1, k, chunkSize, 6], `${head.name}.predict arm`)
          checkTensor(out.gripperLogits, [1, k, chunkSize, 1], `${head.name}.predict gripperLogits`)
          // The newest window position (RoboVLMs reads the oldest here, §5.3).
          chunks.push(decodeActionChunk(out.arm.data, (k - 1) * chunkSize * 6, out.gripperLogits.data, (k - 1) * chunkSize, chunkSize, normalization))
        }
      }
      return chunks
    })

  const actBatch = (items: ReadonlyArray<PolicyBatchItem>): Effect.Effect<ReadonlyArray<ActionChunk>, SdkError> =>
    Effect.suspend(() => {
      if (items.length === 0) return Effect.succeed([])
      const seen = new Set<Policy>()
      const stateOf = items.map((item, i) => {
        const state = states.get(item.policy)
        if (state === undefined || state.model !== identity) throw invalid(`batch item ${i}: the policy was not made by this model`, `items[${i}].policy`)
        if (seen.has(item.policy)) throw invalid(`batch item ${i}: the same policy appears twice in one batch`, `items[${i}].policy`)
        if (typeof item.instruction !== "string") throw invalid(`batch item ${i}: instruction must be a string`, `items[${i}].instruction`)
        seen.add(item.policy)
        return state
      })
      return Effect.gen(function*() {
        const { groups, rows, lrn } = yield* encodeAndRun(items, stateOf)
        const chunks = yield* runHeads(items, stateOf, rows, lrn)
        if (historyType === "pre") {
          stateOf.forEach((state, i) => {
            state.history.push(groups[i]!)
            if (state.history.length > w - 1) state.history.splice(0, state.history.length - (w - 1))
          })
        }
        return chunks
      })
    }).pipe(
      Effect.catchDefect((cause) =>
        Effect.fail(cause instanceof SdkError ? cause : new SdkError({ reason: "PluginFailure", message: `act failed: ${String(cause)}`, cause }))
      )
    )

  const makePolicy = (): Policy => {
    const policy: Policy = {
      metadata,
      reset: () =>
        Effect.sync(() => {
          const state = states.get(policy)!
          state.history = []
          state.stepper?.reset()
        }),
      act: (observation, instruction) => Effect.map(actBatch([{ policy, observation, instruction }]), (chunks) => chunks[0]!)
    }
    states.set(policy, { model: identity, stepper: historyType === "post" ? head.stepper() : undefined, history: [] })
    return policy
  }

  return {
    metadata,
    backbone,
    head,
    config,
    actionToken,
    ...(stateToken === undefined ? {} : { stateToken }),
    policy: () => Effect.sync(makePolicy),
    actBatch,
    parameterGroups: () => [
      ...backbone.parameterGroups(),
      { name: "action_token", part: "action_token", size: d, trainable: true },
      ...head.parameterGroups()
    ]
  }
}
