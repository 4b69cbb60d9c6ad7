/**
 * Boundary decoding shared by the SDK's Schemas: run a Schema on unknown input and turn every failure into one
 * `SdkError` (reason `"InvalidInput"`) whose message lists each problem as `field.path[3]: why`.
 *
 * Kept internal: callers use the per-module `decodeX` functions.
 *
 * @since 0.1.0
 */
import { Effect, Result, Schema, SchemaIssue } from "effect"
import { SdkError } from "../SdkError.ts"

/** Renders `["act_head", "type"]` as `act_head.type` and `["robot_obs", 3]` as `robot_obs[3]`. */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = ""
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`
    else out += out === "" ? String(key) : `.${String(key)}`
  }
  return out === "" ? "(root)" : out
}

/** A short, bounded description of a rejected value (never dumps a whole image buffer). */
const describeValue = (u: unknown): string => {
  if (u === null) return "null"
  if (u === undefined) return "undefined"
  if (typeof u === "number") return Number.isNaN(u) ? "NaN" : String(u)
  if (typeof u === "string") return u.length > 40 ? `a string of ${u.length} characters` : JSON.stringify(u)
  if (typeof u === "boolean" || typeof u === "bigint") return String(u)
  if (Array.isArray(u)) return `an array of ${u.length} values`
  if (ArrayBuffer.isView(u)) return `a ${u.constructor.name}`
  if (typeof u === "object") return "an object"
  return typeof u
}

/**
 * Leaf messages that say what was received ("Expected number, got \"x\"") without ever printing a whole
 * image buffer or long array (the default hook would print the raw input).
 */
const leafHook: SchemaIssue.LeafHook = (issue) => {
  if (issue._tag === "InvalidType") {
    const base = SchemaIssue.defaultLeafHook(new SchemaIssue.InvalidType(issue.ast))
    return SchemaIssue.hasInput(issue) ? `${base}, got ${describeValue(issue.input)}` : base
  }
  if (issue._tag === "UnexpectedKey") {
    return SchemaIssue.hasInput(issue) ? `unknown key (value: ${describeValue(issue.input)})` : "unknown key"
  }
  return SchemaIssue.defaultLeafHook(issue)
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1({ leafHook })

/** One line per problem: `robot_obs[3]: NaN is not allowed`. */
export const formatIssue = (issue: SchemaIssue.Issue): ReadonlyArray<string> =>
  formatter(issue).issues.map((i) =>
    `${formatPath((i.path ?? []).map((p) => (typeof p === "object" ? p.key : p)))}: ${i.message}`
  )

/** Parse options used at every boundary: report all problems, reject unknown keys when asked. */
const parseOptions = (strict: boolean) =>
  ({ errors: "all", onExcessProperty: strict ? "error" : "ignore", reportInput: true }) as const

/**
 * Decodes `input` with `schema`, mapping failures to `SdkError` with reason `"InvalidInput"`.
 * `what` names the thing decoded ("observation", "VLA config"); `strict` rejects unknown keys.
 */
export const decodeResult = <A>(
  schema: Schema.ConstraintDecoder<A>,
  input: unknown,
  what: string,
  strict = true
): Result.Result<A, SdkError> => {
  const result = Schema.decodeUnknownResult(schema)(input, parseOptions(strict))
  if (Result.isSuccess(result)) return Result.succeed(result.success)
  const lines = formatIssue(result.failure.issue)
  const firstPath = lines[0]?.split(":")[0]
  return Result.fail(
    new SdkError({
      reason: "InvalidInput",
      message: `invalid ${what}: ${lines.join("; ")}`,
      ...(firstPath !== undefined ? { subject: firstPath } : {})
    })
  )
}

/** Effect form of {@link decodeResult}. */
export const decodeEffect = <A>(
  schema: Schema.ConstraintDecoder<A>,
  input: unknown,
  what: string,
  strict = true
): Effect.Effect<A, SdkError> => {
  const result = decodeResult(schema, input, what, strict)
  return Result.isSuccess(result) ? Effect.succeed(result.success) : Effect.fail(result.failure)
}
