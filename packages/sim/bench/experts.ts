/**
 * `npm run experts [-- --starts 10] [-- --task open_drawer]`: success of every task's scripted expert on the real
 * PlayTable (scene D) from seeded valid start states, with CALVIN's 360-step budget; prints a markdown table.
 * `npm run experts -- --chains 100`: the experts as the policy on the first N reference evaluation chains (no reset
 * between subtasks, as in the benchmark); prints the k-in-a-row rates and the average sequence length.
 */
import { PlayTable } from "../src/PlayTable.ts"
import { TASK_NAMES, type TaskName } from "../src/tasks/Tasks.ts"
import { generateEvalSequences } from "../src/chains/EvalSequences.ts"
import { runStartCase, runSubtask, sampleStartCases } from "../src/experts/ExpertRollout.ts"
import { EVAL_ROBOT_OBS, sceneObsForState } from "../src/symbolic/SceneReset.ts"

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const starts = Number(arg("starts") ?? 10)
const only = arg("task")
const verbose = process.argv.includes("--verbose")
const tasks: ReadonlyArray<TaskName> = only ? TASK_NAMES.filter((t) => only.split(",").includes(t)) : TASK_NAMES

const chains = async (n: number): Promise<void> => {
  const table = await PlayTable.load("D")
  const t0 = performance.now()
  const lengths: Array<number> = []
  const failures = new Map<string, number>()
  for (const chain of generateEvalSequences(1000).slice(0, n)) {
    table.reset({ robotObs: EVAL_ROBOT_OBS, sceneObs: sceneObsForState(chain.state, "D") })
    let done = 0
    for (const task of chain.tasks) {
      if (!runSubtask(table, task).success) {
        failures.set(task, (failures.get(task) ?? 0) + 1)
        break
      }
      done++
    }
    lengths.push(done)
  }
  const rates = [1, 2, 3, 4, 5].map((k) => lengths.filter((l) => l >= k).length / lengths.length)
  const avg = lengths.reduce((a, b) => a + b, 0) / lengths.length
  console.log(`chains ${n}: avg len ${avg.toFixed(2)}; k-in-a-row ${rates.map((r) => r.toFixed(2)).join(" / ")}`)
  console.log(`failed subtasks: ${JSON.stringify(Object.fromEntries([...failures].sort((a, b) => b[1] - a[1])))}`)
  console.log(`${((performance.now() - t0) / 1000).toFixed(0)} s`)
  table.dispose()
}

const main = async (): Promise<void> => {
  const n = arg("chains")
  if (n !== undefined) return chains(Number(n))
  const table = await PlayTable.load("D")
  const rows: Array<string> = []
  let total = 0
  let ok = 0
  const t0 = performance.now()
  for (const task of tasks) {
    const cases = sampleStartCases(task, starts)
    let success = 0
    let setupFail = 0
    const steps: Array<number> = []
    for (const start of cases) {
      const r = runStartCase(table, task, start)
      if (!r.setupOk) setupFail++
      if (r.result?.success) {
        success++
        steps.push(r.result.steps)
      }
      if (verbose) {
        console.log(task, start.prefix.join("+"), JSON.stringify(start.state), r.setupOk ? JSON.stringify(r.result) : `setup failed: ${JSON.stringify(r.failedSetup)}`)
      }
    }
    total += cases.length
    ok += success
    const mean = steps.length ? Math.round(steps.reduce((a, b) => a + b, 0) / steps.length) : 0
    const row = `| ${task} | ${success}/${cases.length} | ${mean} | ${setupFail} |`
    rows.push(row)
    console.log(row)
  }
  console.log(`\n| task | success | mean steps | setup failures |\n|---|---|---|---|\n${rows.join("\n")}`)
  console.log(`\ntotal ${ok}/${total}; ${((performance.now() - t0) / 1000).toFixed(0)} s`)
  table.dispose()
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
