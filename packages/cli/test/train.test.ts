import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it, vi } from "vitest"
import { command } from "../src/commands/train.ts"

// Usage errors only: real training runs live in packages/train/test/trainer (they collect a dataset first).
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-cli-train-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const runCommand = async (args: ReadonlyArray<string>) => {
  const out: Array<string> = []
  const log = vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")))
  const error = vi.spyOn(console, "error").mockImplementation((...a) => void out.push(a.join(" ")))
  try {
    return { code: await command.run(args), output: out.join("\n") }
  } finally {
    log.mockRestore()
    error.mockRestore()
  }
}

describe("robovla train (usage)", () => {
  it("--help prints the options, exit 0", async () => {
    const { code, output } = await runCommand(["--help"])
    expect(code).toBe(0)
    expect(output).toContain("--resume")
    expect(output).toContain("--cache-views")
  })

  it("a config file with an unknown or ill-typed key is refused, naming the key (exit 2)", async () => {
    const file = path.join(dir, "bad.json")
    fs.writeFileSync(file, JSON.stringify({ data: "d", out: "o", learningRate: 1, epochs: 0 }))
    const { code, output } = await runCommand(["--config", file])
    expect(code).toBe(2)
    expect(output).toContain("learningRate: unknown key")
    expect(output).toContain("epochs: Expected a value greater than 0")
  })

  it("missing --data / --out and a missing dataset are named errors", async () => {
    expect((await runCommand(["--epochs", "1"])).code).toBe(2)
    const missing = await runCommand(["--data", path.join(dir, "nope"), "--out", path.join(dir, "run"), "--quiet"])
    expect(missing.code).toBe(1)
    expect(missing.output).toContain("MissingFile")
    expect(missing.output).toContain("nope")
    expect((await runCommand(["--max-steps", "x", "--data", "d", "--out", "o"])).code).toBe(2)
  })

  it("--history one_step sets W 1 over a config file's window (the VLA config then decodes; the missing data is the error)", async () => {
    const file = path.join(dir, "w8.json")
    fs.writeFileSync(file, JSON.stringify({ vla: { window_size: 8, act_head: { history_type: "post" } } }))
    const run = await runCommand(["--config", file, "--history", "one_step", "--head", "mlp", "--data", path.join(dir, "nope"), "--out", path.join(dir, "run"), "--quiet"])
    expect(run.output).not.toContain("needs window_size 1")
    expect(run.output).toContain("MissingFile")
  })
})
