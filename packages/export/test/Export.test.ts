/**
 * Export each head with tiny-vlm, load the folder on onnxruntime and compare it with the tfjs policy over a
 * rollout (history, resets, a change of instruction), plus the head graphs' raw outputs on random windows.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { loadPolicyModel, type FloatTensor, type VlaPolicyModel } from "@robovla/sdk"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { compareRollouts, decodeModel, exportHead, exportPolicy, exportPolicyModel, loadExportedPolicy, readManifest, registerHeadExporter } from "../src/index.ts"
import { hasPaligemma, type HeadName, paligemmaDir, scopedError, scopedValue, tinySpec, tmpDir } from "./fixtures.ts"

const randomWindow = <Dims extends string>(shape: ReadonlyArray<number>, seed: number): FloatTensor<Dims> => {
  let s = seed
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
    s = (s * 1103515245 + 12345) % 2147483648
    return (s / 2147483648) * 2 - 1
  })
  return { data, shape: [...shape] }
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return m
}

const cases: ReadonlyArray<{ head: HeadName; structure: "one_step" | "pre" | "post" }> = [
  { head: "mlp", structure: "one_step" },
  { head: "lstm", structure: "post" },
  { head: "gpt", structure: "post" },
  { head: "discrete", structure: "pre" }
]

describe("export tiny-vlm + each head to ONNX and agree with tfjs", () => {
  for (const { head, structure } of cases) {
    it(`${head} head (${structure}): whole rollout and raw head outputs within 1e-4`, async () => {
      const spec = tinySpec(head, structure, 3)
      const outDir = path.join(tmpDir(`export-${head}`), "policy")
      const source = await scopedValue(loadPolicyModel(spec))
      const exported = await scopedValue(Effect.gen(function*() {
        const result = yield* exportPolicy(spec, { outDir, verify: false })
        const model = yield* loadExportedPolicy(outDir, { executionProvider: "cpu" })
        return { result, model }
      }))
      const { result, model } = exported.value
      expect(model.metadata.details?.["executionProvider"]).toBe("cpu")
      expect(result.manifest.head.type).toBe(head)

      // The rollout: W + 5 steps, resets at the start and on the instruction change.
      const rollout = await Effect.runPromise(compareRollouts(source.value, model, { steps: 8, seed: 11 }))
      expect(rollout.maxAbsDiff).toBeLessThanOrEqual(1e-4)
      expect(rollout.perStep).toHaveLength(8)
      // Not a vacuous comparison: the source's actions change along the rollout.
      const chunks = await actions(source.value, 4)
      expect(new Set(chunks.map((c) => JSON.stringify(c))).size).toBeGreaterThan(1)

      // Raw head outputs on random windows (batch 2, T = 1…W) and one step stream through the steppers.
      const dims = source.value.head.dimensions
      for (const t of [1, dims.windowSize]) {
        const window = randomWindow<"B W latent D">([2, t, dims.latent, dims.inputSize], 7 + t)
        const a = await Effect.runPromise(source.value.head.predict(window))
        const b = await Effect.runPromise(model.head.predict(window))
        expect(maxDiff(a.arm.data, b.arm.data)).toBeLessThanOrEqual(1e-4)
        expect(maxDiff(a.gripperLogits.data, b.gripperLogits.data)).toBeLessThanOrEqual(1e-4)
        if (head === "discrete") expect(maxDiff(a.binLogits!.data, b.binLogits!.data)).toBeLessThanOrEqual(1e-4)
      }
      const sa = source.value.head.stepper()
      const sb = model.head.stepper()
      for (let i = 0; i < dims.windowSize + 3; i++) {
        const step = randomWindow<"B latent D">([1, dims.latent, dims.inputSize], 100 + i)
        const a = await Effect.runPromise(sa.step(step))
        const b = await Effect.runPromise(sb.step(step))
        expect(maxDiff(a.arm.data, b.arm.data)).toBeLessThanOrEqual(1e-4)
        expect(maxDiff(a.gripperLogits.data, b.gripperLogits.data)).toBeLessThanOrEqual(1e-4)
      }

      // The contract's argument checks come from PolicyHead.make / Backbone.make, the same as the tfjs parts'.
      const reasonOf = (effect: Effect.Effect<unknown, { readonly reason: string }>) => Effect.runPromise(Effect.map(Effect.flip(effect), (e) => e.reason))
      expect(await reasonOf(model.head.predict(randomWindow([1, 1, dims.latent, dims.inputSize + 1], 3)))).toBe("ShapeMismatch")
      const nan = randomWindow<"B W latent D">([1, 1, dims.latent, dims.inputSize], 3)
      nan.data[0] = Number.NaN
      expect(await reasonOf(model.head.predict(nan))).toBe("NonFinite")
      expect(await reasonOf(sb.step(randomWindow([2, dims.latent, dims.inputSize], 4)))).toBe("ShapeMismatch") // batch changed without reset()
      const vocab = model.backbone.tokenizer.vocabSize
      expect(await reasonOf(model.backbone.embedTokens({ data: Int32Array.from([0, vocab]), shape: [1, 2] }))).toBe("InvalidInput")

      // Batched calls (the gateway batches sessions): right-padded rows of different instruction lengths.
      const batchItems = async (m: VlaPolicyModel) => {
        const policies = await Effect.runPromise(Effect.all([m.policy(), m.policy(), m.policy()]))
        const image = (k: number) => ({ data: Uint8Array.from({ length: 24 * 24 * 3 }, (_, j) => (j * k * 13) % 256), height: 24, width: 24 })
        const instructions = ["open the drawer", "push the sliding door to the left side", "lift the pink block from the sliding cabinet"]
        return Effect.runPromise(m.actBatch(policies.map((policy, k) => ({ policy, observation: { rgbStatic: image(k + 1), rgbGripper: image(k + 5), robotObs: [], sceneObs: [] }, instruction: instructions[k]! }))))
      }
      const [ta, tb] = [await batchItems(source.value), await batchItems(model)]
      expect(maxDiff(ta.flat(2), tb.flat(2))).toBeLessThanOrEqual(1e-4)

      // The files are real ONNX protobuf with the declared I/O.
      const headModel = decodeModel(fs.readFileSync(path.join(outDir, "head.onnx")))
      expect(Number(headModel.opsetImport[0]!.version)).toBeGreaterThanOrEqual(14)
      const inputs = headModel.graph!.input!.map((i) => i.name)
      const outputs = headModel.graph!.output!.map((o) => o.name)
      expect(inputs[0]).toBe("lrn")
      if (head === "lstm") {
        expect(inputs).toEqual(["lrn", "h0", "c0"])
        expect(outputs).toEqual(expect.arrayContaining(["h_n", "c_n"]))
      }
      if (head === "discrete") expect(outputs).toContain("bin_logits")
      await exported.close()
      expect(await reasonOf(model.head.predict(randomWindow([1, 1, dims.latent, dims.inputSize], 5)))).toBe("Released")
      await source.close()
    })
  }

  it("the export's own verification records the rollout agreement in export.json", async () => {
    const outDir = path.join(tmpDir("export-verify"), "policy")
    const { value, close } = await scopedValue(exportPolicy(tinySpec("lstm", "pre", 2), { outDir, verify: { steps: 6 } }))
    expect(value.verification?.maxAbsDiff).toBeLessThanOrEqual(1e-4)
    const manifest = await Effect.runPromise(readManifest(outDir))
    expect(manifest.verification?.steps).toBe(6)
    expect(fs.readdirSync(path.dirname(outDir))).toEqual(["policy"]) // no staging folder left behind
    await close()
  })

  it.skipIf(!hasPaligemma)("an ONNX backbone (tiny PaliGemma) + gpt head: the folder is copied and agrees", async () => {
    const spec = {
      onnx: paligemmaDir,
      head: "@robovla/head-gpt",
      headConfig: { hidden_size: 32, mlp_widths: [32], n_layer: 1, n_head: 2, seed: 5 },
      vla: { window_size: 3, fwd_pred_next_n: 2, use_hand_rgb: true, act_head: { type: "gpt", history_type: "post" } }
    }
    const outDir = path.join(tmpDir("export-pali"), "policy")
    const { value, close } = await scopedValue(exportPolicy(spec, { outDir, verify: { steps: 6 } }))
    expect(value.manifest.backbone.kind).toBe("onnx-folder")
    expect(value.verification!.maxAbsDiff).toBeLessThanOrEqual(1e-4)
    expect(fs.existsSync(path.join(outDir, "backbone", "decoder.onnx"))).toBe(true)
    await close()
  })
})

const actions = async (model: VlaPolicyModel, steps: number) => {
  const policy = await Effect.runPromise(model.policy())
  const out = []
  for (let i = 0; i < steps; i++) {
    const image = { data: Uint8Array.from({ length: 32 * 32 * 3 }, (_, k) => (k * (i + 3) * 7) % 256), height: 32, width: 32 }
    out.push(await Effect.runPromise(policy.act({ rgbStatic: image, robotObs: [], sceneObs: [] }, "open the drawer")))
  }
  return out
}

describe("export errors", () => {
  it("refuses to overwrite without overwrite, names the folder; a bad manifest or folder is a named error", async () => {
    const dir = tmpDir("export-errors")
    const outDir = path.join(dir, "taken")
    fs.mkdirSync(outDir)
    const taken = await scopedError(exportPolicy(tinySpec("mlp", "one_step"), { outDir, verify: false }))
    expect(taken).toMatchObject({ _tag: "ExportError", reason: "InvalidInput", subject: outDir })
    expect(taken.message).toMatch(/exists; pass overwrite/)

    const missing = await scopedError(loadExportedPolicy(path.join(dir, "nothing")))
    expect(missing).toMatchObject({ reason: "NotFound" })
    expect(missing.message).toMatch(/no export\.json/)
    fs.writeFileSync(path.join(outDir, "export.json"), JSON.stringify({ format: "robovla.export/v1", name: 3 }))
    const corrupt = await scopedError(loadExportedPolicy(outDir))
    expect(corrupt).toMatchObject({ reason: "CorruptFile", subject: path.join(outDir, "export.json") })
  })

  it("an export beyond the tolerance is a Mismatch and leaves nothing behind", async () => {
    const parent = tmpDir("export-mismatch")
    // float32 graphs never match tfjs bit for bit on this policy (≈1e-7), so 1e-15 must be refused.
    const error = await scopedError(exportPolicy(tinySpec("mlp", "one_step"), { outDir: path.join(parent, "p"), verify: { steps: 4, tolerance: 1e-15 } }))
    expect(error).toMatchObject({ reason: "Mismatch" })
    expect(error.message).toMatch(/disagrees with the source policy/)
    expect(fs.readdirSync(parent)).toEqual([])
  })

  it("a head without an exporter is Unsupported, naming it", async () => {
    const error = await scopedError(Effect.gen(function*() {
      const model = yield* loadPolicyModel(tinySpec("mlp", "one_step"))
      const renamed = { ...model, head: { ...model.head, name: "mystery" } }
      return yield* exportPolicyModel(renamed, { backbone: "x", head: "mystery", headConfig: {} }, { outDir: path.join(tmpDir("export-unsupported"), "p"), verify: false })
    }))
    expect(error).toMatchObject({ reason: "Unsupported", subject: "mystery" })
  })

  it("a registered exporter serves a head the package does not know", async () => {
    // A "renamed" mlp head: the mlp exporter registered under its name.
    registerHeadExporter("renamed-mlp", (weights, dims, config) => exportHead("mlp", weights, dims, config))
    const outDir = path.join(tmpDir("export-registered"), "p")
    const { value, close } = await scopedValue(Effect.gen(function*() {
      const model = yield* loadPolicyModel(tinySpec("mlp", "one_step"))
      const renamed = { ...model, head: { ...model.head, name: "renamed-mlp" } }
      return yield* exportPolicyModel(renamed, { backbone: "@robovla/backbone-tiny-vlm", head: "renamed-mlp", headConfig: {} }, { outDir, verify: { steps: 4 } })
    }))
    expect(value.manifest.head.name).toBe("renamed-mlp")
    expect(value.verification!.maxAbsDiff).toBeLessThanOrEqual(1e-4)
    await close()
  })
})
