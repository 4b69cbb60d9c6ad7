/**
 * The one error type of `@robovla/gateway`. Every failure that reaches a client is a `GatewayError` whose
 * `reason` picks the HTTP status (REST) or the error frame (WebSocket) in one place, `httpStatus` below.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Why a gateway call failed. Client mistakes are 4xx, deployment failures 5xx.
 *
 * @since 0.1.0
 * @category errors
 */
export const GatewayErrorReason = Schema.Literals([
  "InvalidJson", // the body is not JSON (or not msgpack on the WebSocket)
  "InvalidField", // the body decoded, but a field has the wrong type, shape or value
  "UnsupportedMediaType", // a body came with a content type other than application/json
  "Unauthorized", // an API key is required and was missing or wrong
  "PolicyNotFound", // no deployment by that id
  "SessionNotFound", // no session by that id (or it ended when its deployment unloaded or restarted)
  "RouteNotFound",
  "Conflict", // a deployment with that id already exists
  "PayloadTooLarge",
  "RateLimited",
  "Overloaded", // the deployment's queue is full
  "Draining", // the gateway is shutting down
  "PolicyRejectedInput", // the policy refused this observation or instruction (SdkError InvalidInput, ShapeMismatch, NonFinite)
  "ColdStartFailed", // the deployment could not be loaded
  "PolicyFailed", // the policy returned an error or invalid actions
  "DeploymentCrashed", // the deployment's worker exited or threw outside the policy call
  "PolicyTimeout", // the call took longer than the deployment's timeout
  "Internal"
])

/**
 * @since 0.1.0
 * @category errors
 */
export type GatewayErrorReason = typeof GatewayErrorReason.Type

/**
 * @since 0.1.0
 * @category errors
 */
export class GatewayError extends Schema.TaggedError<GatewayError>()("GatewayError", {
  reason: GatewayErrorReason,
  message: Schema.String,
  /** The request field concerned, as a path such as `observation.robot_obs[3]`. */
  field: Schema.optional(Schema.String),
  /** Seconds a client should wait before retrying (429, 503). */
  retryAfter: Schema.optional(Schema.Number)
}) {
  get status(): number {
    return httpStatus[this.reason]
  }

  /** Retrying the same request can succeed later. */
  get isRetryable(): boolean {
    return this.status === 429 || this.status === 503 || this.reason === "DeploymentCrashed" || this.reason === "PolicyTimeout"
  }

  /** The JSON error body every REST route answers with. */
  toBody(): { readonly error: { readonly code: GatewayErrorReason; readonly message: string; readonly field?: string } } {
    return {
      error: this.field === undefined
        ? { code: this.reason, message: this.message }
        : { code: this.reason, message: this.message, field: this.field }
    }
  }
}

/**
 * The HTTP status of each reason.
 *
 * @since 0.1.0
 * @category errors
 */
export const httpStatus: Readonly<Record<GatewayErrorReason, number>> = {
  InvalidJson: 400,
  InvalidField: 400,
  UnsupportedMediaType: 415,
  Unauthorized: 401,
  PolicyNotFound: 404,
  SessionNotFound: 404,
  RouteNotFound: 404,
  Conflict: 409,
  PayloadTooLarge: 413,
  RateLimited: 429,
  Overloaded: 503,
  Draining: 503,
  PolicyRejectedInput: 422,
  ColdStartFailed: 502,
  PolicyFailed: 502,
  DeploymentCrashed: 502,
  PolicyTimeout: 504,
  Internal: 500
}

/**
 * Turns anything thrown into a `GatewayError`, hiding the details of unexpected ones from clients.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toGatewayError = (error: unknown): GatewayError =>
  error instanceof GatewayError ? error : new GatewayError({ reason: "Internal", message: "internal error" })
