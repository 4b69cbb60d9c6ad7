/**
 * Config pieces shared by the head plugins: Schema fields with decoding defaults (so `{}` decodes to the
 * RoboVLMs CALVIN values), the continuous heads' common fields, and dimension checks.
 *
 * @since 0.1.0
 */
import type { HeadDimensions } from "@robovla/sdk"
import { SdkError } from "@robovla/sdk"
import { Effect, Schema } from "effect"

/**
 * An integer ≥ 1.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))

/**
 * A finite number ≥ 0.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * Makes a struct field optional on input, filled with `value` when the key is absent.
 *
 * @since 0.1.0
 * @category schemas
 */
export const withDefault = <S extends Schema.Top>(value: S["Encoded"]) => (self: S) =>
  self.pipe(Schema.withDecodingDefaultKey(Effect.succeed(value) as Effect.Effect<S["Encoded"], Schema.SchemaError>))

/**
 * Fields of every continuous head (reference/robovlms.md §6, §6.1, §7.3): `hidden_size` H (features per
 * [LRN] token inside the head), the arm/gripper MLP widths, the gripper loss weight and the init seed.
 *
 * @since 0.1.0
 * @category schemas
 */
export const continuousHeadFields = {
  hidden_size: PositiveInt.pipe(withDefault(1024)),
  mlp_widths: Schema.Array(PositiveInt).pipe(withDefault([1024, 512, 256])),
  arm_gripper_loss_ratio: NonNegative.pipe(withDefault(0.01)),
  seed: Schema.Int.pipe(withDefault(123))
}

/**
 * Decodes a config at the plugin boundary, failing with `SdkError` `"InvalidInput"`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeConfig = <S extends Schema.Codec<any, any>>(schema: S, subject: string) => {
  const decode = Schema.decodeUnknownEffect(schema)
  return (input: unknown): Effect.Effect<S["Type"], SdkError> =>
    decode(input).pipe(
      Effect.mapError((issue) =>
        new SdkError({ reason: "InvalidInput", message: `invalid ${subject} config: ${issue.message}`, subject, cause: issue })
      )
    ) as Effect.Effect<S["Type"], SdkError>
}

/**
 * Fails with `"InvalidInput"` unless every dimension is a positive integer.
 *
 * @since 0.1.0
 * @category validation
 */
export const checkDimensions = (dimensions: HeadDimensions, subject: string): Effect.Effect<void, SdkError> => {
  const bad = (["inputSize", "windowSize", "chunkSize", "latent"] as const).filter(
    (key) => !Number.isInteger(dimensions[key]) || dimensions[key] < 1
  )
  return bad.length === 0
    ? Effect.void
    : Effect.fail(
      new SdkError({
        reason: "InvalidInput",
        message: `head ${subject}: dimensions ${bad.join(", ")} must be positive integers`,
        subject
      })
    )
}
