/**
 * The exported graphs behind the SDK contracts, on onnxruntime-node: a `Backbone` over the three backbone graphs
 * (tiny-vlm exports) and a `PolicyHead` over the head graph, whose evaluation steppers replay the tfjs heads'
 * (reference/robovlms.md §5.3): stateless (mlp, discrete), window re-run (gpt), and LSTM state carried for the
 * first W steps then a re-run over the last W from zero.
 *
 * Any session failure is an `SdkError` (`PluginFailure`), wrong shapes are `ShapeMismatch`, as the contract asks.
 *
 * @since 0.1.0
 */
import * as ort from "onnxruntime-node"
import {
  Backbone as BackboneContract,
  PolicyHead as HeadContract,
  SdkError,
  Tensor,
  type BackboneService,
  type BackboneTokenizer,
  type FloatTensor,
  type HeadDimensions,
  type HeadStepOutput,
  type HeadStepper,
  type ImagePreprocessing,
  type PolicyHeadService
} from "@robovla/sdk"
import { Effect } from "effect"

const shapeError = (message: string, subject: string) => new SdkError({ reason: "ShapeMismatch", message, subject })

const checkFloat = (t: FloatTensor, rank: number, what: string): void => {
  if (t.shape.length !== rank || t.shape.some((d) => !Number.isInteger(d) || d < 1) || t.data.length !== Tensor.sizeOf(t.shape)) {
    throw shapeError(`${what} has shape [${t.shape.join(", ")}] and ${t.data.length} values; expected a full rank-${rank} tensor`, what)
  }
  if (!Tensor.isAllFinite(t.data)) throw new SdkError({ reason: "NonFinite", message: `${what} contains NaN or Infinity`, subject: what })
}

/** Runs a session; every failure becomes an SdkError naming the graph. */
const runSession = (session: ort.InferenceSession, graph: string, feeds: Record<string, ort.Tensor>): Effect.Effect<ort.InferenceSession.ReturnType, SdkError> =>
  Effect.tryPromise({
    try: () => session.run(feeds),
    catch: (cause) => new SdkError({ reason: "PluginFailure", message: `onnxruntime failed running ${graph}: ${cause instanceof Error ? cause.message : String(cause)}`, subject: graph, cause })
  })

const floatOut = <Dims extends string = string>(out: ort.InferenceSession.ReturnType, name: string): FloatTensor<Dims> => {
  const t = out[name]!
  return { data: new Float32Array(t.data as Float32Array), shape: t.dims.map(Number) }
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
 * The backbone contract over the three graphs.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeOrtBackbone = (options: OrtBackboneOptions): BackboneService => {
  const { hiddenSize: d, sessions } = options
  const size = options.imagePreprocessing.size
  return {
    specificationVersion: BackboneContract.BACKBONE_CONTRACT_VERSION,
    name: options.name,
    hiddenSize: d,
    imageTokens: options.imageTokens,
    imagePreprocessing: options.imagePreprocessing,
    tokenizer: options.tokenizer,
    encodeImages: (pixels) =>
      Effect.suspend(() => {
        checkFloat(pixels, 4, "pixels")
        if (pixels.shape[1] !== 3 || pixels.shape[2] !== size || pixels.shape[3] !== size) {
          return Effect.fail(shapeError(`pixels must be (B, 3, ${size}, ${size}), got [${pixels.shape.join(", ")}]`, "pixels"))
        }
        return Effect.map(runSession(sessions.visionEncoder, "vision_encoder", { pixel_values: float32(pixels) }), (out) => floatOut<"B n D">(out, "image_features"))
      }).pipe(Effect.catchDefect((cause) => Effect.fail(cause instanceof SdkError ? cause : new SdkError({ reason: "PluginFailure", message: String(cause), cause })))),
    embedTokens: (ids) =>
      Effect.suspend(() => {
        if (ids.shape.length !== 2 || ids.data.length !== Tensor.sizeOf(ids.shape)) return Effect.fail(shapeError(`ids must be (B, L), got [${ids.shape.join(", ")}]`, "ids"))
        for (const id of ids.data) {
          if (!Number.isInteger(id) || id < 0 || id >= options.tokenizer.vocabSize) {
            return Effect.fail(new SdkError({ reason: "InvalidInput", message: `token id ${id} is outside the vocabulary [0, ${options.tokenizer.vocabSize})`, subject: "ids" }))
          }
        }
        return Effect.map(runSession(sessions.embedTokens, "embed_tokens", { input_ids: int64(ids.data, ids.shape) }), (out) => floatOut<"B L D">(out, "inputs_embeds"))
      }),
    forward: (inputsEmbeds, attentionMask) =>
      Effect.suspend(() => {
        checkFloat(inputsEmbeds, 3, "inputsEmbeds")
        const [b, l, width] = inputsEmbeds.shape as [number, number, number]
        if (width !== d) return Effect.fail(shapeError(`inputsEmbeds width is ${width}, the backbone's hidden size is ${d}`, "inputsEmbeds"))
        if (attentionMask.shape[0] !== b || attentionMask.shape[1] !== l) return Effect.fail(shapeError(`attentionMask shape [${attentionMask.shape.join(", ")}] does not match (${b}, ${l})`, "attentionMask"))
        if (l > options.maxPositions) return Effect.fail(shapeError(`sequence length ${l} exceeds maxPositions ${options.maxPositions}`, "inputsEmbeds"))
        return Effect.map(
          runSession(sessions.decoder, "decoder", { inputs_embeds: float32(inputsEmbeds), attention_mask: int64(attentionMask.data, attentionMask.shape) }),
          (out) => floatOut<"B L D">(out, "last_hidden_state")
        )
      }).pipe(Effect.catchDefect((cause) => Effect.fail(cause instanceof SdkError ? cause : new SdkError({ reason: "PluginFailure", message: String(cause), cause })))),
    parameterGroups: () => []
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
const lastPosition = <Dims extends string>(t: FloatTensor): FloatTensor<Dims> => {
  const [b, time, n, k] = t.shape as [number, number, number, number]
  const out = new Float32Array(b * n * k)
  for (let i = 0; i < b; i++) out.set(t.data.subarray(((i * time) + time - 1) * n * k, ((i * time) + time) * n * k), i * n * k)
  return { data: out, shape: [b, n, k] }
}

/**
 * The head contract over the head graph.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeOrtHead = (options: OrtHeadOptions): PolicyHeadService => {
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

  const checkWindow = (lrn: FloatTensor): void => {
    checkFloat(lrn, 4, "[LRN] window")
    if (lrn.shape[2] !== latent || lrn.shape[3] !== d) throw shapeError(`[LRN] window must be (B, W, ${latent}, ${d}), got [${lrn.shape.join(", ")}]`, "lrn")
    if (options.maxWindow !== undefined && lrn.shape[1]! > options.maxWindow) throw shapeError(`[LRN] window has ${lrn.shape[1]} positions, at most ${options.maxWindow} allowed`, "lrn")
  }
  const checkStep = (lrn: FloatTensor): void => {
    checkFloat(lrn, 3, "step features")
    if (lrn.shape[1] !== latent || lrn.shape[2] !== d) throw shapeError(`step features must be (B, ${latent}, ${d}), got [${lrn.shape.join(", ")}]`, "lrn")
  }
  const failDefects = <A>(effect: Effect.Effect<A, SdkError>) =>
    effect.pipe(Effect.catchDefect((cause) => Effect.fail(cause instanceof SdkError ? cause : new SdkError({ reason: "PluginFailure", message: String(cause), cause }))))

  const stepOutput = (out: ort.InferenceSession.ReturnType): HeadStepOutput => ({
    arm: lastPosition<"B N 6">(floatOut(out, "arm")),
    gripperLogits: lastPosition<"B N 1">(floatOut(out, "gripper_logits"))
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

  const stepper = (): HeadStepper => {
    const history: Array<Float32Array> = []
    let seen = 0
    let batch = 0
    let carried: { h: ort.Tensor; c: ort.Tensor } | undefined
    const push = (lrn: FloatTensor) => {
      batch = lrn.shape[0]!
      seen++
      history.push(new Float32Array(lrn.data))
      if (history.length > windowSize) history.shift()
    }
    return {
      reset: () => {
        history.length = 0
        seen = 0
        batch = 0
        carried = undefined
      },
      step: (lrn) =>
        failDefects(Effect.suspend(() => {
          checkStep(lrn)
          const b = lrn.shape[0]!
          if (seen > 0 && b !== batch) throw shapeError(`step batch size ${b} differs from this session's ${batch}; call reset() first`, "lrn")
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
        }))
    }
  }

  return {
    specificationVersion: HeadContract.HEAD_CONTRACT_VERSION,
    name: options.name,
    kind: options.kind,
    dimensions,
    predict: (lrn) =>
      failDefects(Effect.suspend(() => {
        checkWindow(lrn)
        return Effect.map(run(lrn), (out) => ({
          arm: floatOut<"B W N 6">(out, "arm"),
          gripperLogits: floatOut<"B W N 1">(out, "gripper_logits"),
          ...(options.kind === "discrete" ? { binLogits: floatOut<"B W N 7 bins">(out, "bin_logits") } : {})
        }))
      })),
    stepper,
    parameterGroups: () => []
  }
}
