/**
 * `robovla worker`: serves the chains of every distributed run in a Redis. It watches the set of active runs,
 * attaches a BullMQ worker to each run's queue, and runs each job's chain on a local simulator (a {@link ChainPool}
 * thread) with its local copy of the job's policy. A job it cannot serve (unknown policy spec, another suite
 * version, a policy that does not load here) fails with a typed error and BullMQ retries it, possibly elsewhere.
 * A worker killed mid-chain stops renewing its job lock; another worker's stalled-job check puts the chain back.
 *
 * Logs are JSON lines (one event each) on the given sink.
 *
 * @since 0.1.0
 */
import * as os from "node:os"
import { Worker as BullWorker, type Job } from "bullmq"
import { BenchError } from "../BenchError.ts"
import type { WorkerSetup } from "../ChainTask.ts"
import { encodeVideo } from "../Video.ts"
import { makeChainPool } from "./ChainPool.ts"
import { makeRedis, type RedisOptions } from "./RedisUrl.ts"
import { type ChainJobResult, decodeJob, KEY_PREFIX, keys, suiteVersion } from "./QueueJob.ts"

/** @since 0.1.0 @category models */
export interface QueueWorkerOptions {
  readonly connection: RedisOptions
  /** Simulators (threads) in this process. */
  readonly concurrency: number
  /** A job's lock: a worker silent this long is taken for dead and its chain is put back (BullMQ lockDuration). */
  readonly lockMs: number
  /** How often this worker looks for stalled jobs of dead workers. */
  readonly stalledIntervalMs: number
  /** Times a chain may be put back after its worker died before it is failed. */
  readonly maxStalled: number
  /** A name for logs and heartbeats (default host-pid). */
  readonly name?: string | undefined
  /** Serve only this run. */
  readonly runId?: string | undefined
  readonly log?: ((event: Record<string, unknown>) => void) | undefined
}

/** @since 0.1.0 @category models */
export interface QueueWorkerHandle {
  readonly name: string
  /** Stops taking jobs, lets running chains finish, and disconnects. */
  readonly close: () => Promise<void>
}

/** Writes one JSON line per event to stdout. @since 0.1.0 @category constructors */
export const jsonLineLog = (stream: NodeJS.WritableStream = process.stdout) => (event: Record<string, unknown>) =>
  void stream.write(JSON.stringify({ time: new Date().toISOString(), ...event }) + "\n")

const HEARTBEAT_MS = 2_000

/**
 * @since 0.1.0
 * @category constructors
 */
export const startQueueWorker = async (options: QueueWorkerOptions): Promise<QueueWorkerHandle> => {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new BenchError({ reason: "InvalidOptions", message: `--concurrency must be ≥ 1, got ${options.concurrency}` })
  }
  const name = options.name ?? `${os.hostname()}-${process.pid}`
  const log = (level: string, event: string, fields: Record<string, unknown> = {}) => options.log?.({ level, event, worker: name, ...fields })
  const version = suiteVersion()
  const redis = makeRedis(options.connection)
  let lastError: string | undefined
  // It reconnects on its own; failures show up as logged command errors.
  redis.on("error", (error: Error) => (lastError = error.message))
  try {
    await redis.connect()
  } catch (cause) {
    redis.disconnect()
    throw new BenchError({ reason: "QueueUnavailable", message: `cannot reach Redis at ${options.connection.host}:${options.connection.port}: ${lastError ?? (cause as Error).message}`, cause })
  }
  const pool = makeChainPool(options.concurrency)
  const attached = new Map<string, BullWorker>()
  let running = 0
  let done = 0
  let closing = false

  const processJob = async (job: Job): Promise<ChainJobResult> => {
    const started = performance.now()
    let data: ReturnType<typeof decodeJob>
    try {
      data = decodeJob(job.data)
    } catch (error) {
      log("warn", "job.refused", { job: job.id, reason: (error as BenchError).reason, message: (error as Error).message })
      throw error
    }
    const chain = data.chain
    running += 1
    log("info", "chain.start", { run: data.runId, chain: chain.index, job: job.id, attempt: job.attemptsMade + 1 })
    try {
      const setup: WorkerSetup = {
        scene: data.scene,
        policy: data.policy,
        maxSteps: data.options.maxSteps,
        actTimeoutMs: data.options.actTimeoutMs,
        actionsPerQuery: data.options.actionsPerQuery,
        temporalEnsemble: data.options.temporalEnsemble,
        videoStride: data.options.videoStride,
        videoSize: data.options.videoSize,
        instructions: data.options.instructions
      }
      const { result, frames } = await pool.run(setup, chain, data.record)
      done += 1
      log("info", "chain.done", { run: data.runId, chain: chain.index, completed: result.completed, steps: result.steps, ms: Math.round(performance.now() - started) })
      return { result, worker: name, ...(frames.length > 0 ? { video: Buffer.from(encodeVideo(frames)).toString("base64") } : {}) }
    } catch (error) {
      log("error", "chain.failed", { run: data.runId, chain: chain.index, reason: (error as BenchError).reason, message: (error as Error).message })
      throw error
    } finally {
      running -= 1
    }
  }

  const attach = (runId: string) => {
    const worker = new BullWorker(keys.queueName(runId), processJob, {
      connection: options.connection,
      prefix: KEY_PREFIX,
      concurrency: options.concurrency,
      lockDuration: options.lockMs,
      stalledInterval: options.stalledIntervalMs,
      maxStalledCount: options.maxStalled,
      name
    })
    worker.on("error", (error) => log("warn", "queue.error", { run: runId, message: error.message }))
    worker.on("stalled", (jobId) => log("warn", "job.stalled", { run: runId, job: jobId, message: "its worker stopped renewing the lock: put back on the queue" }))
    attached.set(runId, worker)
    log("info", "run.attach", { run: runId })
  }

  const detach = async (runId: string) => {
    const worker = attached.get(runId)
    if (!worker) return
    attached.delete(runId)
    await worker.close()
    log("info", "run.detach", { run: runId })
  }

  /** Attach to new runs, detach from finished or expired ones; refresh the heartbeat. */
  let ticking = false
  const tick = async () => {
    if (ticking) return
    ticking = true
    try {
      await redis.set(keys.worker(name), JSON.stringify({ name, host: os.hostname(), pid: process.pid, concurrency: options.concurrency, running, done, version }), "PX", HEARTBEAT_MS * 5)
      const members = options.runId !== undefined ? [options.runId] : await redis.smembers(keys.runs)
      const active = new Set<string>()
      for (const runId of members) {
        if (await redis.exists(keys.meta(runId))) active.add(runId)
      }
      for (const runId of active) if (!attached.has(runId) && !closing) attach(runId)
      // Detaching waits for the run's running chains: not here, or the heartbeat would stop meanwhile. (A copy: detach edits the map.)
      for (const runId of Array.from(attached.keys())) if (!active.has(runId)) void detach(runId)
    } catch (error) {
      log("warn", "redis.unavailable", { message: (error as Error).message })
    } finally {
      ticking = false
    }
  }
  log("info", "worker.start", { concurrency: options.concurrency, suiteVersion: version, redis: `${options.connection.host}:${options.connection.port}/${options.connection.db ?? 0}`, tls: options.connection.tls !== undefined })
  await tick()
  const timer = setInterval(() => void tick(), HEARTBEAT_MS)

  return {
    name,
    close: async () => {
      closing = true
      clearInterval(timer)
      while (ticking) await new Promise((r) => setTimeout(r, 20))
      await Promise.all([...attached.keys()].map(detach))
      await pool.close()
      await redis.del(keys.worker(name)).catch(() => 0)
      redis.disconnect()
      log("info", "worker.stop", { done })
    }
  }
}
