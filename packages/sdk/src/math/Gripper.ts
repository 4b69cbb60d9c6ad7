/**
 * The gripper value at each stage, in one place (reference/robovlms.md §1.5):
 *
 * | stage | open | close |
 * |---|---|---|
 * | CALVIN data (`actions[6]`, `rel_actions[6]`) and env command | **+1** | **−1** |
 * | loss label (collater `(g + 1) // 2`, BCE target) | **1** | **0** |
 * | model output | logit > 0 | logit ≤ 0 |
 * | discrete tokens (decoded bin centre) | > 0 | ≤ 0 |
 *
 * Eval in the reference: sigmoid(logit) > 0.5 → 0/1 → (x − 0.5)·2 → sign → ±1, i.e. logit > 0 ⇒ open (+1).
 *
 * @since 0.1.0
 */

/** Data / env value for an open gripper. @since 0.1.0 @category constants */
export const GRIPPER_OPEN = 1
/** Data / env value for a closed gripper. @since 0.1.0 @category constants */
export const GRIPPER_CLOSE = -1
/** Loss label for an open gripper. @since 0.1.0 @category constants */
export const LABEL_OPEN = 1
/** Loss label for a closed gripper. @since 0.1.0 @category constants */
export const LABEL_CLOSE = 0

/** @since 0.1.0 @category models */
export type GripperCommand = typeof GRIPPER_OPEN | typeof GRIPPER_CLOSE
/** @since 0.1.0 @category models */
export type GripperLabel = typeof LABEL_OPEN | typeof LABEL_CLOSE

/**
 * Data (−1 close / +1 open) → loss label (0 close / 1 open), as the collater's floor((g + 1)/2) on ±1 data.
 *
 * @since 0.1.0
 * @category gripper
 */
export const gripperDataToLabel = (g: number): GripperLabel => (Math.floor((g + 1) / 2) >= 1 ? LABEL_OPEN : LABEL_CLOSE)

/**
 * Loss label or probability (0 close … 1 open) → env command: > 0.5 is open (+1), otherwise close (−1).
 *
 * @since 0.1.0
 * @category gripper
 */
export const gripperLabelToEnv = (label: number): GripperCommand => (label > 0.5 ? GRIPPER_OPEN : GRIPPER_CLOSE)

/**
 * Head logit → loss-label space decision: sigmoid(logit) > 0.5 ⇔ logit > 0 ⇒ 1 (open).
 *
 * @since 0.1.0
 * @category gripper
 */
export const gripperLogitToLabel = (logit: number): GripperLabel => (logit > 0 ? LABEL_OPEN : LABEL_CLOSE)

/**
 * Head logit → env command: logit > 0 ⇒ +1 (open), else −1 (close).
 *
 * @since 0.1.0
 * @category gripper
 */
export const gripperLogitToEnv = (logit: number): GripperCommand => gripperLabelToEnv(gripperLogitToLabel(logit))

/**
 * Decoded discrete-token value (a bin centre in [−1, 1]) → env command: > 0 ⇒ +1, else −1.
 *
 * @since 0.1.0
 * @category gripper
 */
export const gripperTokenValueToEnv = (value: number): GripperCommand => (value > 0 ? GRIPPER_OPEN : GRIPPER_CLOSE)

/**
 * The probability of "open" for a logit (the BCE model's sigmoid).
 *
 * @since 0.1.0
 * @category gripper
 */
export const gripperOpenProbability = (logit: number): number => 1 / (1 + Math.exp(-logit))
