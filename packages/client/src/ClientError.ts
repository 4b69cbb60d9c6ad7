/**
 * The one error type of `@robovla/client`: bad bytes (msgpack, images), a server that refused the call, a reply
 * that is not what the wire schemas promise, and transport failures. Callers match on `reason`.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Why a client call or a codec failed.
 *
 * @since 0.1.0
 * @category errors
 */
export const ClientErrorReason = Schema.Literals([
  "InvalidMsgpack", // not msgpack, a msgpack extension type, nested too deeply, or a malformed openpi ndarray
  "InvalidImage", // an image payload that is not decodable within the size limits (`field` names it)
  "HttpError", // the server answered with an error status (`status`, `code`, `field`, `retryAfter` from its body)
  "InvalidReply", // the server's answer does not match the wire schema
  "Timeout", // no answer within the client's timeout
  "Unreachable", // the connection could not be made or was lost
  "ServerError" // an openpi server sent its text error frame
])

/**
 * @since 0.1.0
 * @category errors
 */
export type ClientErrorReason = typeof ClientErrorReason.Type

/**
 * @since 0.1.0
 * @category errors
 */
export class ClientError extends Schema.TaggedError<ClientError>()("ClientError", {
  reason: ClientErrorReason,
  message: Schema.String,
  /** The field concerned, as a path such as `observation.rgb_static.data`. */
  field: Schema.optional(Schema.String),
  /** HttpError: the HTTP status and the gateway's error code (`InvalidField`, `Overloaded`, …). */
  status: Schema.optional(Schema.Number),
  code: Schema.optional(Schema.String),
  /** HttpError: seconds the server asked to wait before retrying (429, 503). */
  retryAfter: Schema.optional(Schema.Number)
}) {
  /** Retrying the same call can succeed later. */
  get isRetryable(): boolean {
    return this.reason === "Timeout" || this.reason === "Unreachable" || this.status === 429 || this.status === 503 || this.status === 504
  }
}
