/**
 * Two configurations meet here:
 *
 * - `Config`, the plugin's own config (what a VLA config names under `backbone:`): where the exported model
 *   lives, which execution provider to use, and optional overrides;
 * - `ModelConfig`, the `config.json` that sits beside the exported `.onnx` files and describes them (sizes,
 *   special ids, image preprocessing, file names). It is a file boundary, so it is decoded with Schema here and
 *   only here.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import type { SdkError } from "@robovla/sdk"
import { NonNegativeInt, PositiveInt, Schemas } from "@robovla/sdk"
import { describeCause, onnxError } from "./OnnxError.ts"

/**
 * Where onnxruntime runs the graphs. `cpu` is always there; `cuda` and `webgpu` are used only when asked for and
 * listed by onnxruntime-node's `listSupportedBackends()`.
 *
 * @since 0.1.0
 * @category models
 */
export const ExecutionProvider = Schema.Literals(["cpu", "cuda", "webgpu"])

/** @since 0.1.0 @category models */
export type ExecutionProvider = typeof ExecutionProvider.Type

/**
 * How `encodeImages` scales the vision encoder's output before it enters LM space. `none` passes it through
 * (current Hugging Face PaliGemma exports, and the fixture); `inverse_sqrt_hidden` divides by √D, as older
 * PaliGemma code did before Gemma multiplied every input embedding by √D (reference/robovlms.md §4.2).
 *
 * @since 0.1.0
 * @category models
 */
export const ImageFeatureScale = Schema.Literals(["none", "inverse_sqrt_hidden"])

/** @since 0.1.0 @category models */
export type ImageFeatureScale = typeof ImageFeatureScale.Type

const TokenId = NonNegativeInt
const Rgb = Schema.Tuple([Schema.Finite, Schema.Finite, Schema.Finite])

/**
 * The plugin config. Only `modelDir` is required; the rest override `config.json` or pick the engine.
 *
 * @since 0.1.0
 * @category models
 */
export const Config = Schema.Struct({
  /** Folder holding `config.json`, the three `.onnx` graphs and `tokenizer.json`. */
  modelDir: Schema.String,
  /** Default `cpu`. */
  executionProvider: Schema.optionalKey(ExecutionProvider),
  /** `{instruction}` is replaced by the instruction. Default: `config.json`'s `prompt_template`, else `{instruction}`. */
  promptTemplate: Schema.optionalKey(Schema.String),
  /** Default: `config.json`'s `image_features_scale`, else `none`. */
  imageFeatureScale: Schema.optionalKey(ImageFeatureScale),
  /** onnxruntime intra-op threads per session; default: onnxruntime's choice. */
  intraOpThreads: Schema.optionalKey(PositiveInt)
})

/** @since 0.1.0 @category models */
export type Config = typeof Config.Type

/**
 * The config the manifest advertises: a `./model` folder in the working directory on CPU.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultConfig: Config = { modelDir: "./model" }

const FileNames = Schema.Struct({
  vision_encoder: Schema.String,
  embed_tokens: Schema.String,
  decoder: Schema.String,
  tokenizer: Schema.String,
  /** Optional Hugging Face `tokenizer_config.json`. */
  tokenizer_config: Schema.optionalKey(Schema.String)
})

/**
 * `config.json` beside the exported graphs (snake_case, as Hugging Face writes configs). Unknown keys such as the
 * descriptive `io` block are ignored.
 *
 * @since 0.1.0
 * @category models
 */
export const ModelConfig = Schema.Struct({
  architecture: Schema.optionalKey(Schema.String),
  hidden_size: PositiveInt,
  vocab_size: PositiveInt,
  image_size: PositiveInt,
  image_token_count: PositiveInt,
  image_mean: Rgb,
  image_std: Rgb,
  image_resample: Schema.Literals(["nearest", "bilinear", "bicubic"]),
  bos_token_id: Schema.optionalKey(TokenId),
  eos_token_id: Schema.optionalKey(TokenId),
  pad_token_id: TokenId,
  image_token_id: Schema.optionalKey(TokenId),
  prompt_template: Schema.optionalKey(Schema.String),
  image_features_scale: Schema.optionalKey(ImageFeatureScale),
  files: FileNames
})

/** @since 0.1.0 @category models */
export type ModelConfig = typeof ModelConfig.Type

/** The name of the model description file inside `modelDir`. @since 0.1.0 @category constants */
export const MODEL_CONFIG_FILE = "config.json"

/** Lenient about extra keys: exporters write more than the backbone reads. */
const decodeModelConfig = Schemas.decodeUnknown(ModelConfig, "ONNX VLM export description", { strict: false })

/**
 * Decodes a plugin config from unknown input (a VLA config block, CLI flags).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodePluginConfig: (input: unknown) => Effect.Effect<Config, SdkError> = Schemas.decodeUnknown(
  Config,
  "backbone-onnx config"
)

/**
 * Reads and decodes `<modelDir>/config.json`. Missing file → `WeightsNotFound`, bad JSON → `CorruptFile`, wrong
 * fields → `InvalidInput`, each naming the file.
 *
 * @since 0.1.0
 * @category decoding
 */
export const readModelConfig = (modelDir: string): Effect.Effect<ModelConfig, SdkError> => {
  const file = path.resolve(modelDir, MODEL_CONFIG_FILE)
  return Effect.gen(function*() {
    const text = yield* Effect.tryPromise({
      try: () => fs.readFile(file, "utf8"),
      catch: (cause) =>
        onnxError("WeightsNotFound", `cannot read ${file}: ${describeCause(cause)}`, file, cause)
    })
    const json = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: (cause) => onnxError("CorruptFile", `${file} is not valid JSON: ${describeCause(cause)}`, file, cause)
    })
    return yield* decodeModelConfig(json).pipe(
      Effect.mapError((error) => onnxError("InvalidInput", `${file}: ${error.message}`, file, error))
    )
  })
}
