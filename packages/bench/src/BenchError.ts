/**
 * The one error type of `@robovla/bench`.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** @since 0.1.0 @category errors */
export const BenchErrorReason = Schema.Literals([
  "InvalidOptions", // bad CLI flags or run options
  "UnknownSuite",
  "PolicyUnavailable", // a policy could not be made (plugin, checkpoint, server unreachable at start)
  "PolicyTimeout", // a policy call exceeded its time limit
  "PolicyError", // a policy call failed (server error, plugin failure)
  "MalformedAction", // a policy returned something that is not a finite N×7 chunk
  "CorruptResults", // the results file of a run cannot be read for --resume
  "WorkerCrashed", // a worker thread died; its chain is retried once, then recorded as failed
  "QueueUnavailable", // the Redis queue of a distributed run cannot be reached or was lost
  "SuiteMismatch", // a queued chain comes from another version of the suite than the worker's
  "UnknownPolicy" // a queued chain names a policy spec the worker does not know
])

/** @since 0.1.0 @category errors */
export type BenchErrorReason = typeof BenchErrorReason.Type

/** @since 0.1.0 @category errors */
export class BenchError extends Schema.TaggedError<BenchError>()("BenchError", {
  reason: BenchErrorReason,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}
