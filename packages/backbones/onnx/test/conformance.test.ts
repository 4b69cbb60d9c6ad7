/**
 * The SDK conformance suite on the ONNX backbone, made from the tiny PaliGemma fixture.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, it } from "vitest"
import { conformanceSuite } from "@robovla/sdk/testing"
import { liveSessionCount, plugin } from "../src/index.ts"

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url))
const fixtureDir = path.resolve(repoRoot, "../shared/fixtures/tiny-paligemma-onnx")

if (fs.existsSync(path.join(fixtureDir, "config.json"))) {
  // onnxruntime's CPU kernels are deterministic but not bit-identical across batch layouts; 1e-5 is ample.
  conformanceSuite(plugin, { config: { modelDir: fixtureDir }, tolerance: 1e-5, liveResources: liveSessionCount })
} else {
  console.warn(`[backbone-onnx] SKIPPED conformance: fixture not found at ${fixtureDir}`)
  describe.skip("conformance: backbone plugin onnx", () => {
    it("needs ../shared/fixtures/tiny-paligemma-onnx", () => {})
  })
}
