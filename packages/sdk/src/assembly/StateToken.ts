/**
 * The robot_obs state token (RoboVLMs' intended `use_state`, reference/robovlms.md §10.1), as the trainer builds
 * it: arm = TCP xyz + Euler (robot_obs 0–5) → Linear(6→D); gripper = robot_obs[14] (−1 closed / +1 open) →
 * Embedding(2, D); both → Linear(2D→D). Checkpoints hold it as `state.arm.weight` (6×D), `state.arm.bias` (D),
 * `state.gripper.weight` (2×D), `state.fuse.weight` (2D×D), `state.fuse.bias` (D), row-major [in, out].
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { SdkError } from "../SdkError.ts"
import { isAllFinite, type FloatTensor } from "../Tensor.ts"

/**
 * What the assembly needs of a state token: the tokens of a batch at once, as an Effect, so that an encoder can
 * run anywhere (here on the host, or an exported graph on onnxruntime). The assembly checks every robotObs with
 * {@link checkRobotObs} before calling it, and each token's length after.
 *
 * @since 0.1.0
 * @category models
 */
export interface StateTokenEncoder {
  /** robot_obs of each batch item (15 finite values each) → each item's state token embedding (D). */
  readonly encodeBatch: (robotObs: ReadonlyArray<ReadonlyArray<number>>) => Effect.Effect<ReadonlyArray<Float32Array>, SdkError>
  /** The tensors it was built from (names without `state.`), for exporters; absent where they are not in memory. */
  readonly weights?: (() => Readonly<Record<string, FloatTensor>>) | undefined
}

/**
 * The host-side encoder {@link makeStateTokenEncoder} builds: also one robot_obs at a time, synchronously.
 *
 * @since 0.1.0
 * @category models
 */
export interface LocalStateTokenEncoder extends StateTokenEncoder {
  /** robot_obs (15 values) → the state token's embedding (D). */
  readonly encode: (robotObs: ReadonlyArray<number>) => Float32Array
  readonly weights: () => Readonly<Record<string, FloatTensor>>
}

/** CALVIN's robot_obs size, which the state token reads (TCP xyz + Euler at 0–5, gripper action at 14). */
const ROBOT_OBS_VALUES = 15

/**
 * A robot_obs the state token can read: 15 finite values (`ShapeMismatch` / `NonFinite` otherwise, naming
 * `observation.robotObs`).
 *
 * @since 0.1.0
 * @category validation
 */
export const checkRobotObs = (robotObs: ReadonlyArray<number>): void => {
  if (robotObs.length !== ROBOT_OBS_VALUES) throw new SdkError({ reason: "ShapeMismatch", message: `robotObs has ${robotObs.length} values, the state token needs CALVIN's ${ROBOT_OBS_VALUES}`, subject: "observation.robotObs" })
  if (!robotObs.every(Number.isFinite)) throw new SdkError({ reason: "NonFinite", message: "robotObs contains NaN or Infinity", subject: "observation.robotObs" })
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
export const makeStateTokenEncoder = (weights: Readonly<Record<string, FloatTensor>>, hiddenSize: number): LocalStateTokenEncoder => {
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
  const encode = (robotObs: ReadonlyArray<number>): Float32Array => {
    checkRobotObs(robotObs)
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
  return {
    encode,
    encodeBatch: (robotObs) => Effect.try({ try: () => robotObs.map(encode), catch: (cause) => cause instanceof SdkError ? cause : new SdkError({ reason: "PluginFailure", message: `state token: ${String(cause)}`, cause }) }),
    weights: () => ({
      "arm.weight": { data: Float32Array.from(armWeight), shape: [6, d] },
      "arm.bias": { data: Float32Array.from(armBias), shape: [d] },
      "gripper.weight": { data: Float32Array.from(gripperWeight), shape: [2, d] },
      "fuse.weight": { data: Float32Array.from(fuseWeight), shape: [2 * d, d] },
      "fuse.bias": { data: Float32Array.from(fuseBias), shape: [d] }
    })
  }
}
