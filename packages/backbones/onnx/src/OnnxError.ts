/**
 * Failure constructors for the ONNX backbone. The backbone contract speaks `SdkError`, so this package does not
 * add a second error type: every failure is an `SdkError` whose `reason` says what went wrong and whose
 * `subject` names the file, field or tensor concerned (`decoder.onnx`, `config.json: hidden_size`, …).
 *
 * @since 0.1.0
 */
import { SdkError } from "@robovla/sdk"

/** Why the ONNX backbone failed (the SDK's reason union). @since 0.1.0 @category errors */
export type OnnxFailureReason = SdkError["reason"]

/**
 * Builds an `SdkError` prefixed with the plugin name, so that messages read well when several plugins are loaded.
 *
 * @since 0.1.0
 * @category constructors
 */
export const onnxError = (
  reason: OnnxFailureReason,
  message: string,
  subject?: string,
  cause?: unknown
): SdkError =>
  new SdkError({
    reason,
    message: `backbone-onnx: ${message}`,
    ...(subject === undefined ? {} : { subject }),
    ...(cause === undefined ? {} : { cause })
  })

/**
 * A short human message for an unknown thrown value (onnxruntime throws plain `Error`s).
 *
 * @since 0.1.0
 * @category utils
 */
export const describeCause = (cause: unknown): string =>
  cause instanceof Error ? cause.message : typeof cause === "string" ? cause : String(cause)
