/**
 * What a policy sees at one control step: camera images, proprioception, scene state and the instruction.
 *
 * Layouts follow CALVIN (reference/calvin.md §3): `robot_obs` has 15 values, `scene_obs` 24; images are
 * H×W×3 uint8 in row-major HWC order (`rgb_static` 200×200, `rgb_gripper` 84×84).
 *
 * @since 0.1.0
 */

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
