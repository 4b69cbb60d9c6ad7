/**
 * `npm run experts [-- --starts 10] [-- --task open_drawer]`: success of every task's scripted expert on the real
 * PlayTable (scene D) from seeded valid start states, with CALVIN's 360-step budget; prints a markdown table.
 */
import { PlayTable } from "../src/PlayTable.ts"
import { TASK_NAMES, type TaskName } from "../src/tasks/Tasks.ts"
import { runStartCase, sampleStartCases } from "../src/experts/ExpertRollout.ts"

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const starts = Number(arg("starts") ?? 10)
const only = arg("task")
const verbose = process.argv.includes("--verbose")
const tasks: ReadonlyArray<TaskName> = only ? TASK_NAMES.filter((t) => only.split(",").includes(t)) : TASK_NAMES

const main = async (): Promise<void> => {
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
