import { ClientError } from "@robovla/client"
import { SdkError, type Action7, type PolicyService } from "@robovla/sdk"
import type { SimInfo } from "@robovla/sim"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import type { ChainSpec } from "../src/Chain.ts"
import type { RolloutWorld } from "../src/Rollout.ts"
import { runChain } from "../src/Rollout.ts"

// The world is the seam this unit test isolates: a 1-D "drawer" that opens by the action's x component.
// The real simulator is exercised in Runner.test.ts.
const fakeWorld = (): RolloutWorld & { drawer: number; resets: number } => {
  const world = {
    drawer: 0,
    resets: 0,
    reset() {
      world.drawer = 0
      world.resets += 1
    },
    step(action: Action7) {
      world.drawer += action[0] / 64
    },
    info(): SimInfo {
      return { robotObs: new Array(15).fill(0), sceneObs: [0, world.drawer, ...new Array(22).fill(0)], robotContacts: [], blocks: {} as SimInfo["blocks"], doors: { slider: 0, drawer: world.drawer, button: 0, switch: 0 }, lights: { led: 0, lightbulb: 0 } }
    },
    observe() {
      return { robotObs: new Array(15).fill(0), sceneObs: new Array(24).fill(0) }
    }
  }
  return world
}

const metadata = { name: "t", windowSize: 1, chunkSize: 1, actionSpace: "relative" as const, inputs: { rgbStatic: false, rgbGripper: false, robotObs: true, sceneObs: true } }
const policyOf = (act: PolicyService["act"]): PolicyService & { resets: number } => {
  const p = { metadata, resets: 0, reset: () => Effect.sync(() => void (p.resets += 1)), act }
  return p
}

const chain: ChainSpec = {
  index: 7,
  initialState: { led: 0, lightbulb: 0, slider: "left", drawer: "closed", red_block: "table", blue_block: "table", pink_block: "slider_left", grasped: 0 },
  tasks: ["open_a", "open_b"]
}
const options = {
  maxSteps: 50,
  actTimeoutMs: 200,
  actionsPerQuery: 1,
  resetState: () => ({ sceneObs: new Array(24).fill(0) }),
  instructionFor: (task: string) => `please ${task}`,
  // each task succeeds once the drawer moved 0.12 since the task started (8 steps of 1/64)
  checkTask: (_task: string, start: SimInfo, now: SimInfo) => now.doors.drawer - start.doors.drawer > 0.12
}

describe("runChain", () => {
  it("runs tasks in one world, resets the policy per subtask, stops at the first success", async () => {
    const world = fakeWorld()
    const policy = policyOf(() => Effect.succeed([[1, 0, 0, 0, 0, 0, 1]]))
    const result = await runChain(world, policy, chain, options)
    expect(result.completed).toBe(2)
    expect(result.subtasks.map((s) => [s.outcome, s.steps])).toEqual([["success", 8], ["success", 8]])
    expect(world.resets).toBe(1)
    expect(policy.resets).toBe(2)
    expect(result.subtasks[0]!.instruction).toBe("please open_a")
  })

  it("records a timeout when the budget runs out, and ends the chain", async () => {
    const result = await runChain(fakeWorld(), policyOf(() => Effect.succeed([[0, 0, 0, 0, 0, 0, 1]])), chain, options)
    expect(result.completed).toBe(0)
    expect(result.subtasks).toEqual([{ task: "open_a", instruction: "please open_a", outcome: "timeout", steps: 50 }])
  })

  it("records malformed actions, policy errors and policy timeouts as outcomes instead of throwing", async () => {
    const malformed = await runChain(fakeWorld(), policyOf(() => Effect.succeed([[1, 2, Number.NaN, 0, 0, 0, 1]] as never)), chain, options)
    expect(malformed.subtasks[0]!.outcome).toBe("malformed_action")
    const wrongShape = await runChain(fakeWorld(), policyOf(() => Effect.succeed([[1, 2]] as never)), chain, options)
    expect(wrongShape.subtasks[0]!.outcome).toBe("malformed_action")
    const failing = await runChain(fakeWorld(), policyOf(() => Effect.fail(new SdkError({ reason: "PluginFailure", message: "boom" }))), chain, options)
    expect(failing.subtasks[0]).toMatchObject({ outcome: "policy_error", error: "boom" })
    const rejected = await runChain(fakeWorld(), policyOf(() => Effect.fail(new SdkError({ reason: "ShapeMismatch", message: "arm has shape [2]" }))), chain, options)
    expect(rejected.subtasks[0]).toMatchObject({ outcome: "malformed_action" })
    const remoteTimeout = await runChain(fakeWorld(), policyOf(() => Effect.fail(new SdkError({ reason: "Timeout", message: "no reply" }))), chain, options)
    expect(remoteTimeout.subtasks[0]).toMatchObject({ outcome: "policy_timeout" })
    // A client error that crosses the contract untranslated is still matched by its class and typed reason.
    const clientTimeout = await runChain(fakeWorld(), policyOf(() => Effect.fail(new ClientError({ reason: "Timeout", message: "late" }) as never)), chain, options)
    expect(clientTimeout.subtasks[0]).toMatchObject({ outcome: "policy_timeout" })
    const hanging = await runChain(fakeWorld(), policyOf(() => Effect.never), chain, { ...options, actTimeoutMs: 20 })
    expect(hanging.subtasks[0]).toMatchObject({ outcome: "policy_timeout", error: "no action within 20 ms" })
  })

  it("executes several actions of a chunk per query when asked", async () => {
    let calls = 0
    const policy = policyOf(() => Effect.sync(() => {
      calls += 1
      return Array.from({ length: 5 }, () => [1, 0, 0, 0, 0, 0, 1] as const)
    }))
    const result = await runChain(fakeWorld(), policy, { ...chain, tasks: ["open_a"] }, { ...options, actionsPerQuery: 5 })
    expect(result.subtasks[0]!.steps).toBe(8)
    expect(calls).toBe(2)
  })

  it("with a temporal ensemble, queries every step and executes the mean of the chunks' predictions for it", async () => {
    const executed: Array<number> = []
    const world = fakeWorld()
    const step = world.step
    world.step = (action: Action7) => {
      executed.push(action[0])
      step(action)
    }
    // Call k (from 0) predicts x = 2 for this step and 0 after it: with K = 2 every step after the first averages
    // this call's 2 with the previous call's 0.
    let calls = 0
    const policy = policyOf(() => Effect.sync(() => {
      calls += 1
      return [[2, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1]] as const
    }))
    const result = await runChain(world, policy, { ...chain, tasks: ["open_a"] }, { ...options, temporalEnsemble: 2 })
    expect(executed.slice(0, 3)).toEqual([2, 1, 1])
    expect(calls).toBe(executed.length)
    // 2 + 1 × 6 = 8 sixty-fourths of drawer after 7 steps: past 0.12 (7.68 sixty-fourths).
    expect(result.subtasks[0]).toMatchObject({ outcome: "success", steps: 7 })
  })
})
