/**
 * The scripted experts behind the SDK's `PolicyModel` contract: the privileged policy the gateway serves by default
 * and the benchmark's oracle. It maps the instruction to a task (`taskForInstruction`), keeps one expert per policy
 * instance (restarted by `reset()`, i.e. per subtask) and reads only `robotObs` and `sceneObs`.
 *
 * @since 0.1.0
 */
import { SdkError } from "@robovla/sdk"
import type { Action7, ActionChunk, ObservationFrame, PolicyBatchItem, PolicyModel, PolicyService } from "@robovla/sdk"
import { Effect } from "effect"
import { type InstructionSet, DEFAULT_INSTRUCTIONS, taskForInstruction } from "../instructions/Instructions.ts"
import type { SceneId } from "../scene/SceneLayout.ts"
import type { TaskName } from "../tasks/Tasks.ts"
import { type Expert, makeExpert } from "./Experts.ts"

const finite = (xs: ReadonlyArray<number>): boolean => xs.every((x) => typeof x === "number" && Number.isFinite(x))

/** Options of `makeExpertPolicyModel`. @since 0.1.0 @category models */
export interface ExpertPolicyOptions {
  /** Instructions used to recognise the task (default: the built-in set). */
  readonly instructions?: InstructionSet
}

/**
 * A `PolicyModel` of the scripted experts for `scene`: relative 7-D actions, chunks of 1, inputs robot_obs and
 * scene_obs only. Unknown instructions fail with `SdkError` reason `InvalidInput`; wrong observation sizes with
 * `ShapeMismatch`; non-finite values with `NonFinite`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeExpertPolicyModel = (scene: SceneId = "D", options: ExpertPolicyOptions = {}): PolicyModel => {
  const instructions = options.instructions ?? DEFAULT_INSTRUCTIONS
  const metadata = {
    name: "scripted-expert",
    windowSize: 1,
    chunkSize: 1,
    actionSpace: "relative" as const,
    inputs: { rgbStatic: false, rgbGripper: false, robotObs: true, sceneObs: true },
    details: { scene, privileged: true, source: "@robovla/sim experts" }
  }

  const makePolicy = (): PolicyService => {
    let expert: Expert | undefined
    let task: TaskName | undefined
    const act = (observation: ObservationFrame, instruction: string): Effect.Effect<ActionChunk, SdkError> =>
      Effect.suspend(() => {
        const { robotObs, sceneObs } = observation
        if (robotObs.length !== 15 || sceneObs.length !== 24) {
          return Effect.fail(
            new SdkError({
              reason: "ShapeMismatch",
              message: `expert policy needs robotObs[15] and sceneObs[24], got ${robotObs.length} and ${sceneObs.length}`,
              subject: "observation"
            })
          )
        }
        if (!finite(robotObs) || !finite(sceneObs)) {
          return Effect.fail(new SdkError({ reason: "NonFinite", message: "observation has non-finite values", subject: "observation" }))
        }
        const wanted = taskForInstruction(instruction, instructions)
        if (wanted === undefined) {
          return Effect.fail(
            new SdkError({ reason: "InvalidInput", message: `no task matches instruction ${JSON.stringify(instruction)}`, subject: "instruction" })
          )
        }
        if (expert === undefined || wanted !== task) {
          task = wanted
          expert = makeExpert(wanted, scene)
          expert.reset()
        }
        const action: Action7 = expert.act(robotObs, sceneObs)
        return Effect.succeed([action])
      })
    return {
      metadata,
      reset: () =>
        Effect.sync(() => {
          expert = undefined
          task = undefined
        }),
      act
    }
  }

  return {
    metadata,
    policy: () => Effect.sync(makePolicy),
    actBatch: (items: ReadonlyArray<PolicyBatchItem>) =>
      Effect.forEach(items, (item) => item.policy.act(item.observation, item.instruction))
  }
}
