/**
 * "What matters", in miniature (issue 13 §4): RoboVLMs' questions (structure, head, history, VL pre-training,
 * data) asked on this project's simulator and data. Each row trains one policy with `robovla train` and runs the
 * same first CALVIN chains of scene D with `robovla bench`; the report collects training wall time, validation
 * loss, avg len and per-task success into `docs/what-matters/index.html` + `results.json`.
 *
 *   npx tsx packages/train/experiments/what-matters.ts                      # every row, then the report
 *   npx tsx packages/train/experiments/what-matters.ts --rows head-mlp,head-gpt --steps 3000
 *   npx tsx packages/train/experiments/what-matters.ts --report-only        # rebuild the page from runs/
 *
 * Every stage resumes (`--resume` on train and bench) and a finished stage is skipped, so a killed run is started
 * again with the same command. Heavy commands run under `nice -n 15` (NICE= to change). Rows whose data or backbone
 * weights are missing are listed as skipped, with the reason, instead of failing the whole experiment.
 *
 * @since 0.1.0
 */
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"
import { svgPanel } from "../src/trainer/Plot.ts"

const repo = path.resolve(import.meta.dirname, "../../..")

/** One experiment: what it changes against the reference row, as `robovla train` flags. */
interface Row {
  readonly id: string
  readonly question: "structure" | "head" | "history" | "VL pre-training" | "data" | "schedule" | "inputs" | "proprioception"
  readonly label: string
  readonly head: "lstm" | "mlp" | "gpt" | "discrete"
  readonly flags: ReadonlyArray<string>
  readonly data: string
  /** Files that must exist for the row to run (data, pre-trained weights). */
  readonly needs?: ReadonlyArray<string>
  /**
   * The run folder of this row's recipe made by `packages/train/scripts/default-policy.sh` (its frozen-vision
   * variant, the reference with BACKBONE=none, and its `--state-token` variant), reused instead of training again;
   * `--adopt id=folder` overrides it.
   */
  readonly adopt?: string
  /** The `robovla train --config` file (default: the default recipe's, packages/train/scripts/default-policy.json). */
  readonly config?: string
  /** What a reader must know to compare this row (printed under its label). */
  readonly note?: string
}

const ABC = "data/default-abc-d"
const ABCD = "data/default-abcd-d"
/** The default recipe's collection with 4× the training episodes (EPISODES=960). */
const ABC_960 = "data/default-abc-d-960"
const PRETRAINED = "models/tiny-vlm-pretrained"
/** The backbone default-policy.sh pre-trains (its pretrain stage), so a row can match the default recipe's. */
const VL_RUN_BACKBONE = "runs/vl-pretrain/backbone"
const DART = "data/dart-abc-d"
/** The committed pre-trained backbone re-targeted to 64 px / patch 16 (resize-backbone.ts --factor 2). */
const PRETRAINED_64 = "runs/tiny-vlm-64"

/**
 * The rows start from the default recipe's config (packages/train/scripts/default-policy.json: policy-head LSTM, W 1,
 * batch 64) and say their window and batch: W 8 rows take batch 8, so every row sees 64 frames per optimiser step.
 */
const W8 = ["--window", "8", "--batch-size", "8"] as const
const W1 = ["--window", "1", "--batch-size", "64"] as const
/** A tenth of the recipe's rate: at 1e-3 the MLP and GPT heads settle on the constant predictor (finding 9). */
const LR_1E4 = ["--lr", "0.0001"] as const
const ROWS: ReadonlyArray<Row> = [
  { id: "reference", question: "structure", label: "policy-head (post), LSTM, W 8, random frozen ViT — the reference", head: "lstm", flags: [...W8], data: ABC, adopt: "runs/reference", note: "BACKBONE=none RUN=runs/reference STEPS=6401 TRAIN_FLAGS=--no-train-vision packages/train/scripts/default-policy.sh" },
  { id: "interleaved", question: "structure", label: "interleaved (pre), GPT, W 8, lr 1e-4 (the rate at which the GPT policy head learns; compare with head-gpt-lr1e-4)", head: "gpt", config: "packages/train/experiments/interleaved-w8.json", flags: ["--head", "gpt", "--history", "pre", ...LR_1E4, ...W8], data: ABC, note: "8 interleaved frame groups are over 256 tokens, tiny-vlm's default positions, so this row's backbone takes maxPositions 768 (it starts from a random init, as the reference). A first run with 256 trained 5,000 steps (2,820 s) on zero position embeddings past 256 and could not act (every chain refused at its 5th step: sequence length 294 > 256); the trainer now refuses such rows" },
  { id: "one-step", question: "structure", label: "one-step, MLP, W 1: the default recipe (pre-trained tiny-vlm, vision fine-tuned, batch 64) with its LSTM policy head swapped for a one-step MLP", head: "mlp", flags: ["--backbone-weights", PRETRAINED, "--train-vision", "--head", "mlp", "--history", "one_step", ...W1], data: ABC, needs: [PRETRAINED], note: "compare with history-1 (the same recipe, policy-head LSTM, its own pretrain stage's backbone: 60.3 % held-out answers vs 61.0 % for models/tiny-vlm-pretrained)" },
  { id: "head-mlp", question: "head", label: "policy-head, MLP, W 8", head: "mlp", flags: ["--head", "mlp", ...W8], data: ABC },
  { id: "head-gpt", question: "head", label: "policy-head, GPT, W 8", head: "gpt", flags: ["--head", "gpt", ...W8], data: ABC },
  { id: "head-lstm-lr1e-4", question: "head", label: "policy-head, LSTM, W 8, lr 1e-4: the reference at a tenth of its rate, so the heads compare at one rate at which all of them learn", head: "lstm", flags: [...LR_1E4, ...W8], data: ABC, note: "the reference trains at 1e-3 for 6,401 steps; this row at 1e-4 for the rows' 5,000" },
  { id: "head-mlp-lr1e-4", question: "head", label: "policy-head, MLP, W 8, lr 1e-4", head: "mlp", flags: ["--head", "mlp", ...LR_1E4, ...W8], data: ABC, note: "compare with head-lstm-lr1e-4 and head-gpt-lr1e-4 (the same rate); head-mlp is this row at 1e-3. Its training shared the cores with a CI run for 21 of its 25 minutes" },
  { id: "head-gpt-lr1e-4", question: "head", label: "policy-head, GPT, W 8, lr 1e-4", head: "gpt", flags: ["--head", "gpt", ...LR_1E4, ...W8], data: ABC, note: "compare with head-lstm-lr1e-4 and head-mlp-lr1e-4 (the same rate); head-gpt is this row at 1e-3" },
  { id: "head-discrete", question: "head", label: "policy-head, discrete (256 bins), W 8", head: "discrete", flags: ["--head", "discrete", ...W8], data: ABC, note: "its validation loss is a cross-entropy over 256 bins per action dimension (ln 256 = 5.55 at chance), not comparable with the continuous rows' Huber + BCE; compare arm MAE of the decoded actions instead (in the row's log.jsonl)" },
  { id: "history-1", question: "history", label: "policy-head, LSTM, W 1 × batch 64, pre-trained tiny-vlm, vision fine-tuned: the 240-episode default", head: "lstm", flags: ["--backbone-weights", VL_RUN_BACKBONE, "--train-vision", ...W1], data: ABC, needs: [VL_RUN_BACKBONE], adopt: "runs/default", note: "the default recipe (packages/train/scripts/default-policy.sh); compare with vl-pretrained-finetuned: the same backbone and frames per step, W 8 × batch 8. Its validation loss is over 2,560 single frames, not 320 windows of 8 (predict-0 floor 0.0822 vs 0.0911), so compare losses against each row's own floor" },
  { id: "vl-pretrained-frozen", question: "VL pre-training", label: "pre-trained tiny-vlm, frozen vision", head: "lstm", flags: ["--backbone-weights", PRETRAINED, ...W8], data: ABC, needs: [PRETRAINED] },
  { id: "vl-recipe-frozen", question: "VL pre-training", label: "pre-trained tiny-vlm (the recipe's pretrain stage), frozen vision, longer", head: "lstm", flags: ["--backbone-weights", VL_RUN_BACKBONE, ...W8], data: ABC, needs: [VL_RUN_BACKBONE], adopt: "runs/vl-frozen-8000", note: "RUN=runs/vl-frozen-8000 STEPS=8000 TRAIN_FLAGS=--no-train-vision packages/train/scripts/default-policy.sh" },
  { id: "vl-pretrained-finetuned", question: "VL pre-training", label: "pre-trained tiny-vlm, vision fine-tuned, W 8 × batch 8 (the previous default)", head: "lstm", flags: ["--backbone-weights", VL_RUN_BACKBONE, "--train-vision", ...W8], data: ABC, needs: [VL_RUN_BACKBONE], note: "the previous default recipe (W 8 × batch 8, 4,513 steps); here run by this script with --max-steps 8000 and stopped at 4,513" },
  { id: "lora", question: "VL pre-training", label: "pre-trained tiny-vlm, LoRA (r 16, α 16) on every linear layer of the backbone, base weights frozen; otherwise the default recipe (W 1 × batch 64, LSTM)", head: "lstm", config: "packages/train/experiments/lora-r16.json", flags: ["--backbone-weights", PRETRAINED, "--train-vision", ...W1], data: ABC, needs: [PRETRAINED], note: "compare with history-1 (every backbone weight trained; its own pretrain stage's backbone) and vl-pretrained-frozen; with lora_enable only the adapters, [LRN] and the head train (PEFT's behaviour), so --train-vision changes nothing here" },
  { id: "abcd", question: "data", label: "ABCD→D (scene D episodes in training)", head: "lstm", flags: [...W8], data: ABCD, needs: [ABCD], note: "its validation split is other scene-D episodes (collected with the ABCD set), so its loss is not comparable with the other rows; its avg len is (same chains)" },
  { id: "episodes-960", question: "data", label: "the default recipe on 4× the training episodes (960), 10,000 steps (its step 7,500 is models/default)", head: "lstm", flags: ["--backbone-weights", PRETRAINED, "--train-vision", ...W1], data: ABC_960, needs: [ABC_960, PRETRAINED], adopt: "runs/default-960", note: "EPISODES=960 DATA=data/default-abc-d-960 RUN=runs/default-960 BACKBONE=models/tiny-vlm-pretrained STEPS=10000 packages/train/scripts/default-policy.sh; the same validation split as history-1. Two changes at once (data and steps); its checkpoints at steps 5,000 and 7,500 on the same 200 chains are in this folder's README" },
  { id: "cosine-960", question: "schedule", label: "the 960-episode recipe with the learning rate decayed to 0 by a cosine over 7,500 steps (instead of constant 1e-3)", head: "lstm", flags: ["--backbone-weights", PRETRAINED, "--train-vision", ...W1], data: ABC_960, needs: [ABC_960, PRETRAINED], adopt: "runs/default-960-cosine", note: "EPISODES=960 DATA=data/default-abc-d-960 RUN=runs/default-960-cosine BACKBONE=models/tiny-vlm-pretrained STEPS=7500 CONFIG=<default-policy.json with \"scheduler\": \"cosine\"> packages/train/scripts/default-policy.sh; compare with episodes-960 (constant rate, whose checkpoints drifted between skills): one change, the schedule" },
  { id: "dart", question: "data", label: "DART: the default recipe on data recorded with noise 0.1 on the executed arm actions", head: "lstm", flags: ["--backbone-weights", PRETRAINED, "--train-vision", ...W1], data: DART, needs: [DART, PRETRAINED], note: "NOISE=0.1 DATA=data/dart-abc-d STAGES=collect packages/train/scripts/default-policy.sh; otherwise the default recipe (W 1 × batch 64, vision fine-tuned, the committed pre-trained backbone as in one-step); compare with history-1. Its validation episodes are recorded with the same noise (clean expert labels on noisy states), so its loss is not comparable. The recorded run's training (2,975 s) shared the cores with a collection and a CI run for about 16 min" },
  { id: "image-64", question: "inputs", label: "the default recipe with 64-px images and patch 16: the same 4 × 4 tokens per camera, each from 4× the pixels; the pre-trained patch embedding spread over 2 × 2 pixels, so training starts from the 32-px model", head: "lstm", config: "packages/train/scripts/default-policy-64px.json", flags: ["--backbone-weights", PRETRAINED_64, "--train-vision", ...W1], data: ABC, needs: [ABC, PRETRAINED_64], note: "npx tsx packages/train/experiments/resize-backbone.ts --from models/tiny-vlm-pretrained --factor 2 --out runs/tiny-vlm-64 makes its backbone; compare with history-1 and one-step (32 px, the same 240 episodes and steps)" },
  { id: "image-64-960", question: "inputs", label: "64-px images (as image-64) on the 960-episode recipe, 7,500 steps", head: "lstm", config: "packages/train/scripts/default-policy-64px.json", flags: ["--backbone-weights", PRETRAINED_64, "--train-vision", ...W1], data: ABC_960, needs: [ABC_960], adopt: "runs/default-960-64px", note: "EPISODES=960 DATA=data/default-abc-d-960 RUN=runs/default-960-64px BACKBONE=models/tiny-vlm-pretrained RESIZE=2 CONFIG=packages/train/scripts/default-policy-64px.json STEPS=7500 packages/train/scripts/default-policy.sh (trained as 5,000 steps, then resumed to 7,500; about 10 min of the second part shared the cores with a bench); compare with episodes-960, whose step 7,500 is models/default: 0.240 on the first 200 chains against this row's 0.215" },
  { id: "state-token", question: "proprioception", label: "policy-head, LSTM, W 8 + robot_obs state token", head: "lstm", flags: ["--state-token", ...W8], data: ABC, adopt: "runs/state-abc" }
]

/** Reference policies on the same chains: the floor (random actions) and the ceiling (the privileged expert). */
const BASELINES: ReadonlyArray<{ readonly id: string; readonly label: string; readonly policy: string }> = [
  { id: "random", label: "random policy (seed 0)", policy: "random:0" },
  { id: "oracle", label: "scripted expert (privileged: reads scene_obs)", policy: "oracle" }
]

const { values } = parseArgs({
  options: {
    rows: { type: "string" },
    steps: { type: "string", default: "3000" },
    chains: { type: "string", default: "100" },
    workers: { type: "string", default: "2" },
    out: { type: "string", default: "runs/what-matters" },
    page: { type: "string", default: "docs/what-matters" },
    adopt: { type: "string", multiple: true },
    "report-only": { type: "boolean", default: false }
  }
})
const steps = Number(values.steps)
const chains = Number(values.chains)
const nice = (process.env["NICE"] ?? "nice -n 15").split(" ").filter((s) => s.length > 0)
// `--adopt id=folder`: an earlier run of a row's exact recipe stands for it (e.g. reference=runs/default).
const adopted = new Map((values.adopt ?? []).map((a) => a.split("=", 2) as [string, string]))
const selected = values.rows === undefined ? ROWS : values.rows.split(",").map((id) => {
  const row = ROWS.find((r) => r.id === id)
  if (row === undefined) throw new Error(`unknown row "${id}"; rows: ${ROWS.map((r) => r.id).join(", ")}`)
  return row
})
const runDir = (row: Row) => path.join(repo, adopted.get(row.id) ?? row.adopt ?? path.join(values.out, row.id))
const benchDir = (row: Row) => path.join(runDir(row), `bench-calvin-${chains}`)

const run = (args: ReadonlyArray<string>, log: string): number => {
  const started = Date.now()
  console.log(`== ${args.join(" ")}`)
  const result = spawnSync(nice[0] ?? "npx", [...nice.slice(1), "npx", "robovla", ...args], { cwd: repo, stdio: "inherit", env: { ...process.env, NODE_OPTIONS: `${process.env["NODE_OPTIONS"] ?? ""} --conditions=@robovla/source` } })
  const seconds = (Date.now() - started) / 1000
  fs.appendFileSync(log, `${args[0]}\t${seconds.toFixed(0)}\t${new Date().toISOString()}\t${result.status}\trobovla ${args.join(" ")}\n`)
  return result.status ?? 1
}

const readJson = (file: string): any => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : undefined)

const missing = (row: Row): string | undefined => {
  for (const need of [row.data, ...(row.needs ?? [])]) if (!fs.existsSync(path.join(repo, need))) return `${need} is missing`
  return undefined
}

/**
 * The first `chains` chains of a bench run in `dir`: its `bench-calvin-<chains>` results, or those chains taken from
 * a longer run's `chains.jsonl` (the suite's chains are fixed, so the first N of a longer run are the same chains).
 */
const benchOf = (dir: string): { avg_seq_len: number; chain_sr: Record<string, number>; task_info: Record<string, { success: number; total: number }> } | undefined => {
  const exact = readJson(path.join(dir, `bench-calvin-${chains}`, "results.json"))
  if (exact !== undefined) return exact
  if (!fs.existsSync(dir)) return undefined
  const longer = fs.readdirSync(dir).map((name) => /^bench-calvin-(\d+)$/.exec(name)).filter((m) => m !== null && Number(m[1]) > chains).map((m) => m![0]).sort()
  for (const name of longer) {
    const file = path.join(dir, name, "chains.jsonl")
    if (!fs.existsSync(file)) continue
    const lines = fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((c) => c.index < chains)
    if (lines.length < chains) continue
    const taskInfo: Record<string, { success: number; total: number }> = {}
    for (const chain of lines) {
      for (const sub of chain.subtasks) {
        const t = (taskInfo[sub.task] ??= { success: 0, total: 0 })
        t.total++
        if (sub.outcome === "success") t.success++
      }
    }
    const chainSr = Object.fromEntries([1, 2, 3, 4, 5].map((k) => [String(k), lines.filter((c) => c.completed >= k).length / lines.length]))
    return { avg_seq_len: lines.reduce((sum, c) => sum + c.completed, 0) / lines.length, chain_sr: chainSr, task_info: taskInfo }
  }
  return undefined
}

const page = path.join(repo, values.page)
/**
 * Run folders are git-ignored and machine-local; the committed results.json is the record. A row (or baseline)
 * whose folder is not on this machine keeps what an earlier run recorded for it, marked as such, so rebuilding
 * the page elsewhere never drops a measured row.
 */
const recorded = (() => {
  const previous = readJson(path.join(page, "results.json"))
  return previous !== undefined && previous.chains === chains ? previous : undefined
})()
if (!values["report-only"]) {
  for (const baseline of BASELINES) {
    const dir = path.join(repo, values.out, baseline.id)
    const out = path.join(dir, `bench-calvin-${chains}`)
    if (readJson(path.join(out, "results.json")) !== undefined) continue
    // Baselines are deterministic (seeded random, the expert): one recorded on the same chains is not run again.
    if (recorded?.baselines?.[baseline.id] !== undefined) continue
    fs.mkdirSync(dir, { recursive: true })
    run(["bench", "--suite", "calvin", "--scene", "D", "--chains", String(chains), "--workers", values.workers, "--policy", baseline.policy, "--out", out, "--quiet", ...(fs.existsSync(out) ? ["--resume"] : [])], path.join(dir, "stage-times.tsv"))
  }
  for (const row of selected) {
    const reason = missing(row)
    if (reason !== undefined) {
      console.log(`-- ${row.id}: skipped (${reason})`)
      continue
    }
    const dir = runDir(row)
    fs.mkdirSync(dir, { recursive: true })
    const log = path.join(dir, "stage-times.tsv")
    if (!fs.existsSync(log)) fs.writeFileSync(log, "stage\tseconds\tfinished (UTC)\texit\tcommand\n")
    const summary = readJson(path.join(dir, "summary.json"))
    if (!adopted.has(row.id) && row.adopt === undefined && (summary === undefined || summary.steps < steps)) {
      const resume = fs.existsSync(path.join(dir, "checkpoints", "latest.json")) ? ["--resume"] : []
      // The rows compare against a frozen vision tower unless they say otherwise (the default recipe trains it).
      const vision = row.flags.includes("--train-vision") ? [] : ["--no-train-vision"]
      const status = run(["train", "--config", row.config ?? "packages/train/scripts/default-policy.json", "--data", row.data, "--out", dir, "--max-steps", String(steps), "--quiet", ...vision, ...row.flags, ...resume], log)
      if (status !== 0) {
        console.log(`-- ${row.id}: training stopped (exit ${status}); run the same command again to resume`)
        continue
      }
    }
    if (benchOf(dir) === undefined) {
      const resume = fs.existsSync(benchDir(row)) ? ["--resume"] : []
      run(["bench", "--suite", "calvin", "--scene", "D", "--chains", String(chains), "--workers", values.workers, "--policy", `vla:@robovla/backbone-tiny-vlm+@robovla/head-${row.head}@${path.relative(repo, path.join(dir, "policy"))}`, "--out", benchDir(row), "--quiet", ...resume], log)
    }
  }
}

// ---- report ----

interface Result {
  readonly row: Row
  readonly status: string
  readonly steps?: number | undefined
  readonly trainSeconds?: number | undefined
  readonly valLoss?: number | undefined
  readonly bestValLoss?: number | undefined
  readonly avgLen?: number | undefined
  readonly chainSr?: Record<string, number> | undefined
  readonly tasks?: Record<string, { success: number; total: number }> | undefined
  readonly curve: Array<readonly [number, number]>
}

const collectResult = (row: Row): Result => {
  const dir = runDir(row)
  const reason = missing(row)
  const summary = readJson(path.join(dir, "summary.json"))
  // A report-only rebuild runs nothing, so a row's missing data is not why it has no result.
  if (summary === undefined) return { row, status: reason !== undefined && !values["report-only"] ? `skipped: ${reason}` : "not run (compute)", curve: [] }
  const lines = fs.readFileSync(path.join(dir, "log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l))
  const vals = lines.filter((l) => l.type === "val")
  const curve = vals.map((v) => [v.step, v.loss] as const)
  const times = fs.existsSync(path.join(dir, "stage-times.tsv")) ? fs.readFileSync(path.join(dir, "stage-times.tsv"), "utf8").trim().split("\n").slice(1).map((l) => l.split("\t")) : []
  const trainSeconds = times.filter((t) => t[0] === "train").reduce((s, t) => s + Number(t[1]), 0)
  const bench = benchOf(runDir(row))
  return {
    row,
    status: bench === undefined ? "trained; chains not run" : "done",
    steps: summary.steps,
    trainSeconds: trainSeconds > 0 ? trainSeconds : undefined,
    valLoss: vals.at(-1)?.loss,
    bestValLoss: vals.length > 0 ? Math.min(...vals.map((v) => v.loss)) : undefined,
    avgLen: bench?.avg_seq_len,
    chainSr: bench?.chain_sr,
    tasks: bench?.task_info,
    curve
  }
}

const recordedRow = (row: Row, fresh: Result): Result => {
  if (fresh.status === "done") return fresh
  const before = recorded?.rows?.find((r: any) => r.row === row.id && r.status.startsWith("done"))
  if (before === undefined) return fresh
  const { row: _id, question: _q, label: _l, valCurve, status, ...numbers } = before
  return { ...numbers, row, status: status.includes("recorded") ? status : `done (recorded ${String(recorded.generated).slice(0, 10)}; its run folder is not on this machine)`, curve: valCurve ?? [] }
}
type Bench = NonNullable<ReturnType<typeof benchOf>>
const baselineBench = (id: string): Bench | undefined => benchOf(path.join(repo, values.out, id)) ?? recorded?.baselines?.[id]

const results = ROWS.map((row) => recordedRow(row, collectResult(row)))
fs.mkdirSync(page, { recursive: true })
fs.writeFileSync(
  path.join(page, "results.json"),
  JSON.stringify(
    {
      chains,
      scene: "D",
      generated: new Date().toISOString(),
      rows: results.map(({ curve, ...r }) => ({ ...r, row: r.row.id, question: r.row.question, label: r.row.label, valCurve: curve })),
      baselines: Object.fromEntries(BASELINES.flatMap((b) => {
        const bench = baselineBench(b.id)
        return bench === undefined ? [] : [[b.id, { avg_seq_len: bench.avg_seq_len, chain_sr: bench.chain_sr, task_info: bench.task_info }]]
      }))
    },
    null,
    2
  ) + "\n"
)

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;")
const fmt = (v: number | undefined, digits: number) => (v === undefined ? "—" : v.toFixed(digits))
const palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22", "#000000"]
const done = results.filter((r) => r.curve.length > 0)
const allTasks = [...new Set(results.flatMap((r) => Object.keys(r.tasks ?? {})))].sort()
const bar = (r: Result) => {
  const width = Math.round(((r.avgLen ?? 0) / 5) * 300)
  return `<svg width="310" height="14"><rect width="${width}" height="14" fill="#1f77b4"/></svg>`
}
const baselineHtml = BASELINES.map((b) => {
  const bench = baselineBench(b.id)
  return `<tr><td>baseline</td><td>${esc(b.label)}</td><td colspan="4"></td><td><b>${bench === undefined ? "—" : fmt(bench.avg_seq_len, 3)}</b></td><td>${bench === undefined ? "—" : [1, 2, 3].map((k) => `${(100 * (bench.chain_sr[String(k)] ?? 0)).toFixed(0)}%`).join(" / ")}</td><td>${bench === undefined ? "" : bar({ avgLen: bench.avg_seq_len } as Result)}</td><td>${bench === undefined ? "not run" : "done"}</td></tr>`
}).join("\n")
const rowsHtml = results.map((r) => `<tr><td>${esc(r.row.question)}</td><td>${esc(r.row.label)}${r.row.note === undefined ? "" : `<br><small>${esc(r.row.note)}</small>`}</td><td>${r.steps ?? "—"}</td><td>${r.trainSeconds === undefined ? "—" : (r.trainSeconds / 60).toFixed(0) + " min"}</td><td>${fmt(r.valLoss, 4)}</td><td>${fmt(r.bestValLoss, 4)}</td><td><b>${fmt(r.avgLen, 3)}</b></td><td>${r.chainSr === undefined ? "—" : [1, 2, 3].map((k) => `${(100 * (r.chainSr![String(k)] ?? 0)).toFixed(0)}%`).join(" / ")}</td><td>${r.avgLen === undefined ? "" : bar(r)}</td><td>${esc(r.status)}</td></tr>`).join("\n")
const taskHtml = allTasks.map((task) => `<tr><td>${task}</td>${results.filter((r) => r.tasks !== undefined).map((r) => {
  const t = r.tasks![task]
  return `<td>${t === undefined ? "" : `${t.success}/${t.total}`}</td>`
}).join("")}</tr>`).join("\n")
const html = `<!doctype html><html><head><meta charset="utf-8"><title>robovla: what matters, in miniature</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f3f3f3}</style></head><body>
<h1>What matters, in miniature</h1>
<p>RoboVLMs' questions on this project's MuJoCo play table: every row trains tiny-vlm (32 px unless the row says otherwise) + a head on scenes A–C
(ABC→D unless the row says otherwise) with <code>robovla train</code> and runs the first ${chains} CALVIN chains of scene D
(the same chains for every row) with <code>robovla bench</code>. Rows not run say why; rows marked "recorded" were
measured earlier on another machine and kept from <code>results.json</code>. Training wall times were taken on 2 cores,
shared with other jobs (load 5–16) for the older recorded rows and idle for vl-recipe-frozen, vl-pretrained-finetuned,
history-1, episodes-960, cosine-960 and one-step, so they compare loosely; steps differ between rows (runs were stopped when the session's compute ran
out), so compare validation curves at equal steps. Every step is 64 frames (W 8 × batch 8, or W 1 × batch 64); the
W 1 row's validation loss is over single frames, whose predict-0 floor is 0.0822 against 0.0911 for the W 8 windows. Regenerate with
<code>npx tsx packages/train/experiments/what-matters.ts --report-only</code>; see <code>results.json</code>.</p>
<table><tr><th>question</th><th>row</th><th>steps</th><th>training wall</th><th>last val loss</th><th>best val loss</th><th>avg len</th><th>1/5 · 2/5 · 3/5</th><th>avg len (of 5)</th><th>status</th></tr>
${rowsHtml}
${baselineHtml}</table>
${done.length > 0 ? svgPanel("validation loss", "loss", done.map((r, i) => ({ name: r.row.id, color: palette[i % palette.length]!, points: r.curve, markers: true })), 900, 320) : ""}
<h2>Per-task success (first-subtask and later attempts, success/attempts)</h2>
<table><tr><th>task</th>${results.filter((r) => r.tasks !== undefined).map((r) => `<th>${esc(r.row.id)}</th>`).join("")}</tr>
${taskHtml}</table>
<p>Machine: ${esc(execFileSync("uname", ["-m"], { encoding: "utf8" }).trim())}, ${os.cpus().length} cores (${esc(os.cpus()[0]?.model ?? "")}). Generated ${new Date().toISOString()}.</p>
</body></html>
`
fs.writeFileSync(path.join(page, "index.html"), html)
console.log(`wrote ${path.relative(repo, path.join(page, "index.html"))}: ${results.filter((r) => r.status.startsWith("done")).length} of ${results.length} rows done`)
