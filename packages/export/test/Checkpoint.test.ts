/**
 * Exporting a trained checkpoint (`robovla.checkpoint/v1`: config.json + model.safetensors, as the trainer
 * writes it): the export carries the checkpoint's weights, not the plugins' seeded ones.
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { CHECKPOINT_FORMAT, loadPolicyModel, Safetensors, tokenizerFingerprint } from "@robovla/sdk"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { compareRollouts, exportPolicy, loadExportedPolicy } from "../src/index.ts"
import { backboneConfig, headConfigs, scopedValue, tmpDir } from "./fixtures.ts"

const vla = { window_size: 3, fwd_pred_next_n: 2, act_head: { type: "gpt", history_type: "post" } }
const spec = { backbone: "@robovla/backbone-tiny-vlm", head: "@robovla/head-gpt", backboneConfig, headConfig: headConfigs.gpt, vla }

describe("export a trained checkpoint folder", () => {
  it("reads config.json + model.safetensors and exports the trained weights", async () => {
    const dir = tmpDir("export-ckpt")
    const checkpoint = path.join(dir, "step-00000010")
    fs.mkdirSync(checkpoint)
    // "Train": perturb the seeded weights of the head, one backbone tensor and the [LRN] vector.
    const seeded = await scopedValue(loadPolicyModel(spec))
    const tensors = new Map<string, { data: Float32Array; shape: ReadonlyArray<number> }>()
    const headWeights = (seeded.value.head as unknown as { weights: () => Record<string, { data: Float32Array; shape: ReadonlyArray<number> }> }).weights()
    for (const [name, w] of Object.entries(headWeights)) tensors.set(`head.${name}`, { data: w.data.map((v, i) => v * 1.5 + 0.01 * Math.sin(i)), shape: w.shape })
    const backboneWeights = new Map((seeded.value.backbone as unknown as { model: { weights: () => Array<[string, { data: Float32Array; shape: ReadonlyArray<number> }]> } }).model.weights())
    for (const [name, w] of backboneWeights) tensors.set(`backbone.${name}`, { data: name === "text.norm.bias" ? w.data.map((v) => v + 0.2) : w.data, shape: w.shape })
    tensors.set("action_token", { data: Float32Array.from({ length: 32 }, (_, i) => Math.cos(i) * 0.3), shape: [32] })
    const bytes = Safetensors.writeSafetensorsSync(tensors)
    fs.writeFileSync(path.join(checkpoint, "model.safetensors"), bytes)
    const probes = ["open the drawer", "lift the red block"]
    const config = {
      format: CHECKPOINT_FORMAT,
      name: "tiny-gpt-trained",
      backbone: { package: "@robovla/backbone-tiny-vlm", name: "tiny-vlm", version: "0.1.0", contractVersion: "robovla.backbone/v1", config: backboneConfig },
      head: { package: "@robovla/head-gpt", name: "gpt", version: "0.1.0", contractVersion: "robovla.head/v1", config: headConfigs.gpt },
      vla,
      structure: { historyType: "post", windowSize: 3, chunkSize: 2, latent: 1, useGripperCamera: false, stateToken: false },
      normalization: { min: -0.65, max: 0.65 },
      tokenizer: { vocabSize: seeded.value.backbone.tokenizer.vocabSize, bosId: 1, eosId: 2, padId: 0, probes, fingerprint: tokenizerFingerprint(seeded.value.backbone.tokenizer, probes) },
      weights: { file: "model.safetensors", bytes: bytes.length, sha256: crypto.createHash("sha256").update(bytes).digest("hex") }
    }
    fs.writeFileSync(path.join(checkpoint, "config.json"), JSON.stringify(config))

    const outDir = path.join(dir, "export")
    const exported = await scopedValue(Effect.gen(function*() {
      const result = yield* exportPolicy({ checkpoint }, { outDir, verify: { steps: 6 } })
      const model = yield* loadExportedPolicy(outDir, { executionProvider: "cpu" })
      const diff = yield* compareRollouts(seeded.value, model, { steps: 5 })
      return { result, diff }
    }))
    // Verified against the trained policy…
    expect(exported.value.result.verification!.maxAbsDiff).toBeLessThanOrEqual(1e-4)
    expect(exported.value.result.manifest.source.checkpoint).toBe(checkpoint)
    expect(exported.value.result.manifest.name).toBe("tiny-gpt-trained")
    // …and not the seeded one.
    expect(exported.value.diff.maxAbsDiff).toBeGreaterThan(1e-3)
    await exported.close()
    await seeded.close()
  })
})
