/**
 * What a policy sees at one control step: camera images, proprioception, scene state and the instruction.
 *
 * Layouts follow CALVIN (reference/calvin.md §3): `robot_obs` has 15 values, `scene_obs` 24; images are
 * H×W×3 uint8 in row-major HWC order (`rgb_static` 200×200, `rgb_gripper` 84×84).
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { FiniteVector } from "./Action.ts"
import { decodeEffect } from "./internal/schemaDecode.ts"
import { PositiveInt } from "./Schemas.ts"
import type { SdkError } from "./SdkError.ts"

/**
 * An RGB image, H×W×3 uint8, row-major HWC.
 *
 * @since 0.1.0
 * @category models
 */
export interface ImageU8 {
  readonly data: Uint8Array
  readonly height: number
  readonly width: number
}

/**
 * One observation frame as the runtime passes it around (already decoded and checked).
 *
 * @since 0.1.0
 * @category models
 */
export interface Observation {
  /** Static camera, 200×200×3 in CALVIN. Absent when the policy does not need images. */
  readonly rgbStatic?: ImageU8 | undefined
  /** Gripper camera, 84×84×3 in CALVIN. */
  readonly rgbGripper?: ImageU8 | undefined
  /** 15 values: tcp pos (3), tcp euler XYZ (3), gripper width (1), arm joints (7), gripper action (1). */
  readonly robotObs: ReadonlyArray<number>
  /** 24 values: sliding door, drawer, button, switch, lightbulb, green light, then 3 blocks × (pos 3, euler 3). */
  readonly sceneObs: ReadonlyArray<number>
}

/** @since 0.1.0 @category constants */
export const ROBOT_OBS_SIZE = 15
/** @since 0.1.0 @category constants */
export const SCENE_OBS_SIZE = 24
/** @since 0.1.0 @category constants */
export const STATIC_CAMERA_SIZE = 200
/** @since 0.1.0 @category constants */
export const GRIPPER_CAMERA_SIZE = 84

// ---------------------------------------------------------------------------------------------------------------
// Schemas (wire form): snake_case keys as in CALVIN files and openpi-style requests, images as
// `{ data, height, width }` with `data.length` checked against H×W×3.
// ---------------------------------------------------------------------------------------------------------------

/**
 * An H×W×3 uint8 image on the wire. The byte count must equal `height * width * 3`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ImageU8Schema = Schema.Struct({
  data: Schema.Uint8Array,
  height: PositiveInt,
  width: PositiveInt
}).check(
  Schema.makeFilter((image: { readonly data: Uint8Array; readonly height: number; readonly width: number }) => {
    const expected = image.height * image.width * 3
    return image.data.length === expected
      ? undefined
      : {
        path: ["data"],
        issue: `expected ${expected} bytes (${image.height}×${image.width}×3), got ${image.data.length}`
      }
  })
)

/**
 * The fields of one observation on the wire (no instruction).
 *
 * @since 0.1.0
 * @category schemas
 */
export const observationWireFields = {
  rgb_static: Schema.optionalKey(ImageU8Schema),
  rgb_gripper: Schema.optionalKey(ImageU8Schema),
  robot_obs: FiniteVector(ROBOT_OBS_SIZE),
  scene_obs: FiniteVector(SCENE_OBS_SIZE)
} as const

/**
 * One observation frame on the wire.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ObservationWire = Schema.Struct(observationWireFields)

/**
 * @since 0.1.0
 * @category schemas
 */
export type ObservationWire = typeof ObservationWire.Type

/**
 * An observation plus the language instruction it is to be acted on (what a policy server receives).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ObservationRequestWire = Schema.Struct({
  ...observationWireFields,
  instruction: Schema.String
})

/**
 * @since 0.1.0
 * @category schemas
 */
export type ObservationRequestWire = typeof ObservationRequestWire.Type

/**
 * Converts a decoded wire observation to the runtime {@link Observation} (camelCase, no copies of pixel data).
 *
 * @since 0.1.0
 * @category conversions
 */
export const fromWire = (wire: ObservationWire): Observation => ({
  rgbStatic: wire.rgb_static,
  rgbGripper: wire.rgb_gripper,
  robotObs: wire.robot_obs,
  sceneObs: wire.scene_obs
})

/**
 * Converts a runtime observation to its wire form (for clients and dataset writers).
 *
 * @since 0.1.0
 * @category conversions
 */
export const toWire = (observation: Observation): ObservationWire => ({
  ...(observation.rgbStatic !== undefined ? { rgb_static: observation.rgbStatic } : {}),
  ...(observation.rgbGripper !== undefined ? { rgb_gripper: observation.rgbGripper } : {}),
  robot_obs: observation.robotObs,
  scene_obs: observation.sceneObs
})

/**
 * Decodes an observation from unknown input. Fails with `SdkError` reason `"InvalidInput"` whose message names
 * each bad field and why, e.g. `robot_obs: expected 15 values, got 14` or `robot_obs[3]: NaN is not allowed`.
 * Unknown keys are rejected so that a misspelt field does not pass silently.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeObservation = (input: unknown): Effect.Effect<Observation, SdkError> =>
  decodeEffect(ObservationWire, input, "observation").pipe(Effect.map(fromWire))

/**
 * Decodes an observation with its instruction (the body of a policy request).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeObservationRequest = (
  input: unknown
): Effect.Effect<{ readonly observation: Observation; readonly instruction: string }, SdkError> =>
  decodeEffect(ObservationRequestWire, input, "observation request").pipe(
    Effect.map((wire) => ({ observation: fromWire(wire), instruction: wire.instruction }))
  )
