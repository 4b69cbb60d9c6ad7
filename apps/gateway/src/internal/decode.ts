/**
 * Schema decoding at the HTTP edge: one decoder per schema, failures turned into `InvalidField` with the
 * path of the first bad field (`observation.robot_obs[3]`).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { GatewayError } from "../GatewayError.ts"

/** Renders a Standard Schema issue path as `a.b[2].c`. */
export const formatIssuePath = (path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>): string => {
  let out = ""
  for (const segment of path) {
    const key = typeof segment === "object" ? segment.key : segment
    if (typeof key === "number") out += `[${key}]`
    else out += out === "" ? String(key) : `.${String(key)}`
  }
  return out === "" ? "body" : out
}

/**
 * Builds a decoder that returns the value or throws a `GatewayError` naming the first bad field.
 *
 * @since 0.1.0
 */
export const makeDecoder = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S) => {
  const standard = Schema.toStandardSchemaV1(schema as any)
  return (input: unknown): S["Type"] => {
    const result = standard["~standard"].validate(input)
    if (result instanceof Promise) throw new GatewayError({ reason: "Internal", message: "asynchronous schema" })
    if (result.issues === undefined) return (result as { value: S["Type"] }).value
    const first = result.issues[0]!
    const field = formatIssuePath(first.path ?? [])
    throw new GatewayError({ reason: "InvalidField", field, message: `${field}: ${first.message}` })
  }
}
