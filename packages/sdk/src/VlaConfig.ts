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
import type { SdkError } from "./SdkError.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))
const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
const Positive = Schema.Finite.check(Schema.isGreaterThan(0))
const Unit = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }))

/** A key that takes `value` when absent. */
const withDefault = <S extends Schema.Top>(schema: S, value: S["Encoded"]) =>
  schema.pipe(Schema.withDecodingDefaultKey(Effect.succeed(value)))

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
  type: withDefault(HeadType, "lstm"),
  hidden_size: withDefault(PositiveInt, 1024),
  num_layers: withDefault(PositiveInt, 4),
  action_dim: withDefault(PositiveInt, 7),
  down_sample: withDefault(Schema.Literals(["none", "pooling", "resampler"]), "none"),
  latent: withDefault(PositiveInt, 1),
  action_space: withDefault(Schema.Literals(["continuous", "discrete"]), "continuous"),
  history_type: withDefault(Schema.Literals(["post", "pre", "one_step"]), "post"),
  with_history: withDefault(Schema.Boolean, true),
  n_bin: withDefault(Schema.Int.check(Schema.isGreaterThanOrEqualTo(2)), 256),
  min_action: withDefault(Schema.Finite, -1),
  max_action: withDefault(Schema.Finite, 1)
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
  freeze_backbone: withDefault(Schema.Boolean, false),
  train_vision: withDefault(Schema.Boolean, true),
  train_text_embedding: withDefault(Schema.Boolean, true),
  train_decoder_layers: withDefault(Schema.Int.check(Schema.isGreaterThanOrEqualTo(-1)), -1),
  freeze_resampler: withDefault(Schema.Boolean, false),
  predict_action: withDefault(Schema.Boolean, true),
  lora_enable: withDefault(Schema.Boolean, false),
  lora_r: withDefault(PositiveInt, 64),
  lora_alpha: withDefault(Positive, 16),
  lora_dropout: withDefault(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThan(1)), 0.05),
  lora_bias: withDefault(Schema.Literals(["none", "all", "lora_only"]), "none")
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
  robovlm_name: withDefault(Schema.String, "RoboKosMos"),
  model: withDefault(Schema.String, "kosmos"),
  window_size: withDefault(PositiveInt, 8),
  fwd_pred_next_n: withDefault(PositiveInt, 10),
  seq_len: withDefault(PositiveInt, 1),
  image_size: withDefault(PositiveInt, 224),
  use_hand_rgb: withDefault(Schema.Boolean, false),
  act_head: withDefault(ActHeadConfig, {}),
  train_setup: withDefault(TrainSetupConfig, {}),
  norm_action: withDefault(Schema.Boolean, true),
  norm_min: withDefault(Schema.Finite, -0.65),
  norm_max: withDefault(Schema.Finite, 0.65),
  use_mu_law: withDefault(Schema.Boolean, false),
  tcp_rel: withDefault(Schema.Boolean, false),
  arm_gripper_loss_ratio: withDefault(NonNegative, 0.01),
  cap_loss_ratio: withDefault(NonNegative, 0.05),
  fwd_loss_ratio: withDefault(NonNegative, 0),
  learning_rate: withDefault(Positive, 2e-5),
  min_lr_scale: withDefault(Unit, 0.01),
  weight_decay: withDefault(NonNegative, 0),
  warmup_epochs: withDefault(NonNegative, 0.25),
  warmup_steps: withDefault(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)), 0),
  scheduler: withDefault(Schema.Literals(["constant", "cosine", "half-cosine"]), "constant"),
  gradient_clip_val: withDefault(NonNegative, 0),
  batch_size: withDefault(PositiveInt, 41),
  max_epochs: withDefault(PositiveInt, 5),
  seed: withDefault(Schema.Int, 123)
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
