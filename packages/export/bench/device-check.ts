/**
 * The device check behind `scripts/device-check.sh`: which onnxruntime-node execution providers load here, and
 * act() latency of an exported policy on CPU vs each GPU provider that loads (p50 / p99, batch 1 and 8), with
 * the largest action difference between them. Without a GPU provider it says why each failed and measures CPU
 * only; it exits 0 either way (1 only when the export or CPU run itself fails).
 *
 * Usage: `tsx packages/export/bench/device-check.ts [export-folder]` (default: exports tiny-vlm + the CALVIN-size
 * LSTM head, W 8, N 10, to a temporary folder first, verified against tfjs on CPU).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { AsyncScope, loadPolicyModel, type ObservationFrame, type PolicyModel } from "@robovla/sdk"
import { Effect } from "effect"
import { exportPolicyModel, loadExportedPolicy, probeProvider, type ProviderName } from "../src/index.ts"

const iterations = Number(process.env["ROBOVLA_BENCH_ITERATIONS"] ?? 50)
const warmup = 5

const observation = (seed: number): ObservationFrame => {
  const data = new Uint8Array(200 * 200 * 3)
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + seed * 31) % 256
  return { rgbStatic: { data, height: 200, width: 200 }, rgbGripper: { data: data.subarray(0, 84 * 84 * 3), height: 84, width: 84 }, robotObs: new Array(15).fill(0), sceneObs: new Array(24).fill(0) }
}
const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

const latency = async (model: PolicyModel, batch: number) => {
  const policies = await Effect.runPromise(Effect.all(Array.from({ length: batch }, () => model.policy())))
  const frames = Array.from({ length: 16 }, (_, i) => observation(i))
  const call = (i: number) =>
    Effect.runPromise(model.actBatch(policies.map((policy, b) => ({ policy, observation: frames[(i + b) % frames.length]!, instruction: "open the drawer" }))))
  for (let i = 0; i < warmup; i++) await call(i)
  const times: Array<number> = []
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now()
    await call(i)
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  return { p50: percentile(times, 50), p99: percentile(times, 99) }
}

const rollout = async (model: PolicyModel, steps: number) => {
  const policy = await Effect.runPromise(model.policy())
  const out: Array<number> = []
  for (let i = 0; i < steps; i++) for (const action of await Effect.runPromise(policy.act(observation(i), "open the drawer"))) out.push(...action)
  return out
}

const providerLib = path.join(path.dirname(fileURLToPathSafe(import.meta.resolve("onnxruntime-node"))), "..", "bin", "napi-v6", `${os.platform()}`, os.arch())
function fileURLToPathSafe(url: string): string {
  return url.startsWith("file:") ? new URL(url).pathname : url
}

console.log(`== onnxruntime-node execution providers (${os.platform()}/${os.arch()}, Node ${process.version})`)
const loadable: Array<ProviderName> = []
for (const provider of ["cuda", "webgpu", "cpu"] as const) {
  const probe = await probeProvider(provider)
  console.log(`  ${provider.padEnd(7)} ${probe.ok ? "loads" : `does not load: ${probe.reason}`}`)
  if (probe.ok) loadable.push(provider)
}
const cudaLib = fs.readdirSync(providerLib, { withFileTypes: true }).some((e) => e.name === "libonnxruntime_providers_cuda.so")
if (!loadable.includes("cuda")) {
  console.log(cudaLib
    ? "  (cuda: the provider library is installed; the CUDA 12 / cuDNN 9 runtime libraries it needs are probably missing from the library path)"
    : `  (cuda: ${providerLib}/libonnxruntime_providers_cuda.so is absent: onnxruntime-node downloads it at install time from NuGet;\n   run \`node node_modules/onnxruntime-node/script/install.js --onnxruntime-node-install=cuda12\` where that feed is reachable)`)
}
if (!loadable.includes("webgpu")) console.log("  (webgpu: needs a Vulkan loader (Debian: apt-get install -y libvulkan1) and the GPU driver's Vulkan ICD)")
const gpus = loadable.filter((p) => p !== "cpu")
if (gpus.length === 0) console.log("\nNo GPU execution provider loads on this machine: the exported policy runs on CPU only. CPU figures follow.")

const scope = AsyncScope.make()
let code = 0
let temporary: string | undefined
try {
  let dir = process.argv[2]
  if (dir === undefined) {
    temporary = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-device-check-"))
    dir = path.join(temporary, "export")
    const spec = { backbone: "@robovla/backbone-tiny-vlm", head: "@robovla/head-lstm", vla: { window_size: 8, fwd_pred_next_n: 10, act_head: { type: "lstm", history_type: "post" } } }
    const source = await scope.run(loadPolicyModel(spec))
    const result = await scope.run(exportPolicyModel(source, { backbone: spec.backbone, head: spec.head, headConfig: {} }, { outDir: dir, verify: { steps: 10 } }))
    console.log(`\n== export: tiny-vlm + lstm (1024 × 4), W 8, N 10 → ${dir}; verified vs tfjs over 10 steps: max |Δaction| ${result.verification!.maxAbsDiff.toExponential(2)}`)
  } else console.log(`\n== export: ${dir}`)
  const rows: Array<string> = []
  const reference = await scope.run(loadExportedPolicy(dir, { executionProvider: "cpu" }))
  const cpuActions = await rollout(reference, 10)
  for (const provider of ["cpu", ...gpus] as const) {
    const model = provider === "cpu" ? reference : await scope.run(loadExportedPolicy(dir, { executionProvider: provider }))
    let agreement = "reference"
    if (provider !== "cpu") {
      const actions = await rollout(model, 10)
      agreement = `max |Δaction| vs cpu ${actions.reduce((m, v, i) => Math.max(m, Math.abs(v - cpuActions[i]!)), 0).toExponential(2)}`
    }
    for (const batch of [1, 8]) {
      const { p50, p99 } = await latency(model, batch)
      rows.push(`| ${provider} | ${batch} | ${p50.toFixed(2)} | ${p99.toFixed(2)} | ${agreement} |`)
    }
  }
  console.log(`\n== act() latency, ${iterations} calls after ${warmup} warm-up (batch 8 = actBatch over 8 sessions)`)
  console.log("| provider | batch | p50 ms | p99 ms | agreement |\n|---|---|---|---|---|")
  for (const row of rows) console.log(row)
} catch (error) {
  console.error(`device check failed: ${error instanceof Error ? error.message : String(error)}`)
  code = 1
} finally {
  await scope.close()
  if (temporary !== undefined) fs.rmSync(temporary, { recursive: true, force: true })
}
process.exit(code)
