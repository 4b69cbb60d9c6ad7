/**
 * The robot_obs state token (RoboVLMs' intended `use_state`, reference/robovlms.md §10.1), as the trainer builds
 * it: arm = TCP xyz + Euler (robot_obs 0–5) → Linear(6→D); gripper = robot_obs[14] (−1 closed / +1 open) →
 * Embedding(2, D); both → Linear(2D→D). Checkpoints hold it as `state.arm.weight` (6×D), `state.arm.bias` (D),
 * `state.gripper.weight` (2×D), `state.fuse.weight` (2D×D), `state.fuse.bias` (D), row-major [in, out].
 *
 * @since 0.1.0
 */
import { SdkError } from "../SdkError.ts"
import { isAllFinite, type FloatTensor } from "../Tensor.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface StateTokenEncoder {
  /** robot_obs (15 values) → the state token's embedding (D). */
  readonly encode: (robotObs: ReadonlyArray<number>) => Float32Array
}

const SHAPES = (d: number): Record<string, ReadonlyArray<number>> => ({
  "arm.weight": [6, d],
  "arm.bias": [d],
  "gripper.weight": [2, d],
  "fuse.weight": [2 * d, d],
  "fuse.bias": [d]
})

/**
 * Builds the encoder from a checkpoint's `state.*` tensors (names without the prefix); a missing, misshapen or
 * non-finite tensor is a named error.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeStateTokenEncoder = (weights: Readonly<Record<string, FloatTensor>>, hiddenSize: number): StateTokenEncoder => {
  const d = hiddenSize
  const expected = SHAPES(d)
  for (const name of Object.keys(weights)) {
    if (!(name in expected)) throw new SdkError({ reason: "InvalidInput", message: `unknown state token tensor state.${name} (expected ${Object.keys(expected).join(", ")})`, subject: `state.${name}` })
  }
  const get = (name: string): Float32Array => {
    const tensor = weights[name]
    if (tensor === undefined) throw new SdkError({ reason: "InvalidInput", message: `the state token needs state.${name}`, subject: `state.${name}` })
    const shape = expected[name]!
    if (tensor.shape.length !== shape.length || tensor.shape.some((s, i) => s !== shape[i])) {
      throw new SdkError({ reason: "ShapeMismatch", message: `state.${name} has shape [${tensor.shape.join(", ")}], expected [${shape.join(", ")}]`, subject: `state.${name}` })
    }
    if (!isAllFinite(tensor.data)) throw new SdkError({ reason: "NonFinite", message: `state.${name} contains NaN or Infinity`, subject: `state.${name}` })
    return Float32Array.from(tensor.data)
  }
  const armWeight = get("arm.weight")
  const armBias = get("arm.bias")
  const gripperWeight = get("gripper.weight")
  const fuseWeight = get("fuse.weight")
  const fuseBias = get("fuse.bias")
  return {
    encode: (robotObs) => {
      if (robotObs.length !== 15) throw new SdkError({ reason: "ShapeMismatch", message: `robotObs has ${robotObs.length} values, the state token needs CALVIN's 15`, subject: "observation.robotObs" })
      if (!robotObs.every(Number.isFinite)) throw new SdkError({ reason: "NonFinite", message: "robotObs contains NaN or Infinity", subject: "observation.robotObs" })
      // [arm (D) | gripper (D)], then the fuse layer.
      const joined = new Float64Array(2 * d)
      for (let j = 0; j < d; j++) {
        let sum = armBias[j]!
        for (let i = 0; i < 6; i++) sum += robotObs[i]! * armWeight[i * d + j]!
        joined[j] = sum
      }
      const open = robotObs[14]! > 0 ? 1 : 0
      for (let j = 0; j < d; j++) joined[d + j] = gripperWeight[open * d + j]!
      const out = new Float32Array(d)
      for (let j = 0; j < d; j++) {
        let sum = fuseBias[j]!
        for (let i = 0; i < 2 * d; i++) sum += joined[i]! * fuseWeight[i * d + j]!
        out[j] = sum
      }
      return out
    }
  }
}
