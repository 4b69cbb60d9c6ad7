/**
 * A backbone for any VLM exported to ONNX in the common three-graph split:
 *
 * | graph | inputs | output |
 * |---|---|---|
 * | vision encoder | `pixel_values` float32 (B,3,S,S) | (B,n,D) image tokens in LM width |
 * | token embedding | `input_ids` int64/int32 (B,L) | (B,L,D) raw embedding rows |
 * | decoder | `inputs_embeds` float32 (B,T,D), `attention_mask` int64/int32 (B,T) | (B,T,D) last hidden state |
 *
 * plus a Hugging Face `tokenizer.json` and a `config.json` describing sizes, ids, preprocessing and file names.
 * Runs on onnxruntime-node. The three sessions are acquired in the caller's Scope and released when it closes;
 * calls after that fail with `Released`. Inference only: `parameterGroups()` is empty.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import * as ort from "onnxruntime-node"
import { Backbone as BackboneModule, Tensor } from "@robovla/sdk"
import type { BackboneService, FloatTensor, ImagePreprocessing, SdkError } from "@robovla/sdk"
import type { Config, ExecutionProvider, ImageFeatureScale, ModelConfig } from "./OnnxConfig.ts"
import { readModelConfig } from "./OnnxConfig.ts"
import { describeCause, onnxError } from "./OnnxError.ts"
import { makeOnnxTokenizer } from "./OnnxTokenizer.ts"

let liveSessions = 0

/**
 * How many onnxruntime sessions this package holds open right now (three per live backbone). Tests use it to
 * check that closing a Scope really releases them.
 *
 * @since 0.1.0
 * @category diagnostics
 */
export const liveSessionCount = (): number => liveSessions

/** Which graph of the export; also the key under `files` in config.json. @since 0.1.0 @category models */
export type GraphRole = "vision_encoder" | "embed_tokens" | "decoder"

/** The input names each graph must accept, in the order Hugging Face exports name them. */
const REQUIRED_INPUTS: Readonly<Record<GraphRole, ReadonlyArray<string>>> = {
  vision_encoder: ["pixel_values"],
  embed_tokens: ["input_ids"],
  decoder: ["inputs_embeds", "attention_mask"]
}

/** The preferred output name; a graph with a single output may name it anything. */
const PREFERRED_OUTPUT: Readonly<Record<GraphRole, string>> = {
  vision_encoder: "image_features",
  embed_tokens: "inputs_embeds",
  decoder: "last_hidden_state"
}

/** An open session with what `run` needs to feed it: the file (for messages) and its integer input dtypes. */
interface Graph {
  readonly role: GraphRole
  readonly file: string
  readonly session: ort.InferenceSession
  readonly outputName: string
  readonly integerTypes: Readonly<Record<string, "int64" | "int32">>
}

/**
 * Picks onnxruntime's execution provider, failing with `EngineUnavailable` when the requested one is not listed
 * by `listSupportedBackends()` (CUDA is listed as not bundled unless its binaries were installed).
 *
 * @since 0.1.0
 * @category engines
 */
export const resolveExecutionProvider = (requested: ExecutionProvider): Effect.Effect<ExecutionProvider, SdkError> =>
  Effect.gen(function*() {
    if (requested === "cpu") return requested
    const supported = ort.listSupportedBackends()
    const entry = supported.find((backend) => backend.name === requested)
    if (entry === undefined) {
      return yield* Effect.fail(
        onnxError(
          "EngineUnavailable",
          `execution provider '${requested}' is not supported by this onnxruntime-node build (supported: ${
            supported.map((b) => b.name).join(", ")
          })`,
          "executionProvider"
        )
      )
    }
    return requested
  })

const checkDims = (
  actual: ReadonlyArray<number | string>,
  expected: ReadonlyArray<number | undefined>,
  what: string,
  file: string,
  field: string
): Effect.Effect<void, SdkError> => {
  if (actual.length === 0) return Effect.void // shape not recorded in the graph
  const mismatch = actual.length !== expected.length ||
    expected.some((dim, i) => dim !== undefined && typeof actual[i] === "number" && actual[i] !== dim)
  return mismatch
    ? Effect.fail(
      onnxError(
        "ShapeMismatch",
        `${path.basename(file)} ${what} has shape [${actual.join(", ")}] but ${field} expects [${
          expected.map((d) => d ?? "*").join(", ")
        }]`,
        `${path.basename(file)}: ${what}`
      )
    )
    : Effect.void
}

/** Opens one graph in the Scope, checks its inputs/outputs against the contract and config, releases it on close. */
const openGraph = (
  role: GraphRole,
  file: string,
  provider: ExecutionProvider,
  intraOpThreads: number | undefined,
  model: ModelConfig
): Effect.Effect<Graph, SdkError, Scope.Scope> =>
  Effect.gen(function*() {
    const name = path.basename(file)
    yield* Effect.tryPromise({
      try: () => fs.access(file),
      catch: (cause) =>
        onnxError("WeightsNotFound", `${role} graph ${file} (config.json files.${role}) does not exist`, file, cause)
    })
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: [provider],
      ...(intraOpThreads === undefined ? {} : { intraOpNumThreads: intraOpThreads })
    }
    const session = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => ort.InferenceSession.create(file, options),
        catch: (cause) =>
          provider === "cpu"
            ? onnxError("CorruptFile", `${file} is not a loadable ONNX graph: ${describeCause(cause)}`, file, cause)
            : onnxError(
              "EngineUnavailable",
              `cannot open ${file} on execution provider '${provider}': ${describeCause(cause)}`,
              file,
              cause
            )
      }),
      (session) =>
        Effect.promise(() =>
          session.release().then(
            () => void liveSessions--,
            () => void liveSessions--
          )
        )
    )
    liveSessions++
    const inputs = new Map(session.inputMetadata.map((meta) => [meta.name, meta]))
    for (const required of REQUIRED_INPUTS[role]) {
      if (!inputs.has(required)) {
        return yield* Effect.fail(
          onnxError(
            "CorruptFile",
            `${name} has inputs [${session.inputNames.join(", ")}] but the ${role} graph needs [${
              REQUIRED_INPUTS[role].join(", ")
            }]`,
            file
          )
        )
      }
    }
    const extra = session.inputNames.filter((input) => !REQUIRED_INPUTS[role].includes(input))
    if (extra.length > 0) {
      return yield* Effect.fail(
        onnxError(
          "CorruptFile",
          `${name} has extra inputs [${extra.join(", ")}]; the ${role} graph takes exactly [${
            REQUIRED_INPUTS[role].join(", ")
          }] (re-export without them, e.g. compute position_ids inside the graph)`,
          file
        )
      )
    }
    const outputName = session.outputNames.includes(PREFERRED_OUTPUT[role])
      ? PREFERRED_OUTPUT[role]
      : session.outputNames.length === 1
      ? session.outputNames[0]!
      : undefined
    if (outputName === undefined) {
      return yield* Effect.fail(
        onnxError(
          "CorruptFile",
          `${name} has outputs [${session.outputNames.join(", ")}]; expected '${PREFERRED_OUTPUT[role]}'`,
          file
        )
      )
    }
    const integerTypes: Record<string, "int64" | "int32"> = {}
    const D = model.hidden_size
    for (const meta of session.inputMetadata) {
      if (!meta.isTensor) {
        return yield* Effect.fail(onnxError("CorruptFile", `${name} input '${meta.name}' is not a tensor`, file))
      }
      const integer = meta.name === "input_ids" || meta.name === "attention_mask"
      if (integer) {
        if (meta.type !== "int64" && meta.type !== "int32") {
          return yield* Effect.fail(
            onnxError("CorruptFile", `${name} input '${meta.name}' is ${meta.type}; expected int64 or int32`, file)
          )
        }
        integerTypes[meta.name] = meta.type
      } else if (meta.type !== "float32") {
        return yield* Effect.fail(
          onnxError("CorruptFile", `${name} input '${meta.name}' is ${meta.type}; expected float32`, file)
        )
      }
      if (meta.name === "pixel_values") {
        const S = model.image_size
        yield* checkDims(meta.shape, [undefined, 3, S, S], "input pixel_values", file, "config.json image_size")
      }
      if (meta.name === "inputs_embeds") {
        yield* checkDims(meta.shape, [undefined, undefined, D], "input inputs_embeds", file, "config.json hidden_size")
      }
    }
    const output = session.outputMetadata.find((meta) => meta.name === outputName)
    if (output !== undefined && output.isTensor) {
      if (output.type !== "float32") {
        return yield* Effect.fail(
          onnxError("CorruptFile", `${name} output '${outputName}' is ${output.type}; expected float32`, file)
        )
      }
      const expected = role === "vision_encoder"
        ? [undefined, model.image_token_count, D]
        : [undefined, undefined, D]
      const field = role === "vision_encoder"
        ? "config.json image_token_count/hidden_size"
        : "config.json hidden_size"
      yield* checkDims(output.shape, expected, `output ${outputName}`, file, field)
    }
    return { role, file, session, outputName, integerTypes }
  })

const integerTensor = (values: Int32Array, shape: ReadonlyArray<number>, type: "int64" | "int32"): ort.Tensor =>
  type === "int32"
    ? new ort.Tensor("int32", Int32Array.from(values), [...shape])
    : new ort.Tensor("int64", BigInt64Array.from(values, (v) => BigInt(v)), [...shape])

/** Runs a graph and copies its output out of onnxruntime's buffer, checking shape and finiteness. */
const runGraph = (
  graph: Graph,
  feeds: Record<string, ort.Tensor>,
  expectedShape: ReadonlyArray<number>
): Effect.Effect<FloatTensor, SdkError> =>
  Effect.gen(function*() {
    const name = path.basename(graph.file)
    const results = yield* Effect.tryPromise({
      try: () => graph.session.run(feeds),
      catch: (cause) => onnxError("PluginFailure", `${name} failed to run: ${describeCause(cause)}`, graph.file, cause)
    })
    const output = results[graph.outputName]
    if (output === undefined || output.type !== "float32") {
      return yield* Effect.fail(
        onnxError("CorruptFile", `${name} returned no float32 '${graph.outputName}'`, graph.file)
      )
    }
    const shape = output.dims.map(Number)
    const data = new Float32Array(output.data as Float32Array) // out of onnxruntime before its results are disposed
    for (const value of Object.values(results)) value.dispose()
    if (shape.length !== expectedShape.length || shape.some((d, i) => d !== expectedShape[i])) {
      return yield* Effect.fail(
        onnxError(
          "ShapeMismatch",
          `${name} returned ${graph.outputName} of shape [${shape.join(", ")}], expected [${expectedShape.join(", ")}]`,
          `${name}: ${graph.outputName}`
        )
      )
    }
    if (!Tensor.isAllFinite(data)) {
      return yield* Effect.fail(
        onnxError("NonFinite", `${name} returned NaN or Infinity in ${graph.outputName}`, `${name}: ${graph.outputName}`)
      )
    }
    return { data, shape }
  })

/**
 * Resolved settings: plugin config first, then config.json, then defaults.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolvedSettings {
  readonly provider: ExecutionProvider
  readonly promptTemplate: string
  readonly imageFeatureScale: ImageFeatureScale
}

/** @since 0.1.0 @category utils */
export const resolveSettings = (config: Config, model: ModelConfig): ResolvedSettings => ({
  provider: config.executionProvider ?? "cpu",
  promptTemplate: config.promptTemplate ?? model.prompt_template ?? "{instruction}",
  imageFeatureScale: config.imageFeatureScale ?? model.image_features_scale ?? "none"
})

/**
 * Opens the exported model in `config.modelDir` and returns the contract's `Backbone`. The onnxruntime sessions
 * live in the caller's Scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (config: Config): Effect.Effect<BackboneService, SdkError, Scope.Scope> =>
  Effect.gen(function*() {
    const modelDir = path.resolve(config.modelDir)
    const model = yield* readModelConfig(modelDir)
    const settings = resolveSettings(config, model)
    const provider = yield* resolveExecutionProvider(settings.provider)
    const fileOf = (name: string) => path.resolve(modelDir, name)
    const tokenizer = yield* makeOnnxTokenizer({
      tokenizerFile: fileOf(model.files.tokenizer),
      tokenizerConfigFile: model.files.tokenizer_config === undefined ? undefined : fileOf(model.files.tokenizer_config),
      promptTemplate: settings.promptTemplate,
      vocabSize: model.vocab_size,
      bosId: model.bos_token_id,
      eosId: model.eos_token_id,
      padId: model.pad_token_id
    })
    const open = (role: GraphRole) => openGraph(role, fileOf(model.files[role]), provider, config.intraOpThreads, model)
    const vision = yield* open("vision_encoder")
    const embed = yield* open("embed_tokens")
    const decoder = yield* open("decoder")
    const D = model.hidden_size
    const S = model.image_size
    const n = model.image_token_count
    const featureScale = settings.imageFeatureScale === "inverse_sqrt_hidden" ? 1 / Math.sqrt(D) : 1
    const imagePreprocessing: ImagePreprocessing = {
      size: S,
      mean: model.image_mean,
      std: model.image_std,
      resample: model.image_resample
    }

    // Backbone.make checks every argument (shapes, dtypes, NaNs, ids in the vocabulary, the 0/1 mask), refuses
    // calls once the Scope closes (its guard is registered after the sessions, so it flips before they are
    // released) and copies the outputs: the hooks only feed the graphs.
    return yield* BackboneModule.make({
      name: `onnx/${model.architecture ?? path.basename(modelDir)}`,
      hiddenSize: D,
      imageTokens: n,
      imagePreprocessing,
      tokenizer,
      encodeImages: (pixels) =>
        Effect.gen(function*() {
          const feeds = { pixel_values: new ort.Tensor("float32", Float32Array.from(pixels.data), [...pixels.shape]) }
          const features = yield* runGraph(vision, feeds, [pixels.shape[0]!, n, D])
          if (featureScale !== 1) for (let i = 0; i < features.data.length; i++) features.data[i]! *= featureScale
          return features
        }),
      embedTokens: (ids) =>
        runGraph(
          embed,
          { input_ids: integerTensor(ids.data, ids.shape, embed.integerTypes["input_ids"] ?? "int64") },
          [ids.shape[0]!, ids.shape[1]!, D]
        ),
      forward: (inputsEmbeds, attentionMask) =>
        runGraph(decoder, {
          inputs_embeds: new ort.Tensor("float32", Float32Array.from(inputsEmbeds.data), [...inputsEmbeds.shape]),
          attention_mask: integerTensor(attentionMask.data, attentionMask.shape, decoder.integerTypes["attention_mask"] ?? "int64")
        }, [inputsEmbeds.shape[0]!, inputsEmbeds.shape[1]!, D])
    })
  })
