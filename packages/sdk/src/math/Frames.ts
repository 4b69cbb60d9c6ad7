/**
 * World ↔ TCP (end-effector) frame conversion of 7-D relative actions, RoboVLMs' `world_to_tcp_frame` /
 * `tcp_to_world_frame` (reference/robovlms.md §1.3–1.4, used when `tcp_rel` is on).
 *
 * The orientation delta is treated as a "pseudo-infinitesimal" rotation: scaled by 0.01 before composing with
 * the TCP pose and by 100 after extracting it again. The reference runs in float32; this runs in float64, so it
 * agrees with the golden data to ~1e-5 and the round trip world → TCP → world is exact to ~1e-9.
 * Unlike the reference's `tcp_to_world_frame` (NameError as shipped), the inverse here works.
 *
 * @since 0.1.0
 */
import { eulerXyzToMatrix, matMul3, matrixToEulerXyz, matVec3, transpose3, wrapAngleOnce } from "./Rotation.ts"

/** The 0.01 / 100 scaling of the orientation delta. @since 0.1.0 @category constants */
export const ORIENTATION_DOWNSCALE = 0.01
/** @since 0.1.0 @category constants */
export const ORIENTATION_UPSCALE = 100

const tcpEuler = (robotObs: ArrayLike<number>): [number, number, number] => [robotObs[3]!, robotObs[4]!, robotObs[5]!]

/**
 * Converts a world-frame relative action into the TCP frame of the pose in `robotObs` (15-D; uses [3:6]).
 * Position: R_wt⁻¹·p. Orientation: R_rel = E(θ + 0.01·d)⁻¹·E(θ), d' = 100·wrap(M2E(R_rel)). Gripper unchanged.
 * At the identity pose d' ≈ −d (R_rel is the new→old rotation), as in the reference.
 *
 * @since 0.1.0
 * @category frames
 */
export const worldToTcpFrame = (action: ArrayLike<number>, robotObs: ArrayLike<number>): Array<number> => {
  const theta = tcpEuler(robotObs)
  const worldFromTcp = eulerXyzToMatrix(theta)
  const tcpFromWorld = transpose3(worldFromTcp)
  const position = matVec3(tcpFromWorld, [action[0]!, action[1]!, action[2]!])
  const thetaNew = [
    theta[0] + action[3]! * ORIENTATION_DOWNSCALE,
    theta[1] + action[4]! * ORIENTATION_DOWNSCALE,
    theta[2] + action[5]! * ORIENTATION_DOWNSCALE
  ]
  const relative = matMul3(transpose3(eulerXyzToMatrix(thetaNew)), worldFromTcp)
  const orientation = matrixToEulerXyz(relative).map((a) => wrapAngleOnce(a) * ORIENTATION_UPSCALE)
  return [...position, ...orientation, action[6]!]
}

/**
 * Inverse of {@link worldToTcpFrame}: p = R_wt·p', R_new = R_wt·E(0.01·d')⁻¹, d = 100·wrap(M2E(R_new) − θ).
 *
 * @since 0.1.0
 * @category frames
 */
export const tcpToWorldFrame = (action: ArrayLike<number>, robotObs: ArrayLike<number>): Array<number> => {
  const theta = tcpEuler(robotObs)
  const worldFromTcp = eulerXyzToMatrix(theta)
  const position = matVec3(worldFromTcp, [action[0]!, action[1]!, action[2]!])
  const relative = eulerXyzToMatrix([
    action[3]! * ORIENTATION_DOWNSCALE,
    action[4]! * ORIENTATION_DOWNSCALE,
    action[5]! * ORIENTATION_DOWNSCALE
  ])
  const eulerNew = matrixToEulerXyz(matMul3(worldFromTcp, transpose3(relative)))
  const orientation = eulerNew.map((a, i) => wrapAngleOnce(a - theta[i]!) * ORIENTATION_UPSCALE)
  return [...position, ...orientation, action[6]!]
}
