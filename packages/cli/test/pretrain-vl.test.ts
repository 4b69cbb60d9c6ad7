import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it, vi } from "vitest"
import { command as pretrainVl } from "../src/commands/pretrain-vl.ts"
import { command as train } from "../src/commands/train.ts"

const captured = async (run: () => Promise<number>) => {
  const text: Array<string> = []
  const sink = (chunk: unknown) => {
    text.push(String(chunk))
    return true
  }
  const spies = [
    vi.spyOn(process.stdout, "write").mockImplementation(sink),
    vi.spyOn(process.stderr, "write").mockImplementation(sink),
    vi.spyOn(console, "log").mockImplementation((...a: Array<unknown>) => void sink(a.join(" "))),
    vi.spyOn(console, "error").mockImplementation((...a: Array<unknown>) => void sink(a.join(" ")))
  ]
  try {
    return { code: await run(), text: text.join("") }
  } finally {
    for (const s of spies) s.mockRestore()
  }
}

describe("robovla pretrain-vl flags", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-cli-pretrain-"))
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it("documents itself, and the train command documents --backbone-weights", async () => {
    const help = await captured(() => pretrainVl.run(["--help"]))
    expect(help.code).toBe(0)
    expect(help.text).toContain("--resume")
    expect(help.text).toContain("--backbone-weights")
    const trainHelp = await captured(() => train.run(["--help"]))
    expect(trainHelp.text).toContain("--backbone-weights")
  })

  it("rejects bad flags with exit code 2 and missing pairs with exit code 1", async () => {
    expect((await captured(() => pretrainVl.run(["--out", dir]))).code).toBe(2)
    expect((await captured(() => pretrainVl.run(["--pairs", dir, "--out", dir, "--steps", "-1"]))).code).toBe(2)
    expect((await captured(() => pretrainVl.run(["--pairs", dir, "--out", dir, "--lr", "0"]))).code).toBe(2)
    expect((await captured(() => pretrainVl.run(["--pairs", dir, "--out", dir, "--bogus"]))).code).toBe(2)
    const missing = await captured(() => pretrainVl.run(["--pairs", path.join(dir, "none"), "--out", path.join(dir, "run"), "--quiet"]))
    expect(missing.code).toBe(1)
    expect(missing.text).toContain("MissingFile")
  })
})
