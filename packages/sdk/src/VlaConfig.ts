/**
 * The VLA configuration: RoboVLMs' config keys (snake_case, as in its JSON configs) with the defaults of the
 * CALVIN Kosmos policy-head config (reference/robovlms.md §7.3): W = 8, N = 10, LSTM head 1024×4, ±0.65
 * normalisation, arm/gripper loss ratio 0.01, AdamW lr 2e-5, constant schedule after a 0.25-epoch warm-up.
 *
 * Keys RoboVLMs stores but never reads (§5.1, §7.1, §10.18) are not part of this Schema; unknown keys are
 * rejected by {@link decodeVlaConfig} unless `allowUnknownKeys` is set (for importing a full RoboVLMs file).
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import type { Result } from "effect"
import { decodeEffect, decodeResult } from "./internal/schemaDecode.ts"
import { NonNegative, PositiveInt, withDefault } from "./Schemas.ts"
import type { SdkError } from "./SdkError.ts"

const Positive = Schema.Finite.check(Schema.isGreaterThan(0))
const Unit = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }))

/**
 * Head types: RoboVLMs' `LSTMDecoder`, `FCDecoder` (MLP), `GPTDecoder` and `DiscreteDecoder`.
 * {@link decodeVlaConfig} also accepts those class names and maps them to these.
 *
 * @since 0.1.0
 * @category schemas
 */
export const HeadType = Schema.Literals(["lstm", "mlp", "gpt", "discrete"])

/** @since 0.1.0 @category models */
export type HeadType = typeof HeadType.Type

/** RoboVLMs class name → head type. @since 0.1.0 @category constants */
export const HEAD_CLASS_NAMES: Readonly<Record<string, HeadType>> = {
  LSTMDecoder: "lstm",
  FCDecoder: "mlp",
  MLPDecoder: "mlp",
  GPTDecoder: "gpt",
  DiscreteDecoder: "discrete"
}

/**
 * The action head (`act_head`). `history_type`: `"post"` = policy-head (each frame through the VLM separately,
 * history fused by the head), `"pre"` = interleaved (one LM sequence), `"one_step"` = no history (W = 1).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ActHeadConfig = Schema.Struct({
  type: HeadType.pipe(withDefault("lstm")),
  hidden_size: PositiveInt.pipe(withDefault(1024)),
  num_layers: PositiveInt.pipe(withDefault(4)),
  action_dim: PositiveInt.pipe(withDefault(7)),
  down_sample: Schema.Literals(["none", "pooling", "resampler"]).pipe(withDefault("none")),
  latent: PositiveInt.pipe(withDefault(1)),
  action_space: Schema.Literals(["continuous", "discrete"]).pipe(withDefault("continuous")),
  history_type: Schema.Literals(["post", "pre", "one_step"]).pipe(withDefault("post")),
  with_history: Schema.Boolean.pipe(withDefault(true)),
  n_bin: Schema.Int.check(Schema.isGreaterThanOrEqualTo(2)).pipe(withDefault(256)),
  min_action: Schema.Finite.pipe(withDefault(-1)),
  max_action: Schema.Finite.pipe(withDefault(1))
}).check(
  Schema.makeFilter((h: { readonly min_action: number; readonly max_action: number }) =>
    h.min_action < h.max_action
      ? undefined
      : { path: ["max_action"], issue: `min_action (${h.min_action}) must be < max_action (${h.max_action})` }
  ),
  Schema.makeFilter((h: { readonly type: HeadType; readonly action_space: string }) =>
    (h.type === "discrete") === (h.action_space === "discrete")
      ? undefined
      : {
        path: ["action_space"],
        issue: `head type "${h.type}" needs action_space "${h.type === "discrete" ? "discrete" : "continuous"}", got "${h.action_space}"`
      }
  )
)

/** @since 0.1.0 @category models */
export type ActHeadConfig = typeof ActHeadConfig.Type

/**
 * Which parameters train (§7.1). `train_decoder_layers` −1 = all decoder layers, k > 0 = the last k.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TrainSetupConfig = Schema.Struct({
  freeze_backbone: Schema.Boolean.pipe(withDefault(false)),
  train_vision: Schema.Boolean.pipe(withDefault(true)),
  train_text_embedding: Schema.Boolean.pipe(withDefault(true)),
  train_decoder_layers: Schema.Int.check(Schema.isGreaterThanOrEqualTo(-1)).pipe(withDefault(-1)),
  freeze_resampler: Schema.Boolean.pipe(withDefault(false)),
  predict_action: Schema.Boolean.pipe(withDefault(true)),
  lora_enable: Schema.Boolean.pipe(withDefault(false)),
  lora_r: PositiveInt.pipe(withDefault(64)),
  lora_alpha: Positive.pipe(withDefault(16)),
  lora_dropout: Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThan(1)).pipe(withDefault(0.05)),
  lora_bias: Schema.Literals(["none", "all", "lora_only"]).pipe(withDefault("none"))
})

/** @since 0.1.0 @category models */
export type TrainSetupConfig = typeof TrainSetupConfig.Type

/**
 * The whole VLA configuration.
 *
 * @since 0.1.0
 * @category schemas
 */
export const VlaConfigSchema = Schema.Struct({
  robovlm_name: Schema.String.pipe(withDefault("RoboKosMos")),
  model: Schema.String.pipe(withDefault("kosmos")),
  window_size: PositiveInt.pipe(withDefault(8)),
  fwd_pred_next_n: PositiveInt.pipe(withDefault(10)),
  seq_len: PositiveInt.pipe(withDefault(1)),
  image_size: PositiveInt.pipe(withDefault(224)),
  use_hand_rgb: Schema.Boolean.pipe(withDefault(false)),
  act_head: ActHeadConfig.pipe(withDefault({})),
  train_setup: TrainSetupConfig.pipe(withDefault({})),
  norm_action: Schema.Boolean.pipe(withDefault(true)),
  norm_min: Schema.Finite.pipe(withDefault(-0.65)),
  norm_max: Schema.Finite.pipe(withDefault(0.65)),
  use_mu_law: Schema.Boolean.pipe(withDefault(false)),
  tcp_rel: Schema.Boolean.pipe(withDefault(false)),
  arm_gripper_loss_ratio: NonNegative.pipe(withDefault(0.01)),
  cap_loss_ratio: NonNegative.pipe(withDefault(0.05)),
  fwd_loss_ratio: NonNegative.pipe(withDefault(0)),
  learning_rate: Positive.pipe(withDefault(2e-5)),
  min_lr_scale: Unit.pipe(withDefault(0.01)),
  weight_decay: NonNegative.pipe(withDefault(0)),
  warmup_epochs: NonNegative.pipe(withDefault(0.25)),
  warmup_steps: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).pipe(withDefault(0)),
  scheduler: Schema.Literals(["constant", "cosine", "half-cosine"]).pipe(withDefault("constant")),
  gradient_clip_val: NonNegative.pipe(withDefault(0)),
  batch_size: PositiveInt.pipe(withDefault(41)),
  max_epochs: PositiveInt.pipe(withDefault(5)),
  seed: Schema.Int.pipe(withDefault(123))
}).check(
  Schema.makeFilter((c: { readonly norm_min: number; readonly norm_max: number }) =>
    c.norm_min < c.norm_max
      ? undefined
      : { path: ["norm_max"], issue: `norm_min (${c.norm_min}) must be < norm_max (${c.norm_max})` }
  ),
  Schema.makeFilter((c: { readonly window_size: number; readonly act_head: ActHeadConfig }) =>
    c.act_head.history_type === "one_step" && c.window_size !== 1
      ? { path: ["window_size"], issue: `history_type "one_step" needs window_size 1, got ${c.window_size}` }
      : undefined
  )
)

/** @since 0.1.0 @category models */
export type VlaConfig = typeof VlaConfigSchema.Type

/** The encoded (input) side: every key optional. @since 0.1.0 @category models */
export type VlaConfigInput = typeof VlaConfigSchema.Encoded

/** Options for {@link decodeVlaConfig}. @since 0.1.0 @category models */
export interface DecodeVlaConfigOptions {
  /** Ignore keys this Schema does not know (RoboVLMs files carry many unused ones). Default false. */
  readonly allowUnknownKeys?: boolean
}

/**
 * Maps RoboVLMs head class names (`LSTMDecoder`…) to head types, and lets a `discrete` head imply
 * `action_space: "discrete"` when that key is absent, before decoding.
 */
const normaliseHeadType = (input: unknown): unknown => {
  if (typeof input !== "object" || input === null) return input
  const record = input as Record<string, unknown>
  const head = record["act_head"]
  if (typeof head !== "object" || head === null) return input
  const headRecord = head as Record<string, unknown>
  const rawType = headRecord["type"]
  const type = typeof rawType === "string" && Object.hasOwn(HEAD_CLASS_NAMES, rawType)
    ? HEAD_CLASS_NAMES[rawType]
    : rawType
  const actionSpace = type === "discrete" && !("action_space" in headRecord) ? { action_space: "discrete" } : {}
  return { ...record, act_head: { ...headRecord, ...(type !== undefined ? { type } : {}), ...actionSpace } }
}

/**
 * Decodes a VLA config, filling every missing key with the CALVIN default. Fails with `SdkError`
 * (`"InvalidInput"`) naming each bad field and why, e.g. `window_size: Expected a value greater than 0, got -1`,
 * `act_head.type: Expected "lstm" | "mlp" | "gpt" | "discrete", got "gru"`, `norm_max: norm_min (…) must be < …`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeVlaConfig = (
  input: unknown,
  options: DecodeVlaConfigOptions = {}
): Effect.Effect<VlaConfig, SdkError> =>
  decodeEffect(VlaConfigSchema, normaliseHeadType(input), "VLA config", options.allowUnknownKeys !== true)

/**
 * Synchronous variant of {@link decodeVlaConfig}.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeVlaConfigResult = (
  input: unknown,
  options: DecodeVlaConfigOptions = {}
): Result.Result<VlaConfig, SdkError> =>
  decodeResult(VlaConfigSchema, normaliseHeadType(input), "VLA config", options.allowUnknownKeys !== true)

/**
 * The CALVIN default config (Kosmos policy-head, W = 8, N = 10).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultVlaConfig: VlaConfig = Schema.decodeUnknownSync(VlaConfigSchema)({})
