/**
 * Training throughput of tiny-vlm + LSTM (policy-head, W 8, N 10, batch 8, LSTM 256×2, the `robovla train`
 * defaults) in four modes, one process, same data, so the ratios hold on a noisy machine:
 *
 * - end-to-end: every backbone part, [LRN] and the head train; images decoded and encoded every step;
 * - frozen vision, live: vision tower + projector frozen (train_vision false, train_decoder_layers = all), images still
 *   encoded every step (no cache), to isolate what the cache buys;
 * - frozen vision + cache: the same trained from cached image tokens (no image decoding, no ViT);
 * - head-only + cache: backbone and [LRN] frozen; the head trains from cached [LRN] features (no backbone at all).
 *
 * samples/s counts windows (B per step) over the steady-state steps (after `--warmup`); cache build time is printed
 * separately (paid once per dataset and backbone weights).
 *
 *   npx tsx bench/train.bench.ts [--data data/first] [--steps 12] [--warmup 3]
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"
import { collect } from "../src/collect/Collector.ts"
import { train, type TrainOptions } from "../src/trainer/Trainer.ts"

const { values } = parseArgs({ options: { data: { type: "string" }, steps: { type: "string", default: "12" }, warmup: { type: "string", default: "3" } } })
const repo = path.resolve(import.meta.dirname, "../../..")
const steps = Number(values.steps)
const warmup = Number(values.warmup)
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-train-bench-"))

let data = values.data ?? path.join(repo, "data/first")
if (!fs.existsSync(path.join(data, "training"))) {
  data = path.join(scratch, "data")
  console.log(`no dataset at ${values.data ?? "data/first"}: collecting a small one (scene A, 4 episodes; scene D, 1) into ${data}`)
  await collect({ out: data, scenes: ["A"], episodes: 4, valScene: "D", valEpisodes: 1, tasksPerEpisode: 3, workers: 2, seed: 1, cameras: true })
}
// Rebuild caches inside the scratch folder? They live beside the data; a first run builds them (timed below).

interface Mode {
  readonly name: string
  readonly vla: Record<string, unknown>
  readonly extra: Partial<TrainOptions>
}
const modes: ReadonlyArray<Mode> = [
  { name: "end-to-end", vla: {}, extra: { cache: "off" } },
  { name: "frozen vision, live", vla: { train_setup: { train_vision: false, train_decoder_layers: 2 } }, extra: { cache: "off" } },
  { name: "frozen vision + cache", vla: { train_setup: { train_vision: false, train_decoder_layers: 2 } }, extra: {} },
  { name: "head-only + cache", vla: { train_setup: { freeze_backbone: true, train_vision: false, train_text_embedding: false } }, extra: { trainActionToken: false } }
]

const rows: Array<{ mode: string; params: number; samplesPerSecond: number; stepsPerSecond: number; cache: string; cacheBuild: string }> = []
for (const mode of modes) {
  const times: Array<number> = []
  const builds: Array<string> = []
  const summary = await train({
    data,
    out: path.join(scratch, mode.name.replace(/\W+/g, "-")),
    backbone: "@robovla/backbone-tiny-vlm",
    head: "@robovla/head-lstm",
    vla: { window_size: 8, fwd_pred_next_n: 10, act_head: { type: "lstm", hidden_size: 256, num_layers: 2, history_type: "post" }, learning_rate: 1e-4, warmup_epochs: 0, ...mode.vla },
    batchSize: 8,
    maxSteps: warmup + steps,
    valEvery: warmup + steps,
    valBatches: 1,
    validateAtStart: false,
    from: repo,
    onProgress: () => times.push(performance.now()),
    onMessage: (line) => {
      const built = /feature cache .*: (built|reused) in ([\d.]+) s/.exec(line)
      if (built !== null) builds.push(`${built[1]} ${built[2]} s`)
    },
    ...mode.extra
  })
  const seconds = (times.at(-1)! - times[warmup - 1]!) / 1000
  rows.push({
    mode: mode.name,
    params: summary.trainableParameters,
    samplesPerSecond: (steps * 8) / seconds,
    stepsPerSecond: steps / seconds,
    cache: summary.cache,
    cacheBuild: builds.join(" / ") || "-"
  })
  console.log(`${mode.name}: ${((steps * 8) / seconds).toFixed(1)} samples/s`)
}
const base = rows[0]!.samplesPerSecond
console.log(`\ntiny-vlm (32 px, D 64) + LSTM 256×2, post, W 8, N 10, batch 8; ${steps} timed steps after ${warmup}; data ${data}\n`)
console.log("| mode | trainable parameters | cache | samples/s | steps/s | vs end-to-end | cache build (train / val) |")
console.log("|---|---|---|---|---|---|---|")
for (const r of rows) {
  console.log(`| ${r.mode} | ${r.params.toLocaleString("en")} | ${r.cache} | ${r.samplesPerSecond.toFixed(1)} | ${r.stepsPerSecond.toFixed(2)} | ${(r.samplesPerSecond / base).toFixed(1)}× | ${r.cacheBuild} |`)
}
fs.rmSync(scratch, { recursive: true, force: true })
