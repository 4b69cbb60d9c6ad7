/**
 * What one benchmark worker holds: a simulator and a policy model, a fresh policy instance per chain, and the
 * recording of video frames for the chains that get one.
 *
 * @since 0.1.0
 */
import type { ObservationFrame } from "@robovla/sdk"
import { checkTask, EVAL_ROBOT_OBS, instructionFor, PlayTable, type SceneId, sceneObsForState, type SymbolicState, type TaskName } from "@robovla/sim"
import { Effect } from "effect"
import type { ChainSpec } from "./Chain.ts"
import type { ChainOutcome, VideoFrame, WorkerSetup } from "./ChainTask.ts"
import { makeRandomPolicyModel } from "./adapters/RandomPolicy.ts"
import { makePolicy } from "./MakePolicy.ts"
import { runChain } from "./Rollout.ts"

/** @since 0.1.0 @category models */
export interface RolloutContext {
  readonly run: (chain: ChainSpec, record: boolean) => Promise<ChainOutcome>
  readonly close: () => Promise<void>
}

const downsample = (image: NonNullable<ObservationFrame["rgbStatic"]>, size: number): Uint8Array => {
  const out = new Uint8Array(size * size * 3)
  for (let y = 0; y < size; y++) {
    const sy = Math.floor(((y + 0.5) * image.height) / size)
    for (let x = 0; x < size; x++) {
      const sx = Math.floor(((x + 0.5) * image.width) / size)
      const s = (sy * image.width + sx) * 3
      const d = (y * size + x) * 3
      out[d] = image.data[s]!
      out[d + 1] = image.data[s + 1]!
      out[d + 2] = image.data[s + 2]!
    }
  }
  return out
}

/** Mixes a run seed and a chain index into one 32-bit seed. @since 0.1.0 @category utils */
export const chainSeed = (seed: number, index: number): number => (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0

/** @since 0.1.0 @category constructors */
export const makeRolloutContext = async (setup: WorkerSetup): Promise<RolloutContext> => {
  const world = await PlayTable.load(setup.scene as SceneId)
  const made = await makePolicy(setup.policy, { scene: setup.scene })
  const instructions = setup.instructions
  return {
    run: async (chain, record) => {
      const frames: Array<VideoFrame> = []
      // A fresh policy instance per chain, seeded by the chain, so an outcome does not depend on which worker ran
      // the chain or what it ran before (this is what makes --resume reproduce an uninterrupted run).
      const model = setup.policy.kind === "random" ? makeRandomPolicyModel(chainSeed(setup.policy.seed ?? 0, chain.index)) : made.model
      const policy = await Effect.runPromise(model.policy())
      const result = await runChain(world, policy, chain, {
        maxSteps: setup.maxSteps,
        actTimeoutMs: setup.actTimeoutMs,
        actionsPerQuery: setup.actionsPerQuery,
        temporalEnsemble: setup.temporalEnsemble,
        resetState: (c) => ({ robotObs: EVAL_ROBOT_OBS, sceneObs: sceneObsForState(c.initialState as SymbolicState, setup.scene as SceneId) }),
        instructionFor: (task) => instructions?.[task] ?? instructionFor(task as TaskName, "eval"),
        checkTask: (task, start, now) => checkTask(task as TaskName, start, now),
        onFrame: record
          ? ({ step, instruction, staticImage }) => {
            if (step % setup.videoStride !== 0) return
            const image = staticImage()
            if (image) frames.push({ rgb: downsample(image, setup.videoSize), size: setup.videoSize, caption: instruction })
          }
          : undefined
      })
      return { result, frames }
    },
    close: async () => {
      world.dispose()
      await made.close()
    }
  }
}
