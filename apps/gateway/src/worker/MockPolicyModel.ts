/**
 * The built-in `mock` deployment: a deterministic, dependency-free `PolicyModel` for smoke tests, load
 * benchmarks and client development. Actions depend on `robot_obs`, the instruction and the session's step
 * count, so history and batching are observable; `latencyMs` simulates one forward pass per batch.
 *
 * @since 0.1.0
 */
import type { Action7, ActionChunk, ObservationFrame, PolicyMetadata, PolicyModel, PolicyService } from "@robovla/sdk"
import { Effect } from "effect"

/**
 * @since 0.1.0
 * @category models
 */
export interface MockOptions {
  readonly chunkSize?: number | undefined
  readonly latencyMs?: number | undefined
}

const hash = (text: string): number => {
  let h = 2166136261
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619)
  return h >>> 0
}

/**
 * The chunk the mock policy returns at `step` (exported so tests can compute expectations).
 *
 * @since 0.1.0
 * @category utils
 */
export const mockChunk = (observation: ObservationFrame, instruction: string, step: number, chunkSize: number): ActionChunk => {
  const h = hash(instruction)
  const out: Array<Action7> = []
  for (let i = 0; i < chunkSize; i++) {
    const arm = [0, 1, 2, 3, 4, 5].map((j) => Math.tanh(0.5 * (observation.robotObs[j] ?? 0) + ((h >>> j) % 17) / 17 - 0.5 + 0.1 * step + 0.01 * i))
    out.push([arm[0]!, arm[1]!, arm[2]!, arm[3]!, arm[4]!, arm[5]!, (h + step + i) % 2 === 0 ? 1 : -1])
  }
  return out
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const makeMockPolicyModel = (options: MockOptions = {}): PolicyModel => {
  const chunkSize = options.chunkSize ?? 4
  const latencyMs = options.latencyMs ?? 0
  const metadata: PolicyMetadata = {
    name: "mock",
    windowSize: 1,
    chunkSize,
    actionSpace: "relative",
    inputs: { rgbStatic: false, rgbGripper: false, robotObs: true, sceneObs: false },
    details: { deterministic: true, latencyMs }
  }
  // Step counters live beside the policies, keyed by instance, so actBatch can advance them.
  const steps = new WeakMap<PolicyService, { step: number }>()
  const makePolicy = (): PolicyService => {
    const state = { step: 0 }
    const policy: PolicyService = {
      metadata,
      reset: () => Effect.sync(() => void (state.step = 0)),
      act: (observation, instruction) => Effect.sync(() => mockChunk(observation, instruction, state.step++, chunkSize))
    }
    steps.set(policy, state)
    return policy
  }
  return {
    metadata,
    policy: () => Effect.sync(makePolicy),
    actBatch: (items) =>
      Effect.gen(function*() {
        if (latencyMs > 0) yield* Effect.sleep(latencyMs)
        return items.map((item) => {
          const state = steps.get(item.policy)
          const step = state === undefined ? 0 : state.step++
          return mockChunk(item.observation, item.instruction, step, chunkSize)
        })
      })
  }
}
