/**
 * The scripted experts on the real MuJoCo PlayTable (scene D): every task's expert succeeds from seeded valid
 * start states within CALVIN's 360-step budget, and the oracle never credits a do-nothing rollout.
 * ROBOVLA_EXPERT_STARTS=10 runs 10 starts per task (default 2, to fit CI); `npm run experts` prints the table.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runIdle, runStartCase, sampleStartCases, startCases } from "../../src/experts/ExpertRollout.ts"
import { PlayTable } from "../../src/PlayTable.ts"
import { TASK_NAMES } from "../../src/tasks/Tasks.ts"

const STARTS = Number(process.env.ROBOVLA_EXPERT_STARTS ?? 2)

describe("scripted experts on the PlayTable (scene D)", () => {
  let table: PlayTable
  beforeAll(async () => {
    table = await PlayTable.load("D")
  })
  afterAll(() => table.dispose())

  it("every task has valid start cases", () => {
    for (const task of TASK_NAMES) expect(startCases(task).length, task).toBeGreaterThan(0)
  })

  for (const task of TASK_NAMES) {
    it(`${task}: expert succeeds from ${STARTS} start(s); idle rollout is rejected`, () => {
      const cases = sampleStartCases(task, STARTS)
      const results = cases.map((start) => runStartCase(table, task, start))
      const failures = results.filter((r) => !r.result?.success)
      const needed = Math.ceil(0.9 * cases.length)
      expect(
        results.length - failures.length,
        `${task} failures: ${JSON.stringify(failures.map((f) => ({ state: f.start.state, setup: f.failedSetup, result: f.result })))}`
      ).toBeGreaterThanOrEqual(needed)
      for (const r of results) if (r.result?.success) expect(r.result.steps).toBeLessThanOrEqual(360)
      // Zero actions for 60 steps from the first start (prefix not run): the oracle must not report success.
      expect(runIdle(table, task, cases[0]!, 60)).toBe(false)
    })
  }
})
