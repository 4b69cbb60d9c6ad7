/**
 * Schema decoding at the HTTP edge and for the config, on the SDK's one decode helper: a failure becomes
 * `InvalidField` naming the first bad field (`observation.robot_obs[3]`), with every problem in the message.
 *
 * @since 0.1.0
 */
import { Schemas } from "@robovla/sdk"
import { Result, type Schema } from "effect"
import { GatewayError } from "../GatewayError.ts"

/**
 * Builds a decoder that returns the value or throws a `GatewayError` naming the first bad field (`what` when the
 * whole input is wrong). Unknown keys are ignored, as clients send extras.
 *
 * @since 0.1.0
 */
export const makeDecoder = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, what = "body") => {
  const decode = Schemas.decodeUnknownResult(schema, what, { strict: false })
  return (input: unknown): S["Type"] => {
    const result = decode(input)
    if (Result.isSuccess(result)) return result.success
    const subject = result.failure.subject
    const field = subject === undefined || subject === "(root)" ? what : subject
    throw new GatewayError({ reason: "InvalidField", field, message: result.failure.message })
  }
}
