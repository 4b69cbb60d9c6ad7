/**
 * The exported graphs behind the SDK contracts, on onnxruntime-node: a `Backbone` over the three backbone graphs
 * (tiny-vlm exports), a `PolicyHead` over the head graph, whose evaluation steppers replay the tfjs heads'
 * (reference/robovlms.md §5.3): stateless (mlp, discrete), window re-run (gpt), and LSTM state carried for the
 * first W steps then a re-run over the last W from zero; and the SDK's `StateTokenEncoder` over the robot_obs
 * state token graph (one run per batch).
 *
 * Both are built on the SDK's `Backbone.make` / `PolicyHead.make`, which check every argument (`ShapeMismatch`,
 * `NonFinite`, `InvalidInput`), refuse calls once the Scope closes (`Released`), trace and copy the outputs; the
 * hooks here only feed the graphs. Any session failure is an `SdkError` (`PluginFailure`).
 *
 * @since 0.1.0
 */
import * as ort from "onnxruntime-node"
import {
  Assembly,
  Backbone as BackboneContract,
  PolicyHead as HeadContract,
  SdkError,
  type BackboneService,
  type BackboneTokenizer,
  type FloatTensor,
  type HeadDimensions,
  type HeadStepOutput,
  type ImagePreprocessing,
  type PolicyHeadService
} from "@robovla/sdk"
import { Effect, type Scope } from "effect"

/** Runs a session; every failure becomes an SdkError naming the graph. */
const runSession = (session: ort.InferenceSession, graph: string, feeds: Record<string, ort.Tensor>): Effect.Effect<ort.InferenceSession.ReturnType, SdkError> =>
  Effect.tryPromise({
    try: () => session.run(feeds),
    catch: (cause) => new SdkError({ reason: "PluginFailure", message: `onnxruntime failed running ${graph}: ${cause instanceof Error ? cause.message : String(cause)}`, subject: graph, cause })
  })

/** A view of one graph output; `Backbone.make` / `PolicyHead.make` check its shape and copy it. */
const floatOut = (out: ort.InferenceSession.ReturnType, name: string): FloatTensor => {
  const t = out[name]!
  return { data: t.data as Float32Array, shape: t.dims.map(Number) }
}

const int64 = (data: ArrayLike<number>, shape: ReadonlyArray<number>) => new ort.Tensor("int64", BigInt64Array.from(Array.from(data, (v) => BigInt(v))), [...shape])
const float32 = (t: FloatTensor) => new ort.Tensor("float32", t.data instanceof Float32Array ? t.data : Float32Array.from(t.data), [...t.shape])

/** What the backbone needs besides its sessions. @since 0.1.0 @category models */
export interface OrtBackboneOptions {
  readonly name: string
  readonly hiddenSize: number
  readonly imageTokens: number
  readonly imagePreprocessing: ImagePreprocessing
  readonly maxPositions: number
  readonly tokenizer: BackboneTokenizer
  readonly sessions: { readonly visionEncoder: ort.InferenceSession; readonly embedTokens: ort.InferenceSession; readonly decoder: ort.InferenceSession }
}

/**
 * The backbone contract over the three graphs, in the Scope that holds the sessions (open them first, so that the
 * release guard flips before they are released).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeOrtBackbone = (options: OrtBackboneOptions): Effect.Effect<BackboneService, never, Scope.Scope> => {
  const { sessions } = options
  return BackboneContract.make({
    name: options.name,
    hiddenSize: options.hiddenSize,
    imageTokens: options.imageTokens,
    imagePreprocessing: options.imagePreprocessing,
    tokenizer: options.tokenizer,
    maxSequenceLength: options.maxPositions,
    encodeImages: (pixels) =>
      Effect.map(runSession(sessions.visionEncoder, "vision_encoder", { pixel_values: float32(pixels) }), (out) => floatOut(out, "image_features")),
    embedTokens: (ids) =>
      Effect.map(runSession(sessions.embedTokens, "embed_tokens", { input_ids: int64(ids.data, ids.shape) }), (out) => floatOut(out, "inputs_embeds")),
    forward: (inputsEmbeds, attentionMask) =>
      Effect.map(
        runSession(sessions.decoder, "decoder", { inputs_embeds: float32(inputsEmbeds), attention_mask: int64(attentionMask.data, attentionMask.shape) }),
        (out) => floatOut(out, "last_hidden_state")
      )
  })
}

/**
 * The robot_obs state token over `state_token.onnx` (`robot_obs` (B, 15) → `state_token` (B, D)): one graph run
 * for the whole batch. The assembly has checked every robotObs already; it is checked again here (15 finite
 * values: `ShapeMismatch` / `NonFinite`) for callers that use the encoder on its own.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeOrtStateToken = (options: { readonly session: ort.InferenceSession; readonly hiddenSize: number; readonly robotObsSize: number }): Assembly.StateTokenEncoder => {
  const { session, hiddenSize: d, robotObsSize } = options
  return {
    encodeBatch: (robotObs) =>
      Effect.gen(function*() {
        yield* Effect.try({
          try: () => robotObs.forEach(Assembly.checkRobotObs),
          catch: (cause) => cause instanceof SdkError ? cause : new SdkError({ reason: "InvalidInput", message: String(cause), subject: "observation.robotObs", cause })
        })
        if (robotObs.length === 0) return []
        const input = new Float32Array(robotObs.length * robotObsSize)
        robotObs.forEach((values, i) => input.set(values, i * robotObsSize))
        const out = yield* runSession(session, "state_token", { robot_obs: new ort.Tensor("float32", input, [robotObs.length, robotObsSize]) })
        const token = floatOut(out, "state_token")
        if (token.shape.length !== 2 || token.shape[0] !== robotObs.length || token.shape[1] !== d) {
          return yield* new SdkError({ reason: "ShapeMismatch", message: `state_token has shape [${token.shape.join(", ")}], expected [${robotObs.length}, ${d}]`, subject: "state_token" })
        }
        // Copies: the assembly keeps them in its frame groups (history), the output buffer is onnxruntime's.
        return robotObs.map((_, i) => token.data.slice(i * d, (i + 1) * d) as Float32Array)
      })
  }
}

/** The head graph's description (from the export manifest). @since 0.1.0 @category models */
export interface OrtHeadOptions {
  readonly name: string
  readonly kind: "continuous" | "discrete"
  readonly dimensions: HeadDimensions
  readonly stepper: "stateless" | "window" | "lstm"
  readonly maxWindow?: number | undefined
  readonly lstm?: { readonly layers: number; readonly hidden: number } | undefined
  readonly session: ort.InferenceSession
}

/** The last window position of (B, T, N, k) → (B, N, k). */
const lastPosition = (t: FloatTensor): FloatTensor => {
  const [b, time, n, k] = t.shape as [number, number, number, number]
  const out = new Float32Array(b * n * k)
  for (let i = 0; i < b; i++) out.set(t.data.subarray(((i * time) + time - 1) * n * k, ((i * time) + time) * n * k), i * n * k)
  return { data: out, shape: [b, n, k] }
}

/**
 * The head contract over the head graph, in the Scope that holds the session (open it first). `PolicyHead.make`
 * checks windows and frames (shape, finiteness, `maxWindow`, the batch size between `reset()`s) and hands the
 * stepper copies it may keep.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeOrtHead = (options: OrtHeadOptions): Effect.Effect<PolicyHeadService, SdkError, Scope.Scope> => {
  const { dimensions, session } = options
  const { latent, inputSize: d, windowSize } = dimensions
  const perStep = latent * d
  const zeros = (batch: number) => {
    const { layers, hidden } = options.lstm!
    return new ort.Tensor("float32", new Float32Array(layers * batch * hidden), [layers, batch, hidden])
  }

  /** (B, T, latent, D) → all outputs; LSTM state from `state` or zeros. */
  const run = (lrn: FloatTensor, state?: { h: ort.Tensor; c: ort.Tensor }) => {
    const feeds: Record<string, ort.Tensor> = { lrn: float32(lrn) }
    if (options.stepper === "lstm") {
      const batch = lrn.shape[0]!
      feeds["h0"] = state?.h ?? zeros(batch)
      feeds["c0"] = state?.c ?? zeros(batch)
    }
    return runSession(session, `head ${options.name}`, feeds)
  }

  const stepOutput = (out: ort.InferenceSession.ReturnType): HeadStepOutput => ({
    arm: lastPosition(floatOut(out, "arm")) as FloatTensor<"B N 6">,
    gripperLogits: lastPosition(floatOut(out, "gripper_logits")) as FloatTensor<"B N 1">
  })

  /** The stored per-step features as a (B, T, latent, D) window, oldest first. */
  const windowOf = (steps: ReadonlyArray<Float32Array>, batch: number): FloatTensor => {
    const time = steps.length
    const out = new Float32Array(batch * time * perStep)
    steps.forEach((step, t) => {
      for (let b = 0; b < batch; b++) out.set(step.subarray(b * perStep, (b + 1) * perStep), (b * time + t) * perStep)
    })
    return { data: out, shape: [batch, time, latent, d] }
  }

  /** The graph's own replay of the tfjs steppers; frames arrive checked and copied by `PolicyHead.make`. */
  const stepper = (): HeadContract.StepperHooks => {
    const history: Array<Float32Array> = []
    let seen = 0
    let carried: { h: ort.Tensor; c: ort.Tensor } | undefined
    const push = (lrn: FloatTensor) => {
      seen++
      history.push(lrn.data as Float32Array)
      if (history.length > windowSize) history.shift()
    }
    return {
      reset: () => {
        history.length = 0
        seen = 0
        carried = undefined
      },
      step: (lrn) => {
        const b = lrn.shape[0]!
        const one: FloatTensor = { data: lrn.data, shape: [b, 1, latent, d] }
        switch (options.stepper) {
          case "stateless":
            return Effect.map(run(one), stepOutput)
          case "window":
            push(lrn)
            return Effect.map(run(windowOf(history, b)), stepOutput)
          case "lstm":
            if (seen < windowSize) {
              return Effect.map(run(one, carried), (out) => {
                carried = { h: out["h_n"]!, c: out["c_n"]! }
                push(lrn)
                return stepOutput(out)
              })
            }
            push(lrn)
            return Effect.map(run(windowOf(history, b)), stepOutput)
        }
      }
    }
  }

  return HeadContract.make({
    name: options.name,
    kind: options.kind,
    dimensions,
    ...(options.maxWindow === undefined ? {} : { maxWindow: options.maxWindow }),
    predict: (lrn) =>
      Effect.map(run(lrn), (out) => ({
        arm: floatOut(out, "arm") as FloatTensor<"B W N 6">,
        gripperLogits: floatOut(out, "gripper_logits") as FloatTensor<"B W N 1">,
        ...(options.kind === "discrete" ? { binLogits: floatOut(out, "bin_logits") as FloatTensor<"B W N 7 bins"> } : {})
      })),
    stepper
  })
}
