/**
 * Policies with a robot_obs state token (`robovla train --state-token`): a trained-style checkpoint
 * (`state.*` tensors, `structure.stateToken`) exports with `state_token.onnx` and a v2 manifest, and the export
 * serves it like the SDK policy does: asks for robotObs, agrees over rollouts (post and interleaved history, both
 * gripper rows, batches), and fails with the same typed errors on a missing, short or NaN robotObs.
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Assembly, CHECKPOINT_FORMAT, loadPolicyModel, makeVlaPolicyModel, mulberry32, Safetensors, tokenizerFingerprint, type ObservationFrame, type SdkError, type VlaPolicyModel } from "@robovla/sdk"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { compareRollouts, decodeModel, exportPolicy, loadExportedPolicy, MANIFEST_FORMAT_V2, readManifest } from "../src/index.ts"
import { backboneConfig, headConfigs, scopedError, scopedValue, tmpDir, type HeadName } from "./fixtures.ts"

const D = backboneConfig.hiddenSize

type Tensors = Map<string, { data: Float32Array; shape: ReadonlyArray<number> }>

/** A state-token checkpoint as the trainer writes it, from the seeded plugins plus random `state.*` tensors. */
const writeStateCheckpoint = async (dir: string, head: HeadName, historyType: "pre" | "post", useGripperCamera: boolean) => {
  const vla = { window_size: 3, fwd_pred_next_n: 2, use_hand_rgb: useGripperCamera, act_head: { type: head, history_type: historyType } }
  const spec = { backbone: "@robovla/backbone-tiny-vlm", head: `@robovla/head-${head}`, backboneConfig, headConfig: headConfigs[head], vla }
  const seeded = await scopedValue(loadPolicyModel(spec))
  const tensors: Tensors = new Map()
  const headWeights = (seeded.value.head as unknown as { weights: () => Record<string, { data: Float32Array; shape: ReadonlyArray<number> }> }).weights()
  for (const [name, w] of Object.entries(headWeights)) tensors.set(`head.${name}`, w)
  const backboneWeights = (seeded.value.backbone as unknown as { model: { weights: () => Array<[string, { data: Float32Array; shape: ReadonlyArray<number> }]> } }).model.weights()
  for (const [name, w] of backboneWeights) tensors.set(`backbone.${name}`, w)
  tensors.set("action_token", { data: Float32Array.from({ length: D }, (_, i) => Math.cos(i) * 0.3), shape: [D] })
  const random = mulberry32(5)
  const state = (shape: ReadonlyArray<number>, scale: number) => ({ data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (random() - 0.5) * scale), shape })
  tensors.set("state.arm.weight", state([6, D], 2))
  tensors.set("state.arm.bias", state([D], 0.5))
  tensors.set("state.gripper.weight", state([2, D], 3))
  tensors.set("state.fuse.weight", state([2 * D, D], 1))
  tensors.set("state.fuse.bias", state([D], 0.5))
  const bytes = Safetensors.writeSafetensorsSync(tensors)
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, "model.safetensors"), bytes)
  const probes = ["open the drawer", "lift the red block"]
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({
    format: CHECKPOINT_FORMAT,
    name: `tiny-${head}-state`,
    backbone: { package: "@robovla/backbone-tiny-vlm", name: "tiny-vlm", version: "0.1.0", contractVersion: "robovla.backbone/v1", config: backboneConfig },
    head: { package: `@robovla/head-${head}`, name: head, version: "0.1.0", contractVersion: "robovla.head/v1", config: headConfigs[head] },
    vla,
    structure: { historyType, windowSize: 3, chunkSize: 2, latent: 1, useGripperCamera, stateToken: true },
    normalization: { min: -0.65, max: 0.65 },
    tokenizer: { vocabSize: seeded.value.backbone.tokenizer.vocabSize, bosId: 1, eosId: 2, padId: 0, probes, fingerprint: tokenizerFingerprint(seeded.value.backbone.tokenizer, probes) },
    weights: { file: "model.safetensors", bytes: bytes.length, sha256: crypto.createHash("sha256").update(bytes).digest("hex") }
  }))
  await seeded.close()
  return tensors
}

const image = (size: number, k: number) => ({ data: Uint8Array.from({ length: size * size * 3 }, (_, j) => (j * k * 13 + k) % 256), height: size, width: size })
const robotObs = (k: number, gripper: number) => [0.1 * k, -0.05 * k, 0.5, 3.0 - 0.2 * k, 0.1, 1.5 + 0.1 * k, 0.07, 0, 0, 0, 0, 0, 0, 0, gripper]
const frame = (k: number, obs: ReadonlyArray<number>): ObservationFrame => ({ rgbStatic: image(24, k), rgbGripper: image(16, k + 3), robotObs: obs, sceneObs: new Array(24).fill(0) })

const maxDiff = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => {
  expect(a.length).toBe(b.length)
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0)
}

/** Three sessions in one actBatch, two steps (history), robotObs differing per item and step. */
const batchRollout = (model: VlaPolicyModel) =>
  Effect.gen(function*() {
    const policies = yield* Effect.all([model.policy(), model.policy(), model.policy()])
    const instructions = ["open the drawer", "push the sliding door to the left side", "lift the pink block from the sliding cabinet"]
    const out: Array<number> = []
    for (const step of [0, 1]) {
      const chunks = yield* model.actBatch(policies.map((policy, k) => ({ policy, observation: frame(k + step, robotObs(k + step, (k + step) % 2 === 0 ? 1 : -1)), instruction: instructions[k]! })))
      out.push(...chunks.flat(2))
    }
    return out
  })

const cases: ReadonlyArray<{ head: HeadName; historyType: "pre" | "post"; useGripperCamera: boolean }> = [
  { head: "lstm", historyType: "post", useGripperCamera: false },
  { head: "gpt", historyType: "pre", useGripperCamera: true }
]

describe("export a policy with a robot_obs state token", () => {
  for (const { head, historyType, useGripperCamera } of cases) {
    it(`${head} head (${historyType}${useGripperCamera ? ", both cameras" : ""}): state_token.onnx, v2 manifest, same actions as the SDK policy`, async () => {
      const dir = tmpDir(`export-state-${head}`)
      const checkpoint = path.join(dir, "step-00000010")
      const tensors = await writeStateCheckpoint(checkpoint, head, historyType, useGripperCamera)
      const outDir = path.join(dir, "export")
      const source = await scopedValue(loadPolicyModel({ checkpoint }))
      const exported = await scopedValue(Effect.gen(function*() {
        const result = yield* exportPolicy({ checkpoint }, { outDir, verify: { steps: 6 } })
        const model = yield* loadExportedPolicy(outDir, { executionProvider: "cpu" })
        return { result, model }
      }))
      const { result, model } = exported.value

      // The export's own verification ran with robotObs (both gripper rows) and is recorded.
      expect(result.verification!.maxAbsDiff).toBeLessThanOrEqual(1e-5)
      expect(result.files.map((f) => f.file)).toContain("state_token.onnx")
      const manifest = await Effect.runPromise(readManifest(outDir))
      expect(manifest.format).toBe(MANIFEST_FORMAT_V2)
      expect(manifest.stateToken).toEqual({ file: "state_token.onnx", robotObsSize: 15, hiddenSize: D })

      // It asks for robotObs, as the SDK policy does.
      expect(model.metadata.inputs).toEqual(source.value.metadata.inputs)
      expect(model.metadata.inputs.robotObs).toBe(true)
      expect(model.metadata.details?.["stateToken"]).toBe(true)

      // Rollouts: the same actions (seeded robotObs, resets, an instruction change)…
      const rollout = await Effect.runPromise(compareRollouts(source.value, model, { steps: 8, seed: 3 }))
      expect(rollout.maxAbsDiff).toBeLessThanOrEqual(1e-5)
      // …and batches of sessions with history.
      const [ba, bb] = [await Effect.runPromise(batchRollout(source.value)), await Effect.runPromise(batchRollout(model))]
      expect(maxDiff(ba, bb)).toBeLessThanOrEqual(1e-5)

      // Not vacuous: the export's actions follow the token (gripper row, arm pose) far beyond the disagreement, and
      // an SDK policy whose token differs (gripper rows swapped, arm negated) disagrees with the export far more.
      const actOnce = (obs: ReadonlyArray<number>) => Effect.runPromise(Effect.flatMap(model.policy(), (p) => p.act(frame(1, obs), "open the drawer")))
      const open = (await actOnce(robotObs(1, 1))).flat()
      const byGripper = maxDiff(open, (await actOnce(robotObs(1, -1))).flat())
      const byPose = maxDiff(open, (await actOnce(robotObs(4, 1))).flat())
      const stateWeights = Object.fromEntries([...tensors].filter(([k]) => k.startsWith("state.")).map(([k, v]) => [k.slice("state.".length), v]))
      const gripperRows = stateWeights["gripper.weight"]!.data
      const altered = Assembly.makeStateTokenEncoder({
        ...stateWeights,
        "arm.weight": { data: stateWeights["arm.weight"]!.data.map((v) => -v), shape: [6, D] },
        "gripper.weight": { data: Float32Array.from([...gripperRows.subarray(D), ...gripperRows.subarray(0, D)]), shape: [2, D] }
      }, D)
      const control = await scopedValue(makeVlaPolicyModel({ backbone: source.value.backbone, head: source.value.head, config: source.value.config, actionToken: source.value.actionToken, stateToken: altered }))
      const controlDiff = (await Effect.runPromise(compareRollouts(control.value, model, { steps: 8, seed: 3 }))).maxAbsDiff
      const floor = 100 * Math.max(rollout.maxAbsDiff, 1e-8)
      expect(byGripper).toBeGreaterThan(floor)
      expect(byPose).toBeGreaterThan(floor)
      expect(controlDiff).toBeGreaterThan(Math.max(floor, 1e-5))
      await control.close()

      // The graph alone equals the SDK's host encoder (float32 vs float64 sums).
      const host = Assembly.makeStateTokenEncoder(stateWeights, D)
      const observations = [robotObs(0, 1), robotObs(2, -1), robotObs(5, 0.5), robotObs(-3, -0.2)]
      const graphTokens = await Effect.runPromise(model.stateToken!.encodeBatch(observations))
      observations.forEach((obs, i) => expect(maxDiff(Array.from(graphTokens[i]!), Array.from(host.encode(obs)))).toBeLessThanOrEqual(1e-5))
      const stateGraph = decodeModel(fs.readFileSync(path.join(outDir, "state_token.onnx")))
      expect(stateGraph.graph!.input!.map((i) => i.name)).toEqual(["robot_obs"])
      expect(stateGraph.graph!.output!.map((o) => o.name)).toEqual(["state_token"])

      // Wrong robotObs: the SDK's typed errors, from both runtimes alike.
      const failure = (m: VlaPolicyModel, obs: ReadonlyArray<number> | undefined) =>
        Effect.runPromise(Effect.flip(Effect.flatMap(m.policy(), (p) => p.act({ rgbStatic: image(24, 1), rgbGripper: image(16, 2), ...(obs === undefined ? {} : { robotObs: obs }) } as ObservationFrame, "open the drawer"))))
      const reasons = async (m: VlaPolicyModel) => {
        const errors: Array<SdkError> = [await failure(m, undefined), await failure(m, robotObs(1, 1).slice(0, 14)), await failure(m, robotObs(1, 1).map((v, i) => (i === 3 ? Number.NaN : v)))]
        return errors.map((e) => ({ tag: e._tag, reason: e.reason, subject: e.subject }))
      }
      const expected = [
        { tag: "SdkError", reason: "InvalidInput", subject: "observation.robotObs" },
        { tag: "SdkError", reason: "ShapeMismatch", subject: "observation.robotObs" },
        { tag: "SdkError", reason: "NonFinite", subject: "observation.robotObs" }
      ]
      expect(await reasons(model)).toEqual(expected)
      expect(await reasons(source.value)).toEqual(expected)
      const direct = await Effect.runPromise(Effect.flip(model.stateToken!.encodeBatch([[1, 2, 3]])))
      expect(direct.reason).toBe("ShapeMismatch")

      await exported.close()
      await source.close()
    }, 120_000)
  }

  it("manifests: a v1 manifest with a state token is refused (a v1 reader would drop it), another robot_obs size is Unsupported, a missing state graph NotFound", async () => {
    const dir = tmpDir("export-state-manifest")
    const checkpoint = path.join(dir, "ckpt")
    await writeStateCheckpoint(checkpoint, "lstm", "post", false)
    const outDir = path.join(dir, "export")
    const { close } = await scopedValue(exportPolicy({ checkpoint }, { outDir, verify: false }))
    await close()
    const file = path.join(outDir, "export.json")
    const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>
    fs.writeFileSync(file, JSON.stringify({ ...manifest, format: "robovla.export/v1" }))
    const downgraded = await scopedError(loadExportedPolicy(outDir, { executionProvider: "cpu" }))
    expect(downgraded).toMatchObject({ reason: "CorruptFile" })
    expect(downgraded.message).toMatch(/stateToken/)
    fs.writeFileSync(file, JSON.stringify({ ...manifest, stateToken: { ...(manifest["stateToken"] as object), robotObsSize: 16 } }))
    expect(await scopedError(loadExportedPolicy(outDir, { executionProvider: "cpu" }))).toMatchObject({ reason: "Unsupported", subject: "stateToken.robotObsSize" })
    fs.writeFileSync(file, JSON.stringify(manifest))
    fs.rmSync(path.join(outDir, "state_token.onnx"))
    expect(await scopedError(loadExportedPolicy(outDir, { executionProvider: "cpu" }))).toMatchObject({ reason: "NotFound" })
  }, 120_000)
})
