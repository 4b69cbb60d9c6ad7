/**
 * The gateway's REST wire schemas, built on the SDK's observation and action Schemas. The gateway decodes request
 * bodies and writes its OpenAPI document with them; the client decodes replies with them, so neither side can
 * drift from the other.
 *
 * @since 0.1.0
 */
import { Action, Observation } from "@robovla/sdk"
import { Schema } from "effect"
import { MAX_IMAGE_SIDE } from "./Images.ts"

const Side = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: MAX_IMAGE_SIDE }))

// The SDK's vectors check their length in a custom filter (with its own message), which a JSON Schema cannot
// show; the standard length check repeats it so that the OpenAPI document states minItems/maxItems too.
const documentedLength = <S extends Schema.Top & { readonly Type: ReadonlyArray<number> }>(vector: S, size: number) =>
  vector.check(Schema.isBetweenLength(size, size))
const Ms = Schema.Number

/**
 * An image: raw uint8 HWC (`height` and `width` required) or a PNG/JPEG file, base64 in `data`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WireImage = Schema.Struct({
  data: Schema.String,
  encoding: Schema.optionalKey(Schema.Literals(["raw", "png", "jpeg"])),
  height: Schema.optionalKey(Side),
  width: Schema.optionalKey(Side)
})

/**
 * One observation in CALVIN's names. Which fields are required depends on the policy's `inputs`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WireObservation = Schema.Struct({
  robot_obs: Schema.optionalKey(documentedLength(Observation.observationWireFields.robot_obs, Observation.ROBOT_OBS_SIZE)),
  scene_obs: Schema.optionalKey(documentedLength(Observation.observationWireFields.scene_obs, Observation.SCENE_OBS_SIZE)),
  rgb_static: Schema.optionalKey(WireImage),
  rgb_gripper: Schema.optionalKey(WireImage)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type WireObservation = typeof WireObservation.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const ActRequest = Schema.Struct({
  observation: WireObservation,
  instruction: Schema.String.check(Schema.isMaxLength(2000))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const Timings = Schema.Struct({ queue_ms: Ms, infer_ms: Ms, total_ms: Ms })

/**
 * N×7 actions, denormalised, gripper ±1.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ActResponse = Schema.Struct({
  actions: Action.ActionChunkSchema,
  timings: Timings,
  batch_size: Schema.Int
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ActResponse = typeof ActResponse.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const SessionCreated = Schema.Struct({ session_id: Schema.String, policy_id: Schema.String })

/**
 * @since 0.1.0
 * @category schemas
 */
export const Ok = Schema.Struct({ ok: Schema.Boolean })

/**
 * What the policy declares about itself (`PolicyMetadata` in snake case).
 *
 * @since 0.1.0
 * @category schemas
 */
export const WireMetadata = Schema.Struct({
  name: Schema.String,
  window_size: Schema.Int,
  chunk_size: Schema.Int,
  action_space: Schema.Literals(["relative", "absolute"]),
  inputs: Schema.Struct({ rgb_static: Schema.Boolean, rgb_gripper: Schema.Boolean, robot_obs: Schema.Boolean, scene_obs: Schema.Boolean }),
  details: Schema.optionalKey(Schema.Record(Schema.String, Schema.Union([Schema.String, Schema.Number, Schema.Boolean])))
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type WireMetadata = typeof WireMetadata.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const PolicyInfo = Schema.Struct({
  id: Schema.String,
  kind: Schema.String,
  default: Schema.Boolean,
  /** cold: not loaded; starting: loading; warm: loaded; failed: the last load failed. */
  state: Schema.Literals(["cold", "starting", "warm", "failed"]),
  sessions: Schema.Int,
  metadata: Schema.optionalKey(WireMetadata)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const PolicyList = Schema.Struct({ policies: Schema.Array(PolicyInfo) })

/**
 * @since 0.1.0
 * @category schemas
 */
export const ErrorBody = Schema.Struct({
  error: Schema.Struct({ code: Schema.String, message: Schema.String, field: Schema.optionalKey(Schema.String) })
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const Health = Schema.Struct({ status: Schema.Literals(["ok", "ready", "draining", "starting"]) })

/**
 * @since 0.1.0
 * @category schemas
 */
export const Index = Schema.Struct({
  name: Schema.String,
  openapi: Schema.String,
  websocket: Schema.String,
  default_policy: Schema.optionalKey(Schema.String)
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type PolicyInfo = typeof PolicyInfo.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export type WireImage = typeof WireImage.Type
