import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it, vi } from "vitest"
import { command as pretrainVl } from "../src/commands/pretrain-vl.ts"
import { command as train } from "../src/commands/train.ts"
import { command as vlPairs } from "../src/commands/vl-pairs.ts"

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

  it("refuses a --backbone-config that is missing, not JSON or not an object, naming the file", async () => {
    const notJson = path.join(dir, "bad.json")
    fs.writeFileSync(notJson, "{hiddenSize: 128")
    const array = path.join(dir, "array.json")
    fs.writeFileSync(array, "[128]")
    for (const file of [path.join(dir, "absent.json"), notJson, array]) {
      const result = await captured(() => pretrainVl.run(["--pairs", dir, "--out", path.join(dir, "run"), "--backbone-config", file, "--quiet"]))
      expect(result.code).toBe(2)
      expect(result.text).toContain(file)
    }
    expect(fs.existsSync(path.join(dir, "run"))).toBe(false)
  })

  it("pre-trains a backbone of the sizes --backbone-config gives, and records them beside the weights", async () => {
    const pairs = path.join(dir, "pairs")
    expect((await captured(() => vlPairs.run(["--scenes", "A", "--episodes", "1", "--stride", "60", "--out", pairs, "--quiet"]))).code).toBe(0)
    const config = path.join(dir, "narrow.json")
    fs.writeFileSync(config, JSON.stringify({ hiddenSize: 32, textHeads: 2 }))
    const out = path.join(dir, "narrow")
    const result = await captured(() =>
      pretrainVl.run(["--pairs", pairs, "--out", out, "--backbone-config", config, "--steps", "2", "--batch-size", "2", "--warmup", "1", "--eval-every", "0", "--final-captions", "0", "--quiet"])
    )
    expect(result.code, result.text).toBe(0)
    const saved = JSON.parse(fs.readFileSync(path.join(out, "backbone", "backbone.json"), "utf8"))
    expect(saved.config.hiddenSize).toBe(32)
    expect(saved.config.textHeads).toBe(2)
    expect(saved.config.visionWidth).toBe(32)
  }, 120_000)
})
