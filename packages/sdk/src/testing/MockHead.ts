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
 * Weights come from `seed`. Closing the Scope marks it released (`SdkError` `"Released"` afterwards);
 * `mockHeadLiveInstances()` counts open ones.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import type { Scope } from "effect"
import type { HeadPlugin } from "../Plugin.ts"
import type { HeadDimensions, HeadOutput, HeadStepOutput, HeadStepper, PolicyHead } from "../PolicyHead.ts"
import { HEAD_CONTRACT_VERSION } from "../PolicyHead.ts"
import { SdkError } from "../SdkError.ts"
import type { FloatTensor } from "../Tensor.ts"
import { checkFinite, checkShape, randomWeights, released, seededRandom } from "./tensorChecks.ts"

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

const checkDimensions = (dimensions: HeadDimensions): SdkError | undefined => {
  for (const key of ["inputSize", "windowSize", "chunkSize", "latent"] as const) {
    const value = dimensions[key]
    if (!Number.isInteger(value) || value < 1) {
      return new SdkError({ reason: "InvalidInput", subject: key, message: `mock head: dimension ${key} must be a positive integer, got ${value}` })
    }
  }
  return undefined
}

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
    const invalid = checkDimensions(dimensions)
    if (invalid) return yield* invalid
    const { inputSize: D, windowSize: W, chunkSize: N, latent } = dimensions
    const F = latent * D
    const random = seededRandom(config.seed)
    const armWeight = randomWeights(random, F * N * 6, 1 / Math.sqrt(F)) // (F, N·6)
    const armBias = randomWeights(random, N * 6, 0.1)
    const gripperWeight = randomWeights(random, F * N, 1 / Math.sqrt(F)) // (F, N)
    const gripperBias = randomWeights(random, N, 0.1)
    const alpha = config.historyMix

    const state = yield* Effect.acquireRelease(
      Effect.sync(() => {
        liveInstances++
        return { released: false }
      }),
      (s) =>
        Effect.sync(() => {
          s.released = true
          liveInstances--
        })
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

    const predict = (lrn: FloatTensor<"B W latent D">): Effect.Effect<HeadOutput, SdkError> =>
      Effect.suspend(() => {
        if (state.released) return Effect.fail(released("mock head", "predict"))
        const bad = checkShape("predict lrn", lrn, [undefined, undefined, latent, D], "B, W, latent, D") ??
          checkFinite("predict lrn", lrn.data)
        if (bad) return Effect.fail(bad)
        const T = lrn.shape[1]!
        if (T < 1 || T > W) {
          return Effect.fail(
            new SdkError({ reason: "ShapeMismatch", subject: "predict lrn", message: `predict lrn: window ${T} is outside 1..${W}` })
          )
        }
        return Effect.succeed(compute(lrn.data, lrn.shape[0]!, T))
      })

    const stepper = (): HeadStepper => {
      let history: Array<Float32Array> = [] // newest last, each (B, latent, D)
      let batch = 0
      return {
        reset: () => {
          history = []
        },
        step: (lrn: FloatTensor<"B latent D">): Effect.Effect<HeadStepOutput, SdkError> =>
          Effect.suspend(() => {
            if (state.released) return Effect.fail(released("mock head", "step"))
            const bad = checkShape("step lrn", lrn, [history.length > 0 ? batch : undefined, latent, D], "B, latent, D") ??
              checkFinite("step lrn", lrn.data)
            if (bad) return Effect.fail(bad)
            batch = lrn.shape[0]!
            history.push(Float32Array.from(lrn.data))
            if (history.length > W) history.shift()
            const T = history.length
            const window = new Float32Array(batch * T * F) // (B, T, latent, D)
            for (let t = 0; t < T; t++) {
              for (let b = 0; b < batch; b++) window.set(history[t]!.subarray(b * F, (b + 1) * F), (b * T + t) * F)
            }
            const out = compute(window, batch, T)
            const arm = new Float32Array(batch * N * 6)
            const gripper = new Float32Array(batch * N)
            for (let b = 0; b < batch; b++) {
              const last = b * T + T - 1
              arm.set(out.arm.data.subarray(last * N * 6, (last + 1) * N * 6), b * N * 6)
              gripper.set(out.gripperLogits.data.subarray(last * N, (last + 1) * N), b * N)
            }
            return Effect.succeed({ arm: { data: arm, shape: [batch, N, 6] }, gripperLogits: { data: gripper, shape: [batch, N, 1] } })
          })
      }
    }

    const head: PolicyHead = {
      specificationVersion: HEAD_CONTRACT_VERSION,
      name: "mock",
      kind: "continuous",
      dimensions,
      predict,
      stepper,
      parameterGroups: () => [
        { name: "mock_head.arm", part: "head", size: armWeight.length + armBias.length, trainable: true },
        { name: "mock_head.gripper", part: "head", size: gripperWeight.length + gripperBias.length, trainable: true }
      ]
    }
    return head
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
