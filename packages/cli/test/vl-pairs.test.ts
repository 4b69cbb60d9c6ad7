import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it, vi } from "vitest"
import { command as collect } from "../src/commands/collect.ts"
import { command as vlPairs } from "../src/commands/vl-pairs.ts"

const quiet = async (run: () => Promise<number>) => {
  const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true)
  const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true)
  const log = vi.spyOn(console, "log").mockImplementation(() => {})
  const error = vi.spyOn(console, "error").mockImplementation(() => {})
  try {
    return await run()
  } finally {
    out.mockRestore()
    err.mockRestore()
    log.mockRestore()
    error.mockRestore()
  }
}

describe("robovla vl-pairs / collect data flags", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-cli-vl-"))
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it("rejects bad flags with exit code 2", async () => {
    expect(await quiet(() => vlPairs.run(["--scenes", "E", "--episodes", "1", "--out", dir]))).toBe(2)
    expect(await quiet(() => vlPairs.run(["--scenes", "A", "--episodes", "1", "--out", dir, "--held-out", "1"]))).toBe(2)
    expect(await quiet(() => vlPairs.run(["--scenes", "A", "--out", dir]))).toBe(2)
    expect(await quiet(() => collect.run(["--scenes", "A", "--episodes", "1", "--out", dir, "--noise", "2"]))).toBe(2)
    expect(await quiet(() => collect.run(["--scenes", "A", "--episodes", "1", "--out", dir, "--annotation-span", "0"]))).toBe(2)
    expect(await quiet(() => vlPairs.run(["--help"]))).toBe(0)
  })

  it("writes a pair set", async () => {
    const out = path.join(dir, "vl")
    expect(await quiet(() => vlPairs.run(["--scenes", "A", "--episodes", "1", "--bogus", "--out", out]))).toBe(2)
    expect(await quiet(() => vlPairs.run(["--scenes", "A", "--episodes", "1", "--stride", "60", "--out", out, "--quiet"]))).toBe(0)
    const lines = fs.readFileSync(path.join(out, "train.jsonl"), "utf8") + fs.readFileSync(path.join(out, "val.jsonl"), "utf8")
    expect(lines.trim().split("\n").length).toBeGreaterThan(4)
    expect(JSON.parse(fs.readFileSync(path.join(out, "vl-pairs.json"), "utf8")).summary.interrupted).toBe(false)
  })
})
