/**
 * Config of the MLP head (RoboVLMs' `FCDecoder`). `{}` decodes to the CALVIN values.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { continuousHeadFields } from "@robovla/tfjs"

/**
 * @since 0.1.0
 * @category schemas
 */
export const MlpConfig = Schema.Struct({ ...continuousHeadFields })

/**
 * @since 0.1.0
 * @category models
 */
export type MlpConfig = typeof MlpConfig.Type

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultMlpConfig: MlpConfig = Schema.decodeUnknownSync(MlpConfig)({})
