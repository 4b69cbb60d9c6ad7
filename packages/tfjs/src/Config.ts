/**
 * Config fields shared by the continuous head plugins, in the SDK's Schema vocabulary (`PositiveInt`,
 * `withDefault`), so that `{}` decodes to the RoboVLMs CALVIN values.
 *
 * @since 0.1.0
 */
import { NonNegative, PositiveInt, withDefault } from "@robovla/sdk"
import { Schema } from "effect"

/**
 * Fields of every continuous head (reference/robovlms.md §6, §6.1, §7.3): `hidden_size` H (features per
 * [LRN] token inside the head), the arm/gripper MLP widths, the gripper loss weight and the init seed.
 *
 * @since 0.1.0
 * @category schemas
 */
export const continuousHeadFields = {
  hidden_size: PositiveInt.pipe(withDefault(1024)),
  mlp_widths: Schema.Array(PositiveInt).pipe(withDefault([1024, 512, 256])),
  arm_gripper_loss_ratio: NonNegative.pipe(withDefault(0.01)),
  seed: Schema.Int.pipe(withDefault(123))
}
