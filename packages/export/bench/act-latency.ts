/**
 * act() latency of exported policies (onnxruntime-node) beside the tfjs policies they were exported from, in one
 * process: p50 / p99 per call at batch 1 (`policy.act`) and batch 8 (`model.actBatch` over 8 policies), after a
 * warm-up, with a bounded number of iterations.
 *
 * Policies: CALVIN's policy-head structure (post, W = 8, N = 10, latent 1, static camera) with RoboVLMs' LSTM head
 * at its CALVIN size (hidden 1024 × 4 layers, MLP 1024-512-256) and a small one (64 × 2, MLP 64-32), on tiny-vlm
 * (default config: 32 px, 16 image tokens, D = 64) and, when the fixture is there, the tiny PaliGemma ONNX
 * backbone (whose "source" policy already runs its backbone on onnxruntime; only the head moves from tfjs).
 * Each export is verified against its source first (6-step rollout, 1e-4).
 *
 * The exported policies run on CPU here, and also on the best provider (`auto`) when that is not CPU.
 *
 * Run: `npm run bench -w @robovla/export` (ROBOVLA_BENCH_ITERATIONS changes the iteration count).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { AsyncScope, loadPolicyModel, type ObservationFrame, type PolicyModel } from "@robovla/sdk"
import { Effect } from "effect"
import { exportPolicyModel, loadExportedPolicy, selectProvider } from "../src/index.ts"

const iterations = Number(process.env["ROBOVLA_BENCH_ITERATIONS"] ?? 30)
const warmup = 5
const fixtureDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../shared/fixtures/tiny-paligemma-onnx")
const vla = { window_size: 8, fwd_pred_next_n: 10, act_head: { type: "lstm", history_type: "post", latent: 1 } }
const heads = [
  { label: "RoboVLMs CALVIN size: hidden 1024 × 4 layers", config: { hidden_size: 1024, num_layers: 4, mlp_widths: [1024, 512, 256] } },
  { label: "small: hidden 64 × 2 layers", config: { hidden_size: 64, num_layers: 2, mlp_widths: [64, 32] } }
]

const observation = (seed: number): ObservationFrame => {
  const data = new Uint8Array(200 * 200 * 3)
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + seed * 31) % 256
  return { rgbStatic: { data, height: 200, width: 200 }, robotObs: new Array(15).fill(0), sceneObs: new Array(24).fill(0) }
}

const percentile = (sorted: ReadonlyArray<number>, p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

interface Row {
  readonly policy: string
  readonly runtime: string
  readonly batch: number
  readonly p50: number
  readonly p99: number
}

const measure = async (policy: string, runtime: string, model: PolicyModel): Promise<Array<Row>> => {
  const rows: Array<Row> = []
  for (const batch of [1, 8]) {
    const policies = await Effect.runPromise(Effect.all(Array.from({ length: batch }, () => model.policy())))
    const frames = Array.from({ length: 16 }, (_, i) => observation(i))
    const call = (i: number) =>
      batch === 1
        ? Effect.runPromise(policies[0]!.act(frames[i % frames.length]!, "open the drawer"))
        : Effect.runPromise(model.actBatch(policies.map((p, b) => ({ policy: p, observation: frames[(i + b) % frames.length]!, instruction: "open the drawer" }))))
    for (let i = 0; i < warmup; i++) await call(i)
    const times: Array<number> = []
    const n = batch === 1 ? iterations : Math.max(10, Math.round(iterations / 3))
    for (let i = 0; i < n; i++) {
      const t0 = performance.now()
      await call(i)
      times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    rows.push({ policy, runtime, batch, p50: percentile(times, 50), p99: percentile(times, 99) })
  }
  return rows
}

const best = await selectProvider("auto")
const out = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-export-bench-"))
const fmt = (ms: number) => ms.toFixed(2).padStart(8)
console.log(`act() latency, ${os.cpus().length} cores ${os.arch()}, Node ${process.version}; onnxruntime-node providers tried: ${best.probes.map((p) => `${p.provider} ${p.ok ? "ok" : "unavailable"}`).join(", ")}; ${iterations} iterations (batch 8: ${Math.max(10, Math.round(iterations / 3))}) after ${warmup} warm-up`)

const backbones = [
  { name: "tiny-vlm", spec: { backbone: "@robovla/backbone-tiny-vlm" } },
  ...(fs.existsSync(path.join(fixtureDir, "config.json")) ? [{ name: "onnx (tiny PaliGemma)", spec: { onnx: fixtureDir } }] : [])
]
for (const head of heads) {
  const rows: Array<Row> = []
  for (const backbone of backbones) {
    const scope = AsyncScope.make()
    try {
      const spec = { ...backbone.spec, head: "@robovla/head-lstm", headConfig: head.config, vla }
      const source = await scope.run(loadPolicyModel(spec))
      const dir = path.join(out, `${backbone.name.split(" ")[0]}-${head.config.hidden_size}`)
      const t0 = performance.now()
      const result = await scope.run(exportPolicyModel(source, {
        backbone: "backbone" in backbone.spec ? backbone.spec.backbone : "@robovla/backbone-onnx",
        head: "@robovla/head-lstm",
        headConfig: head.config,
        ...("onnx" in backbone.spec ? { onnxDir: backbone.spec.onnx } : {})
      }, { outDir: dir, verify: { steps: 6 } }))
      const bytes = result.files.reduce((s, f) => s + f.bytes, 0)
      console.log(`exported ${backbone.name} + lstm (${head.config.hidden_size}×${head.config.num_layers}) in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${(bytes / 1e6).toFixed(1)} MB, verified max |Δaction| ${result.verification!.maxAbsDiff.toExponential(2)}`)
      const sourceRuntime = backbone.name === "tiny-vlm" ? "tfjs" : "onnx backbone + tfjs head"
      rows.push(...(await measure(`${backbone.name} + lstm`, sourceRuntime, source)))
      const cpu = await scope.run(loadExportedPolicy(dir, { executionProvider: "cpu" }))
      rows.push(...(await measure(`${backbone.name} + lstm`, "export, onnxruntime cpu", cpu)))
      if (best.provider !== "cpu") {
        const gpu = await scope.run(loadExportedPolicy(dir, { executionProvider: best.provider }))
        rows.push(...(await measure(`${backbone.name} + lstm`, `export, onnxruntime ${best.provider}`, gpu)))
      }
    } finally {
      await scope.close()
    }
  }
  // The tfjs plugins picked their backend when they were made (initTfjs: tensorflow > wasm > cpu).
  const tf = await import("@tensorflow/tfjs-core").catch(() => undefined)
  console.log(`\nstructure: post, W=${vla.window_size}, N=${vla.fwd_pred_next_n}; LSTM head ${head.label}; tfjs backend ${tf?.getBackend() ?? "?"}`)
  console.log(`| policy | runtime | batch | p50 ms | p99 ms |`)
  console.log(`|---|---|---|---|---|`)
  for (const r of rows) console.log(`| ${r.policy} | ${r.runtime} | ${r.batch} | ${fmt(r.p50)} | ${fmt(r.p99)} |`)
}
fs.rmSync(out, { recursive: true, force: true })
