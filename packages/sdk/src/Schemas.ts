/**
 * The Schema vocabulary every robovla package and plugin shares: the small number Schemas configs are made of,
 * `withDefault` for fields that may be left out, and `decodeUnknown`, the one way to decode untrusted input into
 * an `SdkError` (reason `"InvalidInput"`, one `field.path: why` per problem, never a dump of the input).
 *
 * ```ts
 * import { PositiveInt, Schemas, withDefault } from "@robovla/sdk"
 *
 * const Config = Schema.Struct({ hidden_size: PositiveInt.pipe(withDefault(1024)) })
 * const decodeConfig = Schemas.decodeUnknown(Config, "mlp config")   // (input) => Effect<Config, SdkError>
 * ```
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import type { Result } from "effect"
import { decodeEffect, decodeResult } from "./internal/schemaDecode.ts"
import type { SdkError } from "./SdkError.ts"

/**
 * An integer ≥ 1.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))

/**
 * An integer ≥ 0.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * A finite number ≥ 0.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * Makes a struct field optional on input, filled with `value` (the encoded form) when the key is absent.
 *
 * @since 0.1.0
 * @category schemas
 */
export const withDefault = <S extends Schema.Top>(value: S["Encoded"]) => (self: S) =>
  self.pipe(Schema.withDecodingDefaultKey(Effect.succeed(value) as Effect.Effect<S["Encoded"], Schema.SchemaError>))

/**
 * @since 0.1.0
 * @category models
 */
export interface DecodeOptions {
  /** Reject keys the Schema does not know (default true: a typo in a config is an error, not a silent default). */
  readonly strict?: boolean
}

/**
 * Decodes unknown input with `schema`, failing with `SdkError` `"InvalidInput"` whose message starts with
 * `invalid <what>:` and whose `subject` is the first failing field path.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeUnknown = <S extends Schema.Top & { readonly DecodingServices: never }>(
  schema: S,
  what: string,
  options: DecodeOptions = {}
) =>
(input: unknown): Effect.Effect<S["Type"], SdkError> => decodeEffect(schema, input, what, options.strict ?? true)

/**
 * The synchronous form of {@link decodeUnknown}, for code outside Effect (a Result, never a throw).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeUnknownResult = <S extends Schema.Top & { readonly DecodingServices: never }>(
  schema: S,
  what: string,
  options: DecodeOptions = {}
) =>
(input: unknown): Result.Result<S["Type"], SdkError> => decodeResult(schema, input, what, options.strict ?? true)
