/**
 * The benchmark's bounds, measured: the scripted-expert oracle and the random policy over CALVIN's chains in
 * scene D on 2 workers. Prints avg sequence length, the 1..5 rates, wall time and steps/s for each.
 *
 *   npm run bench -w @robovla/bench                 # 1000 chains each (the README figures)
 *   ROBOVLA_BENCH_CHAINS=100 npm run bench -w @robovla/bench
 *
 * Runs go to runs/bench-<policy>/ (resumable: rerun to continue an interrupted measurement).
 */
import * as os from "node:os"
import * as path from "node:path"
import { formatRates } from "../src/Results.ts"
import { runBenchmark } from "../src/Runner.ts"
import { suiteChains } from "../src/Suites.ts"
import type { PolicySpec } from "../src/PolicySpec.ts"

const chains = suiteChains("calvin", { chains: Number(process.env["ROBOVLA_BENCH_CHAINS"] ?? 1000) })
const workers = Number(process.env["ROBOVLA_BENCH_WORKERS"] ?? 2)
const root = path.resolve(process.env["ROBOVLA_BENCH_OUT"] ?? "runs")
const rows: Array<string> = []
for (const [label, policy] of [["oracle", { kind: "oracle" }], ["random", { kind: "random", seed: 0 }]] as const) {
  const outcome = await runBenchmark({
    suite: "calvin",
    scene: "D",
    chains,
    seed: 0,
    policy: policy as PolicySpec,
    outDir: path.join(root, `bench-${label}-${chains.length}`),
    workers,
    resume: true,
    videos: 8,
    maxSteps: 360,
    actionsPerQuery: 1,
    actTimeoutMs: 30_000,
    videoStride: 3,
    videoSize: 160
  })
  rows.push(`| ${label} | ${chains.length} | ${outcome.summary.avg_seq_len.toFixed(3)} | ${formatRates(outcome.summary).split(" | avg")[0]} | ${(outcome.wallMs / 1000).toFixed(0)} s | ${Math.round(outcome.stepsPerSecond)} |${outcome.resumedChains > 0 ? ` (resumed ${outcome.resumedChains})` : ""}`)
}
console.log(`\nCALVIN long-horizon, scene D, ${workers} workers, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), Node ${process.version}\n`)
console.log("| policy | chains | avg len | k-in-a-row | wall | steps/s |")
console.log("|---|---|---|---|---|---|")
for (const row of rows) console.log(row)
