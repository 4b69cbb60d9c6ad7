/**
 * Config of the LSTM head (RoboVLMs' `LSTMDecoder`). `{}` decodes to the CALVIN values (H = 1024, 4 layers).
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
export const LstmConfig = Schema.Struct({
  ...continuousHeadFields,
  /** Stacked LSTM layers (RoboVLMs: 4, unidirectional, dropout 0). */
  num_layers: PositiveInt.pipe(withDefault(4))
})

/**
 * @since 0.1.0
 * @category models
 */
export type LstmConfig = typeof LstmConfig.Type

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultLstmConfig: LstmConfig = Schema.decodeUnknownSync(LstmConfig)({})
