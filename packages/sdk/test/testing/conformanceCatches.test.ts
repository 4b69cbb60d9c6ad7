import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const sdkRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const vitestBin = fileURLToPath(import.meta.resolve("vitest/package.json")).replace(/package\.json$/, "vitest.mjs")

/** Runs the broken-plugin fixtures in a child vitest and returns failed test titles per plugin. */
const runBrokenSuites = (): Map<string, Array<string>> => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "robovla-conformance-")), "report.json")
  const child = spawnSync(
    process.execPath,
    [vitestBin, "run", "--config", "test/testing/fixtures/vitest.config.ts", "--reporter=json", `--outputFile=${out}`],
    { cwd: sdkRoot, encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0" }, timeout: 120_000 }
  )
  expect(child.status, `child vitest should fail (stderr: ${child.stderr.slice(-2000)})`).toBe(1)
  const report = JSON.parse(fs.readFileSync(out, "utf8")) as {
    testResults: Array<{ assertionResults: Array<{ ancestorTitles: Array<string>; title: string; status: string }> }>
  }
  const failed = new Map<string, Array<string>>()
  for (const file of report.testResults) {
    for (const test of file.assertionResults) {
      const plugin = /"([^"]+)"/.exec(test.ancestorTitles[0] ?? "")?.[1] ?? "?"
      if (!failed.has(plugin)) failed.set(plugin, [])
      if (test.status === "failed") failed.get(plugin)!.push(test.title)
    }
  }
  return failed
}

describe("the conformance suite catches broken plugins", () => {
  it("fails exactly the check each broken plugin violates", () => {
    const failed = runBrokenSuites()
    expect(Object.fromEntries(failed)).toEqual({
      "out-of-range": ["predict gives arm (B, W, N, 6) in [-1, 1] and gripper logits (B, W, N, 1)"],
      "no-reset": ["stepper steps give (B, N, 6) / (B, N, 1); reset() restores a fresh history"],
      throws: ["wrong shapes fail with ShapeMismatch; NaN fails with NonFinite or gives finite output"],
      leaky: ["releases its resources when the Scope closes; later calls fail cleanly"],
      nondeterministic: ["two makes with the same config give identical outputs"],
      "ignores-mask": ["forward respects the attention mask (left padding)"]
    })
  }, 180_000)
})
