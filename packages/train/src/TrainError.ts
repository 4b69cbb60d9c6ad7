/**
 * The one error type of `@robovla/train`.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * @since 0.1.0
 * @category errors
 */
export const TrainErrorReason = Schema.Literals([
  "CorruptFile", // a file exists but cannot be parsed (names the file)
  "MissingFile", // an expected file of the layout is absent
  "UnsupportedFormat", // a valid file using a dtype or pickle type this reader does not handle
  "InvalidInput", // bad options or values given by the caller
  "Interrupted" // a long run was stopped; its progress is kept on disk
])

/**
 * @since 0.1.0
 * @category errors
 */
export class TrainError extends Schema.TaggedError<TrainError>()("TrainError", {
  reason: TrainErrorReason,
  message: Schema.String,
  file: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect())
}) {}
