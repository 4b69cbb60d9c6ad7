import { Effect, Result } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import {
  DEFAULT_INSTRUCTIONS,
  instructionFor,
  loadInstructionFile,
  normalizeInstruction,
  taskForInstruction
} from "../../src/instructions/Instructions.ts"
import { TASK_NAMES } from "../../src/tasks/Tasks.ts"

describe("instructions", () => {
  it("has the verbatim evaluation strings", () => {
    expect(instructionFor("open_drawer", "eval")).toBe("pull the handle to open the drawer")
    expect(instructionFor("lift_red_block_drawer", "eval")).toBe("Take the red block from the drawer")
    expect(instructionFor("push_into_drawer", "eval")).toBe("slide the block that it falls into the drawer")
  })
  it("has 6-10 training paraphrases per task, none equal to any evaluation string", () => {
    const evals = new Set(TASK_NAMES.map((t) => DEFAULT_INSTRUCTIONS[t].eval))
    for (const task of TASK_NAMES) {
      const train = DEFAULT_INSTRUCTIONS[task].train
      expect(train.length).toBeGreaterThanOrEqual(6)
      expect(train.length).toBeLessThanOrEqual(10)
      for (const text of train) expect(evals.has(text)).toBe(false)
    }
  })
  it("maps every string (and its normalised form) back to its own task", () => {
    for (const task of TASK_NAMES) {
      for (const text of [DEFAULT_INSTRUCTIONS[task].eval, ...DEFAULT_INSTRUCTIONS[task].train]) {
        expect(taskForInstruction(text)).toBe(task)
        expect(taskForInstruction(`  ${text.toUpperCase()}. `)).toBe(task)
      }
    }
  })
  it("normalised strings are unique across tasks", () => {
    const owner = new Map<string, string>()
    for (const task of TASK_NAMES) {
      for (const text of [DEFAULT_INSTRUCTIONS[task].eval, ...DEFAULT_INSTRUCTIONS[task].train]) {
        const key = normalizeInstruction(text)
        expect(owner.get(key) ?? task).toBe(task)
        owner.set(key, task)
      }
    }
  })
  it("accepts task names and rejects unknown text", () => {
    expect(taskForInstruction("close_drawer")).toBe("close_drawer")
    expect(taskForInstruction("turn on led")).toBe("turn_on_led")
    expect(taskForInstruction("make me a sandwich")).toBeUndefined()
  })
  it("picks training paraphrases with the rng", () => {
    const seen = new Set<string>()
    let x = 0
    for (let i = 0; i < 50; i++) seen.add(instructionFor("stack_block", "train", () => (x = (x + 0.137) % 1)))
    expect(seen.size).toBe(DEFAULT_INSTRUCTIONS.stack_block.train.length)
    expect(seen.has(DEFAULT_INSTRUCTIONS.stack_block.eval)).toBe(false)
  })
})

describe("loadInstructionFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "robovla-instr-"))
  it("loads a valid file", async () => {
    const file = join(dir, "ok.json")
    const custom = { ...DEFAULT_INSTRUCTIONS, open_drawer: { eval: "open it", train: ["pull it"] } }
    writeFileSync(file, JSON.stringify(custom))
    const set = await Effect.runPromise(loadInstructionFile(file))
    expect(instructionFor("open_drawer", "eval", undefined, set)).toBe("open it")
    expect(taskForInstruction("pull it", set)).toBe("open_drawer")
  })
  const failure = async (content: string | undefined, name: string) => {
    const file = join(dir, name)
    if (content !== undefined) writeFileSync(file, content)
    const result = await Effect.runPromise(Effect.result(loadInstructionFile(file)))
    if (Result.isSuccess(result)) throw new Error("expected a failure")
    return result.failure
  }
  it("fails clearly on a missing file and bad JSON", async () => {
    expect((await failure(undefined, "absent.json")).reason).toBe("CorruptFile")
    expect((await failure("{oops", "bad.json")).reason).toBe("CorruptFile")
  })
  it("fails clearly on wrong content", async () => {
    const { open_drawer: _, ...partial } = DEFAULT_INSTRUCTIONS
    const missing = await failure(JSON.stringify(partial), "partial.json")
    expect(missing.reason).toBe("InvalidInput")
    expect(missing.message).toContain("open_drawer")
    const unknown = await failure(JSON.stringify({ ...DEFAULT_INSTRUCTIONS, fly: { eval: "fly", train: [] } }), "unknown.json")
    expect(unknown.message).toContain("fly")
    const wrongType = await failure(JSON.stringify({ ...DEFAULT_INSTRUCTIONS, open_drawer: { eval: 3, train: [] } }), "type.json")
    expect(wrongType.reason).toBe("InvalidInput")
  })
})
