/**
 * The one error type of `@robovla/sdk`: a tagged `SdkError` whose `reason` says what went wrong.
 *
 * Plugins wrap their own failures in it (with `reason: "PluginFailure"` and a `cause`) so that callers
 * handle one shape across every backbone and head.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Why an SDK operation failed.
 *
 * @since 0.1.0
 * @category errors
 */
export const SdkErrorReason = Schema.Literals([
  "InvalidInput", // a value decoded at a boundary did not match its Schema (observation, config, request)
  "ShapeMismatch", // a tensor had the wrong shape or length
  "NonFinite", // NaN or Infinity where finite numbers are required
  "PluginNotFound", // no package by that name could be resolved
  "BadManifest", // the package does not export a valid plugin manifest
  "IncompatibleContract", // the plugin speaks another contract version
  "PluginFailure", // a plugin threw or failed while making or running
  "WeightsNotFound", // a checkpoint or weight file is missing
  "CorruptFile", // a file exists but cannot be parsed
  "EngineUnavailable", // the requested compute engine cannot be loaded
  "Released", // a resource was used after its scope closed
  "Timeout", // a call (e.g. to a remote policy) did not answer in time
  "Unavailable", // a remote service could not be reached or answered with a server error
  "WorkerStartFailed", // a pool worker's setup threw (e.g. its policy cannot load): another thread will not help
  "WorkerCrashed", // a worker thread died (subject "starting" when before it was ready)
  "WorkerTaskFailed" // a task threw inside a worker thread; the thread stays usable
])

/**
 * @since 0.1.0
 * @category errors
 */
export type SdkErrorReason = typeof SdkErrorReason.Type

/**
 * @since 0.1.0
 * @category errors
 */
export class SdkError extends Schema.TaggedError<SdkError>()("SdkError", {
  reason: SdkErrorReason,
  message: Schema.String,
  /** The field path, file, package name or plugin concerned, when there is one. */
  subject: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect())
}) {
  /** Retrying helps only for transient plugin failures. */
  get isRetryable(): boolean {
    return this.reason === "PluginFailure" || this.reason === "Timeout" || this.reason === "Unavailable" || this.reason === "WorkerCrashed"
  }
}
