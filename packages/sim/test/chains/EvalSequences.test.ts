import { existsSync, readFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { generateEvalSequences } from "../../src/chains/EvalSequences.ts"
import { INITIAL_STATES, isValidChain, type SymbolicState } from "../../src/symbolic/SymbolicState.ts"
import { categoryOf, isTaskName, type TaskName } from "../../src/tasks/Tasks.ts"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..")
const file = path.resolve(repoRoot, "../shared/conformance/calvin-eval-sequences.json")
const present = existsSync(file)
if (!present) console.warn(`skipping CALVIN chain conformance: ${file} is absent`)

describe.skipIf(!present)("CALVIN evaluation chains", () => {
  const reference = present
    ? (JSON.parse(readFileSync(file, "utf8")) as Array<[SymbolicState, Array<string>]>)
    : []

  it("the reference file holds 1000 chains of 5 known tasks", () => {
    expect(reference).toHaveLength(1000)
    for (const [, tasks] of reference) {
      expect(tasks).toHaveLength(5)
      for (const t of tasks) expect(isTaskName(t)).toBe(true)
    }
  })

  it("every reference chain is valid under the symbolic model", () => {
    for (const [state, tasks] of reference) {
      expect(isValidChain(state, tasks as Array<TaskName>)).toBe(true)
      expect(new Set(tasks.map((t) => categoryOf(t as TaskName))).size).toBe(5)
    }
  })

  it("every reference initial state is one of the 192", () => {
    const keys = new Set(INITIAL_STATES.map((s) => JSON.stringify(s)))
    for (const [state] of reference) expect(keys.has(JSON.stringify(state))).toBe(true)
  })

  it("generateEvalSequences(1000) reproduces the file exactly", () => {
    const generated = generateEvalSequences(1000).map((c) => [c.state, c.tasks])
    expect(generated[0]).toEqual(reference[0])
    expect(generated).toEqual(reference)
  })
})

describe("symbolic initial states", () => {
  it("has 192 states", () => {
    expect(INITIAL_STATES).toHaveLength(192)
  })
})
