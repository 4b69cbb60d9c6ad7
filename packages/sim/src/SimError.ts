/**
 * The one error type of `@robovla/sim`: a tagged `SimError` whose `reason` says what went wrong.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Why a simulator operation failed.
 *
 * @since 0.1.0
 * @category errors
 */
export const SimErrorReason = Schema.Literals([
  "ModelLoad", // the MJCF did not compile or the WASM module did not load
  "InvalidAction", // an action had the wrong length, a non-finite value or an unknown space
  "InvalidState", // a reset state (robotObs / sceneObs) had the wrong length or non-finite values
  "Released", // the PlayTable was used after dispose()
  "Diverged" // the physics produced non-finite values (the simulation blew up)
])

/**
 * @since 0.1.0
 * @category errors
 */
export type SimErrorReason = typeof SimErrorReason.Type

/**
 * @since 0.1.0
 * @category errors
 */
export class SimError extends Schema.TaggedError<SimError>()("SimError", {
  reason: SimErrorReason,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  /** Nothing here is transient: retrying the same call gives the same failure. */
  get isRetryable(): boolean {
    return false
  }
}
