/**
 * `robovla export` end to end (small tiny-vlm + gpt head): the folder, the verification line, usage errors.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it, vi } from "vitest"
import { command } from "../src/commands/export.ts"

const runCommand = async (args: ReadonlyArray<string>) => {
  const out: Array<string> = []
  const log = vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")))
  const error = vi.spyOn(console, "error").mockImplementation((...a) => void out.push(a.join(" ")))
  try {
    return { code: await command.run(args), out: out.join("\n") }
  } finally {
    log.mockRestore()
    error.mockRestore()
  }
}

const backboneConfig = JSON.stringify({
  seed: 1, imageSize: 16, patchSize: 8, visionWidth: 16, visionLayers: 1, visionHeads: 2, hiddenSize: 32, textLayers: 1, textHeads: 2,
  mlpRatio: 2, maxPositions: 128, bpeMerges: 32,
  trainSetup: { freezeBackbone: false, trainVision: true, trainTextEmbedding: true, trainDecoderLayers: -1, loraEnable: false, loraR: 4, loraAlpha: 8, loraDropout: 0 }
})

describe("robovla export", () => {
  it("exports tiny-vlm + gpt, verifies it, and refuses to overwrite without --force", async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "robovla-cli-export-")), "policy")
    const args = ["--backbone", "tiny-vlm", "--head", "gpt", "--backbone-config", backboneConfig, "--head-config", '{"hidden_size":32,"mlp_widths":[16],"n_layer":1,"n_head":2}', "--vla", '{"window_size":3,"fwd_pred_next_n":2}', "--out", out]
    const first = await runCommand(args)
    expect(first.code, first.out).toBe(0)
    expect(first.out).toMatch(/verified: 6-step rollout, max \|Δaction\| .* ≤ 0\.0001/)
    expect(fs.existsSync(path.join(out, "head.onnx"))).toBe(true)
    expect(JSON.parse(fs.readFileSync(path.join(out, "export.json"), "utf8"))).toMatchObject({ format: "robovla.export/v1", head: { type: "gpt", stepper: "window" } })
    const again = await runCommand(args)
    expect(again.code).toBe(1)
    expect(again.out).toMatch(/exists; pass overwrite \(--force\)/)
  })

  it("usage errors exit 2 and say what is missing", async () => {
    expect((await runCommand(["--head", "mlp"])).out).toMatch(/--out is required/)
    const none = await runCommand(["--out", "/tmp/x"])
    expect(none.code).toBe(2)
    expect(none.out).toMatch(/name a policy/)
    const badJson = await runCommand(["--out", "/tmp/x", "--head", "mlp", "--vla", "{nope"])
    expect(badJson.code).toBe(2)
    expect(badJson.out).toMatch(/--vla is neither JSON/)
    expect((await runCommand(["--out", "/tmp/x", "--head", "mlp", "--tolerance", "-1"])).code).toBe(2)
    const badSteps = await runCommand(["--out", "/tmp/x", "--head", "mlp", "--verify-steps", "2.5"])
    expect(badSteps.code).toBe(2)
    expect(badSteps.out).toMatch(/invalid --verify-steps \/ --tolerance: steps: /)
  })
})
