/**
 * Head outputs → the env's 7-D actions (reference/robovlms.md §1.5, §2.3, §9.2).
 *
 * Arm: the inverse of the ±0.65 normalisation, a = ½(a′ + 1)(max − min) + min (= 0.65·a′ for the symmetric
 * case), applied to the 6 arm dims only (RoboVLMs also pushes the 0/1 gripper through it, §10.6; we keep the
 * gripper out, as the reference recommends).
 *
 * Gripper: training labels are (g + 1) / 2 of CALVIN's −1 close / +1 open, so label 1 = open. At eval
 * sigmoid(logit) > 0.5 gives 1, then (x − 0.5)·2 → sign: **sigmoid > 0.5 ⇒ +1 (open), else −1 (close)**.
 * (A discrete head's decoded gripper value maps the same way: > 0 ⇒ +1.)
 *
 * @since 0.1.0
 */
import type { Action7, ActionChunk } from "../Action.ts"
import { gripperLogitToEnv } from "../math/Gripper.ts"
import { denormalizeAction, NORM_MAX, NORM_MIN } from "../math/Normalization.ts"
import { SdkError } from "../SdkError.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface Normalization {
  readonly min: number
  readonly max: number
}

/** RoboVLMs' CALVIN values (`norm_min` / `norm_max`). @since 0.1.0 @category constants */
export const CALVIN_NORMALIZATION: Normalization = { min: NORM_MIN, max: NORM_MAX }

/**
 * Gripper logit → env command: +1 (open) when sigmoid(logit) > 0.5, i.e. logit > 0; else −1 (close)
 * (`math/Gripper.ts` `gripperLogitToEnv`).
 *
 * @since 0.1.0
 * @category decoding
 */
export const gripperCommandFromLogit = (logit: number): 1 | -1 => gripperLogitToEnv(logit)

/**
 * One window position's head output → an action chunk. `arm` holds N×6 values from `armOffset`, `gripperLogits`
 * N values from `gripperOffset`. Fails with `"NonFinite"` if the head produced NaN or Infinity.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeActionChunk = (
  arm: Float32Array,
  armOffset: number,
  gripperLogits: Float32Array,
  gripperOffset: number,
  chunkSize: number,
  normalization: Normalization
): ActionChunk => {
  const chunk: Array<Action7> = []
  for (let k = 0; k < chunkSize; k++) {
    const a = arm.subarray(armOffset + k * 6, armOffset + k * 6 + 6)
    const logit = gripperLogits[gripperOffset + k]!
    for (const v of a) {
      if (!Number.isFinite(v)) throw new SdkError({ reason: "NonFinite", message: `the head predicted a non-finite arm value (${v})`, subject: "head.arm" })
    }
    if (Number.isNaN(logit)) throw new SdkError({ reason: "NonFinite", message: "the head predicted a NaN gripper logit", subject: "head.gripperLogits" })
    // denormalizeAction leaves the last (gripper) dim alone.
    const action = denormalizeAction([...a, gripperCommandFromLogit(logit)], normalization.min, normalization.max)
    chunk.push(action as unknown as Action7)
  }
  return chunk
}
