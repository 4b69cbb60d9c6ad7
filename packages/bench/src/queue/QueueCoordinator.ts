/**
 * `robovla bench --queue`: the coordinator of a distributed run. It enqueues the suite's chains as BullMQ jobs on
 * the run's own queue (ids are run id + chain index, so enqueueing twice adds nothing), collects each finished
 * job's result into the same run folder the local runner writes (`chains.jsonl` as chains end; `results.json`,
 * `report.html`, `summary.md` at the end, with the local runner's writers), and shows progress.
 *
 * The run folder is the ledger: a chain counts once it is in `chains.jsonl`, whatever Redis says later, so
 * nothing is counted twice. `queue.json` keeps the run id, so `--resume` re-attaches to the same queue and picks
 * up what workers finished meanwhile. If the run's keys vanish (Redis restarted without persistence, or they
 * expired), the coordinator re-enqueues every chain that has no result yet.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Queue } from "bullmq"
import { BenchError } from "../BenchError.ts"
import type { ChainResult, ChainSpec } from "../Chain.ts"
import { describePolicy } from "../PolicySpec.ts"
import { writeReports } from "../Report.ts"
import { ResultStore } from "../ResultStore.ts"
import { summarize } from "../Results.ts"
import { checkActingOptions } from "../TemporalEnsemble.ts"
import type { RunOptions, RunOutcome } from "../Runner.ts"
import { makeRedis, type RedisOptions } from "./RedisUrl.ts"
import { type ChainJob, decodeJobResult, KEY_PREFIX, keys, QUEUE_PROTOCOL, suiteVersion } from "./QueueJob.ts"

/** @since 0.1.0 @category models */
export interface QueueRunOptions extends Omit<RunOptions, "workers"> {
  readonly connection: RedisOptions
  /** The queue URL without its password, kept in `queue.json`. */
  readonly queueLabel: string
  /** Tries per chain when a worker reports a failure (policy cannot load, refused job, crashed thread). */
  readonly attempts: number
  /** The run's Redis keys expire this long after the coordinator last touched them. */
  readonly ttlSeconds: number
  readonly pollMs?: number | undefined
  readonly log?: ((line: string) => void) | undefined
}

/** What `queue.json` holds. @since 0.1.0 @category models */
export interface QueueRunFile {
  readonly run_id: string
  readonly queue: string
  readonly suite_version: string
  readonly created: string
}

const EXPIRE_EVERY_MS = 30_000
const WORKERS_EVERY_MS = 2_000
// Keys BullMQ gives their own short expiry (job locks, the stalled-check guard, the rate limiter): refreshing them
// with the run's TTL would keep a dead worker's lock alive.
const OWN_EXPIRY = /:(lock|stalled-check|limiter)$/

/**
 * @since 0.1.0
 * @category constructors
 */
export const runQueuedBenchmark = async (options: QueueRunOptions): Promise<RunOutcome> => {
  if (!Number.isInteger(options.attempts) || options.attempts < 1) throw new BenchError({ reason: "InvalidOptions", message: `--attempts must be ≥ 1, got ${options.attempts}` })
  checkActingOptions(options)
  if (!(options.ttlSeconds > 0)) throw new BenchError({ reason: "InvalidOptions", message: `--queue-ttl must be > 0 seconds, got ${options.ttlSeconds}` })
  const log = options.log ?? ((line: string) => void process.stderr.write(line + "\n"))
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
  const version = suiteVersion()
  const runFile = path.join(options.outDir, "queue.json")
  const previous = options.resume && fs.existsSync(runFile) ? JSON.parse(fs.readFileSync(runFile, "utf8")) as QueueRunFile : undefined
  if (previous !== undefined && previous.suite_version !== version) {
    store.close()
    throw new BenchError({ reason: "SuiteMismatch", message: `cannot resume ${options.outDir}: it was started with suite version ${previous.suite_version}, this robovla has ${version}` })
  }
  // A fresh run in a folder that held an unfinished queued run (killed before any result): retire that run so
  // workers do not go on serving it until its keys expire.
  const abandoned = !options.resume && fs.existsSync(runFile) ? (JSON.parse(fs.readFileSync(runFile, "utf8")) as QueueRunFile).run_id : undefined
  const runId = previous?.run_id ?? randomBytes(6).toString("hex")
  fs.writeFileSync(runFile, JSON.stringify({ run_id: runId, queue: options.queueLabel, suite_version: version, created: previous?.created ?? new Date().toISOString() } satisfies QueueRunFile, null, 2) + "\n")

  const redis = makeRedis(options.connection)
  let redisDown: string | undefined
  redis.on("error", (error: Error) => {
    if (redisDown === undefined) log(`queue: Redis unavailable (${error.message}); waiting for it`)
    redisDown = error.message
  })
  try {
    await redis.connect()
  } catch (cause) {
    store.close()
    redis.disconnect()
    throw new BenchError({ reason: "QueueUnavailable", message: `cannot reach Redis at ${options.queueLabel}: ${redisDown ?? (cause as Error).message}`, cause })
  }
  const queue = new Queue(keys.queueName(runId), { connection: options.connection, prefix: KEY_PREFIX })
  queue.on("error", () => {}) // reported once through the coordinator's own connection
  if (abandoned !== undefined && abandoned !== runId) {
    const old = new Queue(keys.queueName(abandoned), { connection: options.connection, prefix: KEY_PREFIX })
    await redis.multi().srem(keys.runs, abandoned).del(keys.meta(abandoned)).exec()
    await old.obliterate({ force: true }).catch(() => {})
    await old.close()
  }

  const byIndex = new Map(options.chains.map((c) => [c.index, c]))
  const results = new Map<number, ChainResult>()
  for (const r of store.existing) if (byIndex.has(r.index)) results.set(r.index, r)
  const resumedChains = results.size
  const recordSet = new Set(options.chains.slice(0, options.videos).map((c) => c.index))
  const videoDir = path.join(options.outDir, "videos")
  const started = performance.now()
  let workersAlive = 0
  let newSteps = 0
  let maxWorkers = 0

  const report = (last?: ChainResult) =>
    options.onProgress?.({ done: results.size, total: options.chains.length, summary: summarize([...results.values()]), elapsedMs: performance.now() - started, last, workers: workersAlive })

  const record = (result: ChainResult, video: string | undefined) => {
    if (results.has(result.index)) return
    store.append(result)
    results.set(result.index, result)
    newSteps += result.steps
    if (video !== undefined) {
      try {
        fs.mkdirSync(videoDir, { recursive: true })
        fs.writeFileSync(path.join(videoDir, `chain-${String(result.index).padStart(4, "0")}.gif`), Buffer.from(video, "base64"))
      } catch (error) {
        log(`warning: no video for chain ${result.index}: ${(error as Error).message}`)
      }
    }
    report(result)
  }

  const failedChain = (chain: ChainSpec, reason: string): ChainResult => ({
    index: chain.index,
    initial_state: chain.initialState,
    tasks: chain.tasks,
    completed: 0,
    subtasks: [{ task: chain.tasks[0] ?? "", instruction: "", outcome: "sim_error", steps: 0, error: `chain failed on the queue: ${reason}` }],
    steps: 0,
    wall_ms: 0
  })

  const jobData = (chain: ChainSpec): ChainJob => ({
    protocol: QUEUE_PROTOCOL,
    runId,
    suite: options.suite,
    suiteVersion: version,
    chain: { index: chain.index, initialState: chain.initialState, tasks: [...chain.tasks] },
    scene: options.scene,
    seed: options.seed,
    policy: options.policy,
    options: {
      maxSteps: options.maxSteps,
      actTimeoutMs: options.actTimeoutMs,
      actionsPerQuery: options.actionsPerQuery,
      ...(options.temporalEnsemble === undefined ? {} : { temporalEnsemble: options.temporalEnsemble }),
      videoStride: options.videoStride,
      videoSize: options.videoSize,
      ...(options.instructions === undefined ? {} : { instructions: { ...options.instructions } })
    },
    record: recordSet.has(chain.index)
  })

  /** Registers the run (workers watch `robovla:runs`) and enqueues every chain without a result. */
  const enqueue = async (why: string) => {
    await redis.multi()
      .hset(keys.meta(runId), { suite: options.suite, suite_version: version, protocol: String(QUEUE_PROTOCOL), policy: describePolicy(options.policy), chains: String(options.chains.length) })
      .expire(keys.meta(runId), options.ttlSeconds)
      .sadd(keys.runs, runId)
      .exec()
    const pending = options.chains.filter((c) => !results.has(c.index))
    for (let i = 0; i < pending.length; i += 500) {
      await queue.addBulk(pending.slice(i, i + 500).map((chain) => ({
        name: "chain",
        data: jobData(chain),
        opts: { jobId: keys.jobId(runId, chain.index), attempts: options.attempts, backoff: { type: "fixed", delay: 500 } }
      })))
    }
    log(`queue: run ${runId} on ${options.queueLabel}: ${why}, ${pending.length} chain(s) without a result enqueued (${results.size} already done)`)
  }

  const indexOf = (jobId: string): number | undefined => {
    const prefix = `${runId}-c`
    if (!jobId.startsWith(prefix)) return undefined
    const index = Number(jobId.slice(prefix.length))
    return byIndex.has(index) ? index : undefined
  }

  /** Records every finished job that has no result in the run folder yet. */
  const collect = async () => {
    for (const state of ["completed", "failed"] as const) {
      const ids = await queue.getRanges([state], 0, -1, true)
      for (const id of ids) {
        const index = indexOf(id)
        if (index === undefined || results.has(index)) continue
        const job = await queue.getJob(id)
        if (!job) continue
        const chain = byIndex.get(index)!
        if (state === "failed") {
          record(failedChain(chain, `${job.failedReason ?? "unknown reason"} (after ${job.attemptsMade} attempt(s))`), undefined)
          continue
        }
        try {
          const value = decodeJobResult(job.returnvalue)
          if (value.result.index !== index) throw new Error(`result of chain ${value.result.index} in the job of chain ${index}`)
          // The worker's own object, once validated: the same key order as a local run's chains.jsonl.
          record((job.returnvalue as { result: ChainResult }).result, value.video)
        } catch (error) {
          record(failedChain(chain, `malformed result from a worker: ${(error as Error).message}`), undefined)
        }
      }
    }
  }

  const countWorkers = async () => {
    let count = 0
    let cursor = "0"
    do {
      const [next, found] = await redis.scan(cursor, "MATCH", keys.workerPattern, "COUNT", 500)
      cursor = next
      count += found.length
    } while (cursor !== "0")
    workersAlive = count
    maxWorkers = Math.max(maxWorkers, count)
  }

  const expireKeys = async () => {
    let cursor = "0"
    do {
      const [next, found] = await redis.scan(cursor, "MATCH", keys.queuePattern(runId), "COUNT", 1000)
      cursor = next
      const mine = found.filter((k) => !OWN_EXPIRY.test(k))
      if (mine.length > 0) {
        const batch = redis.pipeline()
        for (const key of mine) batch.expire(key, options.ttlSeconds)
        await batch.exec()
      }
    } while (cursor !== "0")
    await redis.expire(keys.meta(runId), options.ttlSeconds)
  }

  report()
  try {
    if (results.size < options.chains.length) await enqueue(previous ? "re-attached" : "started")
    let lastExpire = 0
    let lastWorkers = 0
    let lastShown = performance.now()
    while (results.size < options.chains.length) {
      await new Promise((r) => setTimeout(r, options.pollMs ?? 250))
      try {
        const now = performance.now()
        if ((await redis.exists(keys.meta(runId))) === 0) await enqueue("the run's queue was lost (Redis restarted without persistence, or its keys expired)")
        await collect()
        if (now - lastWorkers >= WORKERS_EVERY_MS) {
          lastWorkers = now
          await countWorkers()
          // The progress line moves on results; with none for a while, redraw it so the worker count stays live.
          if (now - lastShown >= 10_000) report()
        }
        if (now - lastExpire >= EXPIRE_EVERY_MS) {
          lastExpire = now
          await expireKeys()
        }
        if (redisDown !== undefined) {
          log("queue: Redis is back")
          redisDown = undefined
        }
        lastShown = now
      } catch (error) {
        if (redisDown === undefined) log(`queue: Redis unavailable (${(error as Error).message}); waiting for it`)
        redisDown = (error as Error).message
      }
    }
    // The run is over: workers stop watching it, and its keys go after the TTL.
    await redis.srem(keys.runs, runId)
    await expireKeys()
  } finally {
    store.close()
    await queue.close()
    redis.disconnect()
  }
  const wallMs = performance.now() - started
  const all = options.chains.map((c) => results.get(c.index)).filter((r): r is ChainResult => r !== undefined)
  const summary = summarize(all)
  const stepsPerSecond = wallMs > 0 ? (newSteps / wallMs) * 1000 : 0
  const files = writeReports(options.outDir, {
    suite: options.suite,
    scene: options.scene,
    policy: describePolicy(options.policy),
    seed: options.seed,
    workers: maxWorkers,
    wallMs,
    stepsPerSecond,
    summary,
    results: all,
    videoDir: fs.existsSync(videoDir) ? videoDir : undefined
  })
  return { summary, results: all, wallMs, stepsPerSecond, resumedChains, files: { ...files, chains: store.chainsFile } }
}
