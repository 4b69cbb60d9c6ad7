/**
 * CALVIN relative actions (calvin_env `to_relative_action`, reference/calvin.md §7.2 and robovlms.md §1.2):
 * position = clip(target − tcp, ±0.02 m)/0.02 (×50), orientation = clip(wrap(target − tcp), ±0.05 rad)/0.05
 * (×20) with the angle difference wrapped to [−π, π), gripper copied. Every arm dim lies in [−1, 1].
 *
 * @since 0.1.0
 */

/** Metres per unit of relative position. @since 0.1.0 @category constants */
export const MAX_REL_POS = 0.02
/** Radians per unit of relative orientation. @since 0.1.0 @category constants */
export const MAX_REL_ORN = 0.05

const TWO_PI = 2 * Math.PI
const clip = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x)

/**
 * (b − a) wrapped to [−π, π) with Python's floor-modulo semantics (so results match numpy bit for bit).
 *
 * @since 0.1.0
 * @category angles
 */
export const angleBetween = (a: number, b: number): number => {
  let r = (b - a + Math.PI) % TWO_PI
  if (r !== 0 && r < 0) r += TWO_PI
  return r - Math.PI
}

/**
 * Absolute 7-D target `[x, y, z, rx, ry, rz, gripper]` + 15-D robot_obs → CALVIN relative action.
 *
 * @since 0.1.0
 * @category relative actions
 */
export const toRelativeAction = (
  absoluteTarget: ArrayLike<number>,
  robotObs: ArrayLike<number>,
  maxPos = MAX_REL_POS,
  maxOrn = MAX_REL_ORN
): Array<number> => {
  const out = new Array<number>(7)
  for (let i = 0; i < 3; i++) out[i] = clip(absoluteTarget[i]! - robotObs[i]!, -maxPos, maxPos) / maxPos
  for (let i = 3; i < 6; i++) out[i] = clip(angleBetween(robotObs[i]!, absoluteTarget[i]!), -maxOrn, maxOrn) / maxOrn
  out[6] = absoluteTarget[6]!
  return out
}

/**
 * The absolute target a relative action asks for from the TCP pose in `robotObs` (what a controller
 * accumulates): position + rel·0.02, orientation + rel·0.05 (wrapped to [−π, π)), gripper copied.
 * For |rel| < 1 this inverts {@link toRelativeAction}.
 *
 * @since 0.1.0
 * @category relative actions
 */
export const relativeToAbsoluteTarget = (
  relativeAction: ArrayLike<number>,
  robotObs: ArrayLike<number>,
  maxPos = MAX_REL_POS,
  maxOrn = MAX_REL_ORN
): Array<number> => {
  const out = new Array<number>(7)
  for (let i = 0; i < 3; i++) out[i] = robotObs[i]! + relativeAction[i]! * maxPos
  for (let i = 3; i < 6; i++) out[i] = angleBetween(0, robotObs[i]! + relativeAction[i]! * maxOrn)
  out[6] = relativeAction[6]!
  return out
}
