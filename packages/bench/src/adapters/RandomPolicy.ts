/**
 * A random policy: uniform relative actions in [−1, 1] for the arm and a random gripper sign, seeded per
 * policy instance so runs are reproducible. It is the benchmark's lower bound (≈ 0 average length).
 *
 * @since 0.1.0
 */
import { mulberry32 } from "@robovla/sdk"
import type { Action7, PolicyMetadata, PolicyModel, PolicyService } from "@robovla/sdk"
import { Effect } from "effect"


const metadata: PolicyMetadata = {
  name: "random",
  windowSize: 1,
  chunkSize: 1,
  actionSpace: "relative",
  inputs: { rgbStatic: false, rgbGripper: false, robotObs: false, sceneObs: false }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const makeRandomPolicyModel = (seed: number): PolicyModel => {
  let instances = 0
  const policy = (): PolicyService => {
    const next = mulberry32(seed * 7919 + instances++)
    const act = () => {
      const a = Array.from({ length: 6 }, () => next() * 2 - 1)
      return [[...a, next() < 0.5 ? -1 : 1] as unknown as Action7]
    }
    return { metadata, reset: () => Effect.void, act: () => Effect.sync(act) }
  }
  return {
    metadata,
    policy: () => Effect.sync(policy),
    actBatch: (items) => Effect.forEach(items, (item) => item.policy.act(item.observation, item.instruction))
  }
}
