/**
 * 7-D actions: position (3), orientation as Euler XYZ (3), gripper (1). See reference/robovlms.md §1.
 *
 * @since 0.1.0
 */

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
