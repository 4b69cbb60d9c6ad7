/**
 * act() latency of assembled policies on this machine: p50 / p99 per call at batch 1 (`policy.act`) and
 * batch 8 (`model.actBatch` over 8 policies), after a warm-up, with a bounded number of iterations.
 *
 * Policies: CALVIN's policy-head structure (history_type post, W = 8, N = 10, latent 1, static camera only) with
 * RoboVLMs' LSTM head at its CALVIN size (hidden 1024, 4 layers, MLP 1024-512-256), on
 * - tiny-vlm (default config: 32 px, 16 image tokens, D = 64, 2 + 2 layers), tfjs backend as selected;
 * - onnx on the tiny PaliGemma fixture (../shared/fixtures/tiny-paligemma-onnx), onnxruntime-node CPU.
 *
 * A second table repeats it with a small LSTM (hidden 64 × 2 layers, MLP 64-32) to show what the backbone and the
 * assembly cost without RoboVLMs' 1024-wide head.
 *
 * The tfjs backend and kernels are chosen as deployments choose them (`initTfjs` of `@robovla/tfjs`: tensorflow >
 * wasm > cpu, `ROBOVLA_TFJS_BACKEND` forces one).
 *
 * Run: `npm run bench` in this package (ROBOVLA_BENCH_ITERATIONS to change the iteration count).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as tf from "@tensorflow/tfjs-core"
import { AsyncScope, headDimensionsFor, makeVlaPolicyModel, type BackbonePlugin, type ObservationFrame, type VlaAssemblyConfig } from "@robovla/sdk"
import { plugin as lstm } from "@robovla/head-lstm"
import { initTfjs } from "@robovla/tfjs"
import { Effect, Schema } from "effect"
import { defaultConfig as tinyDefault, plugin as tiny } from "@robovla/backbone-tiny-vlm"

const iterations = Number(process.env["ROBOVLA_BENCH_ITERATIONS"] ?? 30)
const warmup = 5
const fixtureDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../shared/fixtures/tiny-paligemma-onnx")
const config: VlaAssemblyConfig = { historyType: "post", windowSize: 8, chunkSize: 10, latent: 1, useGripperCamera: false }

const observation = (seed: number): ObservationFrame => {
  const data = new Uint8Array(200 * 200 * 3)
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + seed * 31) % 256
  return { rgbStatic: { data, height: 200, width: 200 }, robotObs: new Array(15).fill(0), sceneObs: new Array(24).fill(0) }
}

const percentile = (sorted: ReadonlyArray<number>, p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

interface Row {
  readonly policy: string
  readonly batch: number
  readonly p50: number
  readonly p99: number
  readonly perItem: number
}

const smallLstm = Schema.decodeUnknownSync(lstm.configSchema)({ hidden_size: 64, num_layers: 2, mlp_widths: [64, 32] })

const measure = async (name: string, backbonePlugin: BackbonePlugin<unknown>, backboneConfig: unknown, headConfig: typeof lstm.defaultConfig): Promise<Array<Row>> => {
  const scope = AsyncScope.make()
  try {
    const model = await scope.run(
      Effect.gen(function*() {
        const backbone = yield* backbonePlugin.make(backboneConfig)
        const head = yield* lstm.make(headConfig, headDimensionsFor(backbone, config))
        return yield* makeVlaPolicyModel({ backbone, head, config })
      })
    )
    const rows: Array<Row> = []
    for (const batch of [1, 8]) {
      const policies = await Effect.runPromise(Effect.all(Array.from({ length: batch }, () => model.policy())))
      const frames = Array.from({ length: 16 }, (_, i) => observation(i))
      const call = (i: number) =>
        batch === 1
          ? Effect.runPromise(policies[0]!.act(frames[i % frames.length]!, "open the drawer"))
          : Effect.runPromise(model.actBatch(policies.map((policy, b) => ({ policy, observation: frames[(i + b) % frames.length]!, instruction: "open the drawer" }))))
      for (let i = 0; i < warmup; i++) await call(i)
      const times: Array<number> = []
      const n = batch === 1 ? iterations : Math.max(10, Math.round(iterations / 3))
      for (let i = 0; i < n; i++) {
        const t0 = performance.now()
        await call(i)
        times.push(performance.now() - t0)
      }
      times.sort((a, b) => a - b)
      rows.push({ policy: name, batch, p50: percentile(times, 50), p99: percentile(times, 99), perItem: percentile(times, 50) / batch })
    }
    return rows
  } finally {
    await scope.close()
  }
}

const { selection, kernels } = await initTfjs()
const onnx = fs.existsSync(path.join(fixtureDir, "config.json"))
  ? ((await import("@robovla/backbone-onnx")).plugin as BackbonePlugin<unknown>)
  : undefined
if (onnx === undefined) console.warn(`skipping onnx: fixture ${fixtureDir} is absent`)

const fmt = (ms: number) => ms.toFixed(2).padStart(8)
console.log(`act() latency, ${os.cpus().length} cores ${os.arch()}, Node ${process.version}, tfjs backend ${tf.getBackend()} (${selection.reason}${kernels === undefined ? "" : `; ${kernels}`}), ${iterations} iterations (batch 8: ${Math.max(10, Math.round(iterations / 3))}) after ${warmup} warm-up`)
for (const [label, headConfig] of [["RoboVLMs CALVIN size: hidden 1024 × 4 layers", lstm.defaultConfig], ["small: hidden 64 × 2 layers", smallLstm]] as const) {
  const rows: Array<Row> = []
  rows.push(...(await measure("tiny-vlm + lstm", tiny as BackbonePlugin<unknown>, tinyDefault, headConfig)))
  if (onnx !== undefined) rows.push(...(await measure("onnx (tiny PaliGemma) + lstm", onnx, Schema.decodeUnknownSync(onnx.configSchema)({ modelDir: fixtureDir }), headConfig)))
  console.log(`\nstructure: post, W=${config.windowSize}, N=${config.chunkSize}; LSTM head ${label}`)
  console.log(`| policy | batch | p50 ms | p99 ms | p50 ms per item |`)
  console.log(`|---|---|---|---|---|`)
  for (const r of rows) console.log(`| ${r.policy} | ${r.batch} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.perItem)} |`)
}
