/**
 * The benchmark runner: chains run in parallel worker threads (one simulator each), results are appended to
 * the run's `chains.jsonl` as each chain ends, a killed run resumes with `resume: true` and skips finished
 * chains, and a worker that dies has its chain retried once on a fresh worker, then recorded as failed.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { makeWorkerPool, SdkError } from "@robovla/sdk"
import { BenchError } from "./BenchError.ts"
import type { ChainResult, ChainSpec } from "./Chain.ts"
import type { ChainOutcome, ChainTask, VideoFrame, WorkerSetup } from "./ChainTask.ts"
import { describePolicy } from "./PolicySpec.ts"
import { writeReports } from "./Report.ts"
import { ResultStore } from "./ResultStore.ts"
import type { BenchSummary } from "./Results.ts"
import { summarize } from "./Results.ts"
import { checkActingOptions } from "./TemporalEnsemble.ts"
import { encodeVideo } from "./Video.ts"

/** @since 0.1.0 @category models */
/** @since 0.1.0 @category models */
export interface RunOptions extends WorkerSetup {
  readonly suite: string
  readonly chains: ReadonlyArray<ChainSpec>
  readonly seed: number
  readonly outDir: string
  readonly workers: number
  readonly resume: boolean
  /** Record rollout videos of the first K chains. */
  readonly videos: number
  readonly onProgress?: ((progress: Progress) => void) | undefined
}

/** @since 0.1.0 @category models */
export interface Progress {
  readonly done: number
  readonly total: number
  readonly summary: BenchSummary
  readonly elapsedMs: number
  readonly last?: ChainResult | undefined
  /** Queue workers alive (distributed runs only). */
  readonly workers?: number | undefined
}

/** @since 0.1.0 @category models */
export interface RunOutcome {
  readonly summary: BenchSummary
  readonly results: ReadonlyArray<ChainResult>
  readonly wallMs: number
  readonly stepsPerSecond: number
  readonly resumedChains: number
  readonly files: { readonly results: string; readonly chains: string; readonly report: string; readonly markdown: string }
}

const WORKER_ENTRY = new URL("./ChainWorker.ts", import.meta.url)

/**
 * Runs (or resumes) a benchmark and writes `results.json`, `report.html` and `summary.md` into `outDir`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const runBenchmark = async (options: RunOptions): Promise<RunOutcome> => {
  if (options.workers < 1) throw new BenchError({ reason: "InvalidOptions", message: `--workers must be ≥ 1, got ${options.workers}` })
  checkActingOptions(options)
  const store = ResultStore.open(options.outDir, {
    suite: options.suite,
    scene: options.scene,
    seed: options.seed,
    chains: options.chains.map((c) => c.index),
    policy: describePolicy(options.policy),
    max_steps: options.maxSteps,
    actions_per_query: options.actionsPerQuery,
    temporal_ensemble: options.temporalEnsemble ?? 1
  }, { resume: options.resume })
  const wanted = new Set(options.chains.map((c) => c.index))
  const results = new Map<number, ChainResult>()
  for (const r of store.existing) if (wanted.has(r.index)) results.set(r.index, r)
  const resumedChains = results.size
  const pending = options.chains.filter((c) => !results.has(c.index))
  const videoDir = path.join(options.outDir, "videos")
  const recordSet = new Set(options.chains.slice(0, options.videos).map((c) => c.index))
  const started = performance.now()
  const retried = new Set<number>()
  const setup: WorkerSetup = {
    scene: options.scene,
    policy: options.policy,
    maxSteps: options.maxSteps,
    actTimeoutMs: options.actTimeoutMs,
    actionsPerQuery: options.actionsPerQuery,
    temporalEnsemble: options.temporalEnsemble,
    videoStride: options.videoStride,
    videoSize: options.videoSize,
    instructions: options.instructions
  }

  const report = (last?: ChainResult) =>
    options.onProgress?.({ done: results.size, total: options.chains.length, summary: summarize([...results.values()]), elapsedMs: performance.now() - started, last })

  const record = (result: ChainResult, frames: ReadonlyArray<VideoFrame>) => {
    store.append(result)
    results.set(result.index, result)
    if (frames.length > 0) {
      // A video is a nicety: failing to write one must not stop the run.
      try {
        fs.mkdirSync(videoDir, { recursive: true })
        fs.writeFileSync(path.join(videoDir, `chain-${String(result.index).padStart(4, "0")}.gif`), encodeVideo(frames))
      } catch (error) {
        process.stderr.write(`warning: no video for chain ${result.index}: ${(error as Error).message}\n`)
      }
    }
    report(result)
  }

  const crashed = (chain: ChainSpec, message: string): ChainResult => ({
    index: chain.index,
    initial_state: chain.initialState,
    tasks: chain.tasks,
    completed: 0,
    subtasks: [{ task: chain.tasks[0] ?? "", instruction: "", outcome: "sim_error", steps: 0, error: `worker crashed twice: ${message}` }],
    steps: 0,
    wall_ms: 0
  })

  report()
  const pool = makeWorkerPool<WorkerSetup, ChainTask, ChainOutcome>(WORKER_ENTRY, options.workers)
  const queue = [...pending]
  let startupFailures = 0
  let stopped = false
  // Each lane keeps one thread busy: it takes the next chain until the queue is empty or the run fails.
  const lane = async (): Promise<void> => {
    for (let chain = queue.shift(); chain !== undefined; chain = queue.shift()) {
      const outcome = await pool.run(setup, { chain, record: recordSet.has(chain.index) }).catch((error: unknown) => error as SdkError)
      if (stopped) return
      if (!(outcome instanceof SdkError)) {
        record(outcome.result, outcome.frames)
        continue
      }
      if (outcome.reason === "WorkerStartFailed") throw new BenchError({ reason: "PolicyUnavailable", message: outcome.message, cause: outcome })
      // A worker that dies before it is ready cannot load the simulator or the policy: retrying will not help.
      // A chain whose thread died (or threw) while running it is retried once, then recorded as failed.
      if (outcome.subject === "starting" && ++startupFailures >= 2) {
        throw new BenchError({ reason: "WorkerCrashed", message: `benchmark worker failed to start: ${outcome.message}`, cause: outcome })
      }
      if (outcome.subject === "starting") queue.unshift(chain) // it never ran
      else if (!retried.has(chain.index)) {
        retried.add(chain.index)
        queue.unshift(chain)
      } else record(crashed(chain, outcome.message), [])
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(options.workers, pending.length) }, lane))
  } finally {
    // Workers are stopped whatever happened; each frees its simulator and policy in its own thread.
    stopped = true
    await pool.close()
    store.close()
  }
  const wallMs = performance.now() - started
  const all = options.chains.map((c) => results.get(c.index)).filter((r): r is ChainResult => r !== undefined)
  const summary = summarize(all)
  const newSteps = all.filter((r) => !store.existing.some((e) => e.index === r.index)).reduce((n, r) => n + r.steps, 0)
  const stepsPerSecond = wallMs > 0 ? (newSteps / wallMs) * 1000 : 0
  const files = writeReports(options.outDir, {
    suite: options.suite,
    scene: options.scene,
    policy: describePolicy(options.policy),
    seed: options.seed,
    workers: options.workers,
    wallMs,
    stepsPerSecond,
    summary,
    results: all,
    videoDir: fs.existsSync(videoDir) ? videoDir : undefined
  })
  return { summary, results: all, wallMs, stepsPerSecond, resumedChains, files: { ...files, chains: store.chainsFile } }
}
