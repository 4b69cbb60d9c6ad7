/**
 * One frame of a CALVIN-format episode (reference/calvin.md §7.2), as stored in `episode_XXXXXXX.npz` and as the
 * dataset writer, trainer and data collector exchange it. Keys stay snake_case because they are file keys.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { ACTION_SIZE, FiniteNumber, FiniteVector } from "./Action.ts"
import { decodeEffect } from "./internal/schemaDecode.ts"
import { ImageU8Schema, ROBOT_OBS_SIZE, SCENE_OBS_SIZE } from "./Observation.ts"
import { PositiveInt } from "./Schemas.ts"
import type { SdkError } from "./SdkError.ts"

const isFloat32Array = (u: unknown): u is Float32Array => u instanceof Float32Array

/**
 * An H×W float32 depth map in metres (CALVIN `depth_static` 200×200, `depth_gripper` 84×84).
 *
 * @since 0.1.0
 * @category schemas
 */
export const DepthMapSchema = Schema.Struct({
  data: Schema.declare(isFloat32Array, { expected: "Float32Array" }),
  height: PositiveInt,
  width: PositiveInt
}).check(
  Schema.makeFilter((depth: { readonly data: Float32Array; readonly height: number; readonly width: number }) => {
    const expected = depth.height * depth.width
    return depth.data.length === expected
      ? undefined
      : { path: ["data"], issue: `expected ${expected} values (${depth.height}×${depth.width}), got ${depth.data.length}` }
  })
)

/**
 * A gripper command as CALVIN stores it: −1 (close) or +1 (open); the recorder rewrites 0 to −1.
 *
 * @since 0.1.0
 * @category schemas
 */
export const GripperCommandSchema = FiniteNumber.check(
  Schema.makeFilter((g: number) => (g === -1 || g === 1 ? undefined : `gripper must be -1 (close) or +1 (open), got ${g}`))
)

/** Absolute target: TCP position (3), Euler XYZ (3), gripper ±1. */
const AbsoluteAction = FiniteVector(ACTION_SIZE).check(
  Schema.makeFilter((a: ReadonlyArray<number>) => {
    const g = a[6]!
    return g === -1 || g === 1 ? undefined : { path: [6], issue: `gripper must be -1 (close) or +1 (open), got ${g}` }
  })
)

/** Relative action: arm dims in [−1, 1] (clipped ×50 / ×20 deltas), gripper ±1. */
const RelativeActionSchema = FiniteVector(ACTION_SIZE).check(
  Schema.makeFilter((a: ReadonlyArray<number>) => {
    const issues: Array<{ path: Array<number>; issue: string }> = []
    for (let i = 0; i < 6; i++) {
      if (a[i]! < -1 || a[i]! > 1) issues.push({ path: [i], issue: `expected a value in [-1, 1], got ${a[i]}` })
    }
    const g = a[6]!
    if (g !== -1 && g !== 1) issues.push({ path: [6], issue: `gripper must be -1 (close) or +1 (open), got ${g}` })
    return issues
  })
)

/**
 * One CALVIN frame: `actions`, `rel_actions`, `robot_obs`, `scene_obs`, `rgb_static`, `rgb_gripper` and the
 * optional depth maps. (`rgb_tactile` / `depth_tactile` are not produced by this project.)
 *
 * @since 0.1.0
 * @category schemas
 */
export const EpisodeFrameSchema = Schema.Struct({
  actions: AbsoluteAction,
  rel_actions: RelativeActionSchema,
  robot_obs: FiniteVector(ROBOT_OBS_SIZE),
  scene_obs: FiniteVector(SCENE_OBS_SIZE),
  rgb_static: ImageU8Schema,
  rgb_gripper: ImageU8Schema,
  depth_static: Schema.optionalKey(DepthMapSchema),
  depth_gripper: Schema.optionalKey(DepthMapSchema)
})

/**
 * @since 0.1.0
 * @category models
 */
export type EpisodeFrame = typeof EpisodeFrameSchema.Type

/**
 * One language annotation of `auto_lang_ann.npy`: an inclusive frame range, its instruction and its task.
 *
 * @since 0.1.0
 * @category schemas
 */
export const LanguageAnnotationSchema = Schema.Struct({
  start: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  end: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  ann: Schema.String,
  task: Schema.String
}).check(
  Schema.makeFilter((a: { readonly start: number; readonly end: number }) =>
    a.end >= a.start ? undefined : { path: ["end"], issue: `end (${a.end}) must be >= start (${a.start})` }
  )
)

/**
 * @since 0.1.0
 * @category models
 */
export type LanguageAnnotation = typeof LanguageAnnotationSchema.Type

/**
 * Decodes one episode frame (for example a parsed npz) and names each bad key in the error.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeEpisodeFrame = (input: unknown): Effect.Effect<EpisodeFrame, SdkError> =>
  decodeEffect(EpisodeFrameSchema, input, "episode frame")

/**
 * Decodes one language annotation.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeLanguageAnnotation = (input: unknown): Effect.Effect<LanguageAnnotation, SdkError> =>
  decodeEffect(LanguageAnnotationSchema, input, "language annotation")
