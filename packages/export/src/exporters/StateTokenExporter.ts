/**
 * Exporter for the robot_obs state token (the SDK's `makeStateTokenEncoder`, trained as `state.*`): one small
 * graph, `state_token.onnx`, `robot_obs` (B, 15) → `state_token` (B, D), the whole function the SDK computes
 * on the host, so a consumer feeds raw CALVIN robot_obs and never needs to know which values it reads:
 *
 *   arm     = robot_obs[:, 0:6] · arm.weight (6, D) + arm.bias
 *   gripper = gripper.weight[robot_obs[:, 14] > 0 ? 1 : 0]            (Greater → Cast → Gather: exact)
 *   token   = [arm | gripper] · fuse.weight (2D, D) + fuse.bias
 *
 * The runtime places the token where the SDK assembly does (right before each frame's first [LRN]), because
 * it is the SDK assembly that places it.
 *
 * @since 0.1.0
 */
import { Observation } from "@robovla/sdk"
import { GraphBuilder } from "../graph/GraphBuilder.ts"
import { linearInOut, weight, type Weights } from "../graph/Layers.ts"

/**
 * `state.*` tensors (names without the prefix, `[in, out]` layout as the SDK holds them) → `state_token.onnx`.
 * A missing or misshapen tensor is an `ExportError` (`InvalidInput`) naming it.
 *
 * @since 0.1.0
 * @category exporters
 */
export const exportStateToken = (weights: Weights, hiddenSize: number): Uint8Array => {
  const d = hiddenSize
  const armWeight = weight(weights, "arm.weight", [6, d])
  const armBias = weight(weights, "arm.bias", [d])
  const gripperWeight = weight(weights, "gripper.weight", [2, d])
  const fuseWeight = weight(weights, "fuse.weight", [2 * d, d])
  const fuseBias = weight(weights, "fuse.bias", [d])

  const g = new GraphBuilder("robovla_state_token")
  const robotObs = g.input("robot_obs", "float32", ["B", Observation.ROBOT_OBS_SIZE])
  const pose = g.op("Slice", [robotObs, g.ints([0]), g.ints([6]), g.ints([1])])
  const arm = linearInOut(g, pose, armWeight, armBias, "state.arm")
  // The gripper row: robot_obs[14] > 0 (open) → 1, else 0; (B, 1) → (B,) so Gather gives (B, D).
  const open = g.op("Greater", [g.op("Slice", [robotObs, g.ints([14]), g.ints([15]), g.ints([1])]), g.scalar(0)])
  const row = g.op("Reshape", [g.op("Cast", [open], { to: 7 /* INT64 */ }), g.ints([-1])])
  const gripperTable = g.initializer({ data: gripperWeight.data, dims: gripperWeight.shape }, "state.gripper.weight")
  const gripper = g.op("Gather", [gripperTable, row], { axis: 0 })
  const joined = g.op("Concat", [arm, gripper], { axis: 1 })
  const token = linearInOut(g, joined, fuseWeight, fuseBias, "state.fuse")
  g.output("state_token", token, "float32", ["B", d])
  return g.toBytes({ docString: "robot_obs state token: arm Linear + gripper embedding + fuse Linear (robovla export)" })
}
