/**
 * 7-D actions: position (3), orientation as Euler XYZ (3), gripper (1). See reference/robovlms.md §1.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import type { Result } from "effect"
import { decodeEffect, decodeResult } from "./internal/schemaDecode.ts"
import type { SdkError } from "./SdkError.ts"

/**
 * One 7-D action `[x, y, z, rx, ry, rz, gripper]`.
 *
 * @since 0.1.0
 * @category models
 */
export type Action7 = readonly [number, number, number, number, number, number, number]

/**
 * N consecutive actions predicted at one step (N = `fwd_pred_next_n`). Row i is the action for step t + i.
 *
 * @since 0.1.0
 * @category models
 */
export type ActionChunk = ReadonlyArray<Action7>

/** @since 0.1.0 @category constants */
export const ACTION_SIZE = 7

// ---------------------------------------------------------------------------------------------------------------
// Schemas (wire form). Actions travel as plain number arrays; decoding checks length and finiteness.
// ---------------------------------------------------------------------------------------------------------------


/**
 * A finite number. NaN and ±Infinity are rejected with a message naming which one it was.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FiniteNumber = Schema.Number.check(
  Schema.makeFilter((n: number) =>
    Number.isNaN(n) ? "NaN is not allowed" : Number.isFinite(n) ? undefined : `${n} is not allowed (values must be finite)`
  )
)

/**
 * An array of exactly `size` finite numbers (`robot_obs`: 15, `scene_obs`: 24, an action: 7).
 *
 * @since 0.1.0
 * @category schemas
 */
export const FiniteVector = (size: number) =>
  Schema.Array(FiniteNumber).check(
    Schema.makeFilter((values: ReadonlyArray<number>) =>
      values.length === size ? undefined : `expected ${size} values, got ${values.length}`
    )
  )

/**
 * One 7-D action `[x, y, z, rx, ry, rz, gripper]`, finite values.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Action7Schema = FiniteVector(ACTION_SIZE)

/**
 * An action chunk: at least one 7-D action (N rows of 7).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ActionChunkSchema = Schema.Array(Action7Schema).check(
  Schema.makeFilter((rows: ReadonlyArray<ReadonlyArray<number>>) =>
    rows.length > 0 ? undefined : "expected at least one action, got an empty chunk"
  )
)

/**
 * Decodes one action from unknown input (`InvalidInput` names the index and why).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeAction = (input: unknown): Effect.Effect<Action7, SdkError> =>
  decodeEffect(Action7Schema, input, "action").pipe(Effect.map((a) => a as unknown as Action7))

/**
 * Decodes an action chunk; when `expectedLength` is given the chunk must have exactly that many rows.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeActionChunk = (input: unknown, expectedLength?: number): Effect.Effect<ActionChunk, SdkError> => {
  const schema = expectedLength === undefined
    ? ActionChunkSchema
    : ActionChunkSchema.check(
      Schema.makeFilter((rows: ReadonlyArray<ReadonlyArray<number>>) =>
        rows.length === expectedLength ? undefined : `expected ${expectedLength} actions, got ${rows.length}`
      )
    )
  return decodeEffect(schema, input, "action chunk").pipe(Effect.map((c) => c as unknown as ActionChunk))
}

/**
 * Synchronous variant of {@link decodeAction} for hot loops that must not build Effects.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeActionResult = (input: unknown): Result.Result<Action7, SdkError> =>
  decodeResult(Action7Schema, input, "action") as Result.Result<Action7, SdkError>

/**
 * Synchronous variant of {@link decodeActionChunk} (no length requirement), for the Promise-side callers that
 * check what a policy returned (the bench rollout, the gateway's deployment worker).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeActionChunkResult = (input: unknown): Result.Result<ActionChunk, SdkError> =>
  decodeResult(ActionChunkSchema, input, "action chunk") as Result.Result<ActionChunk, SdkError>
