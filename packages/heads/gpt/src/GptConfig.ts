/**
 * Config of the GPT head (RoboVLMs' `GPTDecoder`). `{}` decodes to the CALVIN values (H = 1024, 8 layers,
 * 8 heads, dropout 0.1 in training).
 *
 * @since 0.1.0
 */
import { PositiveInt, withDefault } from "@robovla/sdk"
import { continuousHeadFields } from "@robovla/tfjs"
import { Schema } from "effect"

/**
 * @since 0.1.0
 * @category schemas
 */
export const GptConfig = Schema.Struct({
  ...continuousHeadFields,
  /** Transformer blocks (GPT2Config `n_layer`). */
  n_layer: PositiveInt.pipe(withDefault(8)),
  /** Attention heads; must divide `hidden_size · latent`. */
  n_head: PositiveInt.pipe(withDefault(8)),
  /** Embedding, attention and residual dropout, applied only with `predictTensors(x, { training: true })`. */
  dropout: Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1, exclusiveMaximum: true })).pipe(withDefault(0.1)),
  /** LayerNorm epsilon (GPT2Config `layer_norm_epsilon`). */
  layer_norm_epsilon: Schema.Finite.check(Schema.isGreaterThan(0)).pipe(withDefault(1e-5))
})

/**
 * @since 0.1.0
 * @category models
 */
export type GptConfig = typeof GptConfig.Type

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultGptConfig: GptConfig = Schema.decodeUnknownSync(GptConfig)({})
