/**
 * A deterministic tiny continuous policy head in plain TypeScript, for tests of assembly, policies and
 * serving without training anything.
 *
 * For each window position t the feature is the flattened [LRN] block x_t (latent·D values) mixed with the causal
 * mean of the window so far, f_t = (1 − α)·x_t + α·mean(x_0..x_t) with α = `historyMix`; then
 * arm = tanh(f_t·W_arm + b_arm) reshaped to (N, 6) and gripper logits = f_t·W_grip + b_grip, (N, 1).
 * The stepper keeps the last W frames, predicts over them and returns the newest position, so a stepper's
 * output depends on its history and `reset()` visibly clears it.
 *
 * Weights come from `seed`. Built with `PolicyHead.make` like every head, so closing the Scope gives `SdkError`
 * `"Released"` afterwards; `mockHeadLiveInstances()` counts open ones.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import type { Scope } from "effect"
import type { HeadPlugin } from "../Plugin.ts"
import type { HeadDimensions, HeadOutput, PolicyHead } from "../PolicyHead.ts"
import { checkDimensions, HEAD_CONTRACT_VERSION, make as makePolicyHead } from "../PolicyHead.ts"
import type { SdkError } from "../SdkError.ts"
import { randomWeights, seededRandom } from "./tensorChecks.ts"

/**
 * @since 0.1.0
 * @category config
 */
export const MockHeadConfig = Schema.Struct({
  seed: Schema.Int,
  /** α in [0, 1]: how much the window history contributes to each position's feature. */
  historyMix: Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(1))
})

/**
 * @since 0.1.0
 * @category config
 */
export type MockHeadConfig = typeof MockHeadConfig.Type

/**
 * @since 0.1.0
 * @category config
 */
export const defaultMockHeadConfig: MockHeadConfig = { seed: 0, historyMix: 0.5 }

let liveInstances = 0

/**
 * How many mock heads are made and not yet released.
 *
 * @since 0.1.0
 * @category testing
 */
export const mockHeadLiveInstances = (): number => liveInstances

/**
 * Makes a mock head in the current Scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMockHead = (
  config: MockHeadConfig,
  dimensions: HeadDimensions
): Effect.Effect<PolicyHead, SdkError, Scope.Scope> =>
  Effect.gen(function*() {
    yield* checkDimensions("mock head", dimensions)
    const { inputSize: D, windowSize: W, chunkSize: N, latent } = dimensions
    const F = latent * D
    const random = seededRandom(config.seed)
    const armWeight = randomWeights(random, F * N * 6, 1 / Math.sqrt(F)) // (F, N·6)
    const armBias = randomWeights(random, N * 6, 0.1)
    const gripperWeight = randomWeights(random, F * N, 1 / Math.sqrt(F)) // (F, N)
    const gripperBias = randomWeights(random, N, 0.1)
    const alpha = config.historyMix

    yield* Effect.acquireRelease(
      Effect.sync(() => void liveInstances++),
      () => Effect.sync(() => void liveInstances--)
    )

    /** (B, T, latent, D) with 1 ≤ T ≤ W → per-position outputs. Inputs are checked by the callers. */
    const compute = (data: Float32Array, B: number, T: number): HeadOutput => {
      const arm = new Float32Array(B * T * N * 6)
      const gripper = new Float32Array(B * T * N)
      const feature = new Float64Array(F)
      const running = new Float64Array(F)
      for (let b = 0; b < B; b++) {
        running.fill(0)
        for (let t = 0; t < T; t++) {
          const row = (b * T + t) * F
          for (let f = 0; f < F; f++) {
            running[f]! += data[row + f]!
            feature[f] = (1 - alpha) * data[row + f]! + (alpha * running[f]!) / (t + 1)
          }
          const position = b * T + t
          for (let o = 0; o < N * 6; o++) {
            let acc = armBias[o]!
            for (let f = 0; f < F; f++) acc += feature[f]! * armWeight[f * N * 6 + o]!
            arm[position * N * 6 + o] = Math.tanh(acc)
          }
          for (let o = 0; o < N; o++) {
            let acc = gripperBias[o]!
            for (let f = 0; f < F; f++) acc += feature[f]! * gripperWeight[f * N + o]!
            gripper[position * N + o] = acc
          }
        }
      }
      return { arm: { data: arm, shape: [B, T, N, 6] }, gripperLogits: { data: gripper, shape: [B, T, N, 1] } }
    }

    // PolicyHead.make checks the inputs, guards release and copies; its window stepper keeps the last W frames
    // and reads the newest position of `compute`, so a stepper's output depends on its history.
    return yield* makePolicyHead({
      name: "mock",
      kind: "continuous",
      dimensions,
      maxWindow: W,
      predict: (lrn) => compute(lrn.data, lrn.shape[0]!, lrn.shape[1]!),
      parameterGroups: () => [
        { name: "mock_head.arm", part: "head", size: armWeight.length + armBias.length, trainable: true },
        { name: "mock_head.gripper", part: "head", size: gripperWeight.length + gripperBias.length, trainable: true }
      ]
    })
  })

/**
 * The mock head's plugin manifest (registry key `mock`).
 *
 * @since 0.1.0
 * @category plugin
 */
export const mockHeadPlugin: HeadPlugin<MockHeadConfig> = {
  kind: "head",
  name: "mock",
  version: "0.1.0",
  contractVersion: HEAD_CONTRACT_VERSION,
  configSchema: MockHeadConfig,
  defaultConfig: defaultMockHeadConfig,
  make: makeMockHead
}
