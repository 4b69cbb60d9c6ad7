/**
 * The package's one error type. `reason` says what went wrong, `subject` names the file, field or plugin.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * @since 0.1.0
 * @category errors
 */
export const ExportErrorReason = Schema.Literals([
  /** A spec, flag or manifest field is wrong. */
  "InvalidInput",
  /** The backbone or head has no exporter yet. */
  "Unsupported",
  /** A file the export or the runtime needs is missing. */
  "NotFound",
  /** A file exists but cannot be read as what it claims to be. */
  "CorruptFile",
  /** The exported graphs disagree with the source policy beyond the tolerance. */
  "Mismatch",
  /** No execution provider could be loaded (or the one asked for is not available). */
  "ProviderUnavailable",
  /** Writing the export failed. */
  "WriteFailed"
])

/** @since 0.1.0 @category errors */
export type ExportErrorReason = typeof ExportErrorReason.Type

/**
 * @since 0.1.0
 * @category errors
 */
export class ExportError extends Schema.TaggedError<ExportError>()("ExportError", {
  reason: ExportErrorReason,
  message: Schema.String,
  subject: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect())
}) {}
