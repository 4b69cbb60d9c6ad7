/**
 * The benchmark runner: chains run in parallel worker threads (one simulator each), results are appended to
 * the run's `chains.jsonl` as each chain ends, a killed run resumes with `resume: true` and skips finished
 * chains, and a worker that dies has its chain retried once on a fresh worker, then recorded as failed.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { Worker } from "node:worker_threads"
import { spawnTsWorker } from "@robovla/sdk"
import { BenchError } from "./BenchError.ts"
import type { ChainResult, ChainSpec } from "./Chain.ts"
import type { ToWorker, VideoFrame, WorkerSetup } from "./ChainTask.ts"
import { describePolicy } from "./PolicySpec.ts"
import { writeReports } from "./Report.ts"
import { ResultStore } from "./ResultStore.ts"
import type { BenchSummary } from "./Results.ts"
import { summarize } from "./Results.ts"
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

const stopWorker = (worker: Worker): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 5_000)
    worker.once("exit", () => {
      clearTimeout(timer)
      resolve()
    })
    worker.postMessage({ type: "stop" } satisfies ToWorker)
  })

const WORKER_ENTRY = new URL("./ChainWorker.ts", import.meta.url)

interface Slot {
  worker: Worker
  busy: ChainSpec | undefined
  ready: boolean
}

/**
 * Runs (or resumes) a benchmark and writes `results.json`, `report.html` and `summary.md` into `outDir`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const runBenchmark = async (options: RunOptions): Promise<RunOutcome> => {
  if (options.workers < 1) throw new BenchError({ reason: "InvalidOptions", message: `--workers must be ≥ 1, got ${options.workers}` })
  const store = ResultStore.open(options.outDir, {
    suite: options.suite,
    scene: options.scene,
    seed: options.seed,
    chains: options.chains.map((c) => c.index),
    policy: describePolicy(options.policy),
    max_steps: options.maxSteps
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
  const slots: Array<Slot> = []
  let stopping = false
  try {
    await new Promise<void>((resolve, reject) => {
      const queue = [...pending]
      let startupFailures = 0
      let fatal: BenchError | undefined
      const maybeDone = () => {
        if (queue.length === 0 && slots.every((s) => s.busy === undefined)) resolve()
      }
      const dispatch = (slot: Slot) => {
        if (!slot.ready || slot.busy !== undefined) return
        const chain = queue.shift()
        if (chain === undefined) return maybeDone()
        slot.busy = chain
        slot.worker.postMessage({ type: "run", chain, record: recordSet.has(chain.index) } satisfies ToWorker)
      }
      const start = (): Slot => {
        const slot: Slot = { worker: spawnTsWorker(WORKER_ENTRY, setup as unknown as Record<string, unknown>), busy: undefined, ready: false }
        slot.worker.on("message", (message: { type: string; result?: ChainResult; frames?: Array<VideoFrame>; message?: string }) => {
          if (message.type === "ready") {
            slot.ready = true
            dispatch(slot)
          } else if (message.type === "result" && message.result) {
            slot.busy = undefined
            record(message.result, message.frames ?? [])
            dispatch(slot)
          } else if (message.type === "fatal") {
            fatal ??= new BenchError({ reason: "PolicyUnavailable", message: message.message ?? "worker failed to start" })
          }
        })
        const onDeath = (why: string) => {
          if (stopping) return
          const index = slots.indexOf(slot)
          if (index < 0) return
          slots.splice(index, 1)
          if (fatal) return reject(fatal)
          // A worker that dies before it is ready cannot load the simulator or the policy: retrying will not help.
          if (!slot.ready && ++startupFailures >= 2) {
            return reject(new BenchError({ reason: "WorkerCrashed", message: `benchmark worker failed to start: ${why}` }))
          }
          const chain = slot.busy
          if (chain !== undefined) {
            if (retried.has(chain.index)) record(crashed(chain, why), [])
            else {
              retried.add(chain.index)
              queue.unshift(chain)
            }
          }
          if (queue.length > 0) slots.push(start())
          else maybeDone()
        }
        slot.worker.on("error", (error) => onDeath(error.message))
        slot.worker.on("exit", (code) => onDeath(`exit code ${code}`))
        return slot
      }
      const n = Math.min(options.workers, Math.max(1, pending.length))
      if (pending.length === 0) return resolve()
      for (let i = 0; i < n; i++) slots.push(start())
    })
  } finally {
    // Workers are stopped whatever happened; each frees its simulator and policy in its own thread.
    stopping = true
    await Promise.all(slots.map((slot) => stopWorker(slot.worker)))
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
