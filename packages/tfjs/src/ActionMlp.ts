/**
 * RoboVLMs' shared action read-out ("MLPTanh", reference/robovlms.md §6): from a per-position feature of size
 * H·latent, an arm MLP `→ widths… → N·6 → tanh` and a gripper MLP with the same widths `→ N` logits (no
 * sigmoid). Reference widths are `[1024, 512, 256]` with ReLU between layers.
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { LinearInit } from "./Init.ts"
import { makeReluStack } from "./Linear.ts"
import type { Parameters } from "./Parameters.ts"
import type { Rng } from "./Rng.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface ActionMlps {
  /**
   * (B·T, inputSize) features of B×T positions → arm (B, T, N, 6) in [−1, 1] and gripper logits (B, T, N, 1).
   */
  readonly apply: (
    features: tf.Tensor2D,
    batch: number,
    time: number
  ) => { readonly arm: tf.Tensor4D; readonly gripperLogits: tf.Tensor4D }
}

/**
 * Registers `arm.<i>.*` and `gripper.<i>.*` (arm first, so initial values depend only on the seed).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeActionMlps = (
  parameters: Parameters,
  rng: Rng,
  options: {
    readonly inputSize: number
    readonly widths: ReadonlyArray<number>
    readonly chunkSize: number
    readonly init: LinearInit
  }
): ActionMlps => {
  const { chunkSize, init, inputSize, widths } = options
  const arm = makeReluStack(parameters, rng, "arm", [inputSize, ...widths, chunkSize * 6], init)
  const gripper = makeReluStack(parameters, rng, "gripper", [inputSize, ...widths, chunkSize], init)
  return {
    apply: (features, batch, time) => ({
      arm: tf.reshape(tf.tanh(arm.apply(features)), [batch, time, chunkSize, 6]),
      gripperLogits: tf.reshape(gripper.apply(features), [batch, time, chunkSize, 1])
    })
  }
}
