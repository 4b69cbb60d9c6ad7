import type { ObservationFrame } from "@robovla/sdk"
import { Effect, Result } from "effect"
import { describe, expect, it } from "vitest"
import { makeExpertPolicyModel } from "../../src/experts/ExpertPolicy.ts"
import { makeExpert } from "../../src/experts/Experts.ts"
import { instructionFor } from "../../src/instructions/Instructions.ts"
import { EVAL_ROBOT_OBS, sceneObsForState } from "../../src/symbolic/SceneReset.ts"
import { INITIAL_STATES } from "../../src/symbolic/SymbolicState.ts"
import { TASK_NAMES } from "../../src/tasks/Tasks.ts"

const observation: ObservationFrame = {
  robotObs: [...EVAL_ROBOT_OBS],
  sceneObs: sceneObsForState(INITIAL_STATES[7]!, "D")
}

describe("experts (pure)", () => {
  it("emit bounded relative actions with a binary gripper for every task", () => {
    for (const task of TASK_NAMES) {
      const expert = makeExpert(task, "D")
      expert.reset()
      const a = expert.act(observation.robotObs, observation.sceneObs)
      expect(a).toHaveLength(7)
      for (const x of a.slice(0, 6)) expect(Math.abs(x)).toBeLessThanOrEqual(1)
      expect([1, -1]).toContain(a[6])
    }
  })
  it("are deterministic after reset", () => {
    const expert = makeExpert("open_drawer", "D")
    const first = expert.act(observation.robotObs, observation.sceneObs)
    expert.reset()
    expect(expert.act(observation.robotObs, observation.sceneObs)).toEqual(first)
  })
})

describe("makeExpertPolicyModel", () => {
  const model = makeExpertPolicyModel("D")

  it("declares a privileged relative policy with chunks of 1", () => {
    expect(model.metadata.chunkSize).toBe(1)
    expect(model.metadata.actionSpace).toBe("relative")
    expect(model.metadata.inputs).toEqual({ rgbStatic: false, rgbGripper: false, robotObs: true, sceneObs: true })
  })

  it("maps the instruction to the task's expert", async () => {
    const policy = await Effect.runPromise(model.policy())
    const chunk = await Effect.runPromise(policy.act(observation, instructionFor("turn_on_led", "eval")))
    const expert = makeExpert("turn_on_led", "D")
    expect(chunk).toEqual([expert.act(observation.robotObs, observation.sceneObs)])
    await Effect.runPromise(policy.reset())
    const again = await Effect.runPromise(policy.act(observation, "Press the button to turn on the LED light."))
    expect(again).toEqual(chunk)
  })

  it("actBatch equals per-item act", async () => {
    const p1 = await Effect.runPromise(model.policy())
    const p2 = await Effect.runPromise(model.policy())
    const q1 = await Effect.runPromise(model.policy())
    const q2 = await Effect.runPromise(model.policy())
    const items = [
      { policy: p1, observation, instruction: instructionFor("open_drawer", "eval") },
      { policy: p2, observation, instruction: instructionFor("lift_red_block_table", "train") }
    ]
    const batch = await Effect.runPromise(model.actBatch(items))
    const single = [
      await Effect.runPromise(q1.act(observation, items[0]!.instruction)),
      await Effect.runPromise(q2.act(observation, items[1]!.instruction))
    ]
    expect(batch).toEqual(single)
  })

  const failure = async (obs: ObservationFrame, instruction: string) => {
    const policy = await Effect.runPromise(model.policy())
    const result = await Effect.runPromise(Effect.result(policy.act(obs, instruction)))
    if (Result.isSuccess(result)) throw new Error("expected a failure")
    return result.failure
  }
  it("fails with typed errors on bad input", async () => {
    expect((await failure(observation, "dance the macarena")).reason).toBe("InvalidInput")
    expect((await failure({ robotObs: [1, 2], sceneObs: observation.sceneObs }, "open_drawer")).reason).toBe("ShapeMismatch")
    const nan = { robotObs: observation.robotObs.map((x, i) => (i === 0 ? Number.NaN : x)), sceneObs: observation.sceneObs }
    expect((await failure(nan, "open_drawer")).reason).toBe("NonFinite")
  })
})
