/**
 * The queue's cost and scaling, measured: CALVIN chains through BullMQ on a real redis-server with 1, 2 and 4
 * `robovla worker` processes (one simulator each), against the local runner (worker threads) on the same machine.
 *
 *   flock /tmp/cpu.lock npm run bench:queue -w @robovla/bench
 *   ROBOVLA_BENCH_CHAINS=40 ROBOVLA_BENCH_TINY=200 ROBOVLA_BENCH_REDIS=redis://127.0.0.1:6379 npm run bench:queue -w @robovla/bench
 *
 * Two workloads:
 * - full chains: the scripted-expert oracle, 360 steps per subtask (CALVIN's budget), the first N chains, each
 *   configuration run twice (the best is kept: the machine is shared, so the slower run measures other jobs);
 * - tiny chains: one step per chain, so a chain costs ~nothing and the time per chain is the overhead (the
 *   queue's: result write, job fetch and lock, collection; the local runner's: a thread message). Measured as
 *   the slope between a small and a large run, which cancels start-up; plus, on the workers, the gap between
 *   one chain's end and the next chain's start (the round trip to Redis that a worker waits for).
 *
 * Worker processes are started (and their suite version computed) before the clock starts, as a standing fleet
 * would be; simulator threads start inside the measured time on both sides. "Steady" rates exclude that
 * start-up: (chains − 1) / (time from the first result to the last).
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { ChainSpec } from "../src/Chain.ts"
import { runQueuedBenchmark } from "../src/queue/QueueCoordinator.ts"
import { redisOptions } from "../src/queue/RedisUrl.ts"
import { runBenchmark } from "../src/Runner.ts"
import { suiteChains } from "../src/Suites.ts"
import { type RedisServer, redisServerBinary, startRedisServer } from "../test/queue/RedisServer.ts"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const cli = path.join(repoRoot, "packages/cli/bin/robovla.js")
const FULL = Number(process.env["ROBOVLA_BENCH_CHAINS"] ?? 40)
const TINY = Number(process.env["ROBOVLA_BENCH_TINY"] ?? 400)
const REPEATS = Number(process.env["ROBOVLA_BENCH_REPEATS"] ?? 2)
const WORKER_COUNTS = (process.env["ROBOVLA_BENCH_WORKERS"] ?? "1,2,4").split(",").map(Number)

let server: RedisServer | undefined
let url = process.env["ROBOVLA_BENCH_REDIS"]
if (url === undefined) {
  const binary = redisServerBinary()
  if (binary === undefined) throw new Error("redis-server is not installed (apt-get install redis-server), or set ROBOVLA_BENCH_REDIS")
  server = await startRedisServer({ binary, persistence: true })
  url = server.url
}

const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `robovla-qbench-${name}-`))

const options = (chains: ReadonlyArray<ChainSpec>, maxSteps: number) => ({
  suite: "calvin",
  scene: "D",
  chains,
  seed: 0,
  policy: { kind: "oracle" } as const,
  maxSteps,
  actTimeoutMs: 30_000,
  actionsPerQuery: 1,
  videoStride: 3,
  videoSize: 160,
  resume: false,
  videos: 0
})

interface Measure {
  readonly label: string
  readonly chains: number
  readonly wallS: number
  readonly steadyPerS: number
  readonly avgLen: number
}

/** Times a run: wall from start to the last result, and the steady rate between the first and last result. */
const timed = async (label: string, chains: number, run: (onResult: () => void) => Promise<{ summary: { avg_seq_len: number } }>): Promise<Measure> => {
  const stamps: Array<number> = []
  const t0 = performance.now()
  const outcome = await run(() => stamps.push(performance.now()))
  const last = stamps.at(-1)!
  const m = {
    label,
    chains,
    wallS: (last - t0) / 1000,
    steadyPerS: stamps.length > 1 ? ((stamps.length - 1) * 1000) / (last - stamps[0]!) : NaN,
    avgLen: outcome.summary.avg_seq_len
  }
  process.stderr.write(`${label}: ${chains} chains in ${m.wallS.toFixed(2)} s (${(chains / m.wallS).toFixed(2)} chains/s; steady ${m.steadyPerS.toFixed(2)}/s), avg len ${m.avgLen.toFixed(3)}\n`)
  return m
}

/** Worker events (JSON lines), for the gap between a chain's end and the next chain's start on one worker. */
const events: Array<Record<string, unknown>> = []

const startWorkers = async (n: number): Promise<Array<ChildProcess>> => {
  const children = Array.from({ length: n }, (_, i) =>
    spawn(process.execPath, [cli, "worker", "--queue", url!, "--concurrency", "1", "--name", `bench-${n}-${i}`], { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] }))
  await Promise.all(children.map((child) =>
    new Promise<void>((resolve, reject) => {
      let buffer = ""
      child.stdout!.on("data", (d: Buffer) => {
        buffer += d.toString()
        const parts = buffer.split("\n")
        buffer = parts.pop()!
        for (const line of parts) {
          const event = JSON.parse(line) as Record<string, unknown>
          events.push(event)
          if (event["event"] === "worker.start") resolve()
        }
      })
      child.once("exit", (code) => reject(new Error(`worker exited with ${code}`)))
    })))
  return children
}

const stopWorkers = (children: ReadonlyArray<ChildProcess>) =>
  Promise.all(children.map((child) =>
    new Promise<void>((resolve) => {
      child.removeAllListeners("exit")
      child.once("exit", () => resolve())
      child.kill("SIGTERM")
    })))

/** Median ms from a worker's chain.done to its next chain.start, over the events since `from`. */
const medianGapMs = (from: number): number => {
  const last = new Map<unknown, number>()
  const gaps: Array<number> = []
  for (const e of events.slice(from)) {
    const t = Date.parse(e["time"] as string)
    if (e["event"] === "chain.done") last.set(e["worker"], t)
    else if (e["event"] === "chain.start" && last.has(e["worker"])) gaps.push(t - last.get(e["worker"])!)
  }
  gaps.sort((a, b) => a - b)
  return gaps[Math.floor(gaps.length / 2)] ?? NaN
}

const local = (chains: ReadonlyArray<ChainSpec>, maxSteps: number, workers: number) => (onResult: () => void) =>
  runBenchmark({ ...options(chains, maxSteps), outDir: tmp("local"), workers, onProgress: (p) => p.last && onResult() })

const queued = (chains: ReadonlyArray<ChainSpec>, maxSteps: number) => (onResult: () => void) =>
  runQueuedBenchmark({
    ...options(chains, maxSteps),
    outDir: tmp("queue"),
    connection: redisOptions(url!),
    queueLabel: url!,
    attempts: 3,
    ttlSeconds: 3600,
    pollMs: 50,
    log: () => {},
    onProgress: (p) => p.last && onResult()
  })

const best = async (label: string, chains: number, run: () => Promise<Measure>): Promise<Measure> => {
  let kept: Measure | undefined
  for (let i = 0; i < REPEATS; i++) {
    const m = await run()
    if (kept === undefined || m.wallS < kept.wallS) kept = m
  }
  return { ...kept!, label, chains }
}

const full = suiteChains("calvin", { chains: FULL })
const tinyAll = suiteChains("calvin", { chains: TINY })
const tinySmall = tinyAll.slice(0, Math.round(TINY / 4))
const rows: Array<Measure> = []
const overhead: Array<string> = []
/** Seconds per chain from the slope between the small and the large tiny run. */
const slope = (small: Measure, large: Measure) => (large.wallS - small.wallS) / (large.chains - small.chains)
try {
  const ls = await timed("local, 1 thread, tiny (small)", tinySmall.length, local(tinySmall, 1, 1))
  const ll = await timed("local, 1 thread, tiny (large)", tinyAll.length, local(tinyAll, 1, 1))
  overhead.push(`local runner, 1 thread: ${(slope(ls, ll) * 1000).toFixed(2)} ms per tiny chain`)
  rows.push(await best("local runner, 1 thread", FULL, () => timed("local runner, 1 thread, full", FULL, local(full, 360, 1))))
  rows.push(await best("local runner, 2 threads", FULL, () => timed("local runner, 2 threads, full", FULL, local(full, 360, 2))))
  for (const n of WORKER_COUNTS) {
    const workers = await startWorkers(n)
    try {
      if (n === 1) {
        // warm up: the worker starts its simulator thread for this setup (the local runs start theirs in both
        // the small and the large run, which the slope cancels)
        await queued(tinyAll.slice(0, 4), 1)(() => {})
        const qs = await timed("queue, 1 worker, tiny (small)", tinySmall.length, queued(tinySmall, 1))
        const from = events.length
        const ql = await timed("queue, 1 worker, tiny (large)", tinyAll.length, queued(tinyAll, 1))
        overhead.push(`queue, 1 worker process: ${(slope(qs, ql) * 1000).toFixed(2)} ms per tiny chain; on the worker, chain end → next chain start: ${medianGapMs(from).toFixed(1)} ms (median)`)
      }
      const from = events.length
      rows.push(await best(`queue, ${n} worker process${n > 1 ? "es" : ""}`, FULL, () => timed(`queue, ${n} worker(s), full`, FULL, queued(full, 360))))
      overhead.push(`queue, ${n} worker(s), full chains: chain end → next chain start ${medianGapMs(from).toFixed(1)} ms (median)`)
    } finally {
      await stopWorkers(workers)
    }
  }
} finally {
  await server?.stop()
}

console.log(`\nCALVIN chains (oracle, 360 steps per subtask, scene D) through BullMQ on redis-server (loopback, AOF on), ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), Node ${process.version}; best of ${REPEATS}\n`)
console.log("| run | chains | wall | chains/s | steady chains/s | avg len |")
console.log("|---|---|---|---|---|---|")
for (const r of rows) console.log(`| ${r.label} | ${r.chains} | ${r.wallS.toFixed(2)} s | ${(r.chains / r.wallS).toFixed(2)} | ${r.steadyPerS.toFixed(2)} | ${r.avgLen.toFixed(3)} |`)
console.log(`\nper-chain overhead:\n${overhead.map((l) => `- ${l}`).join("\n")}`)
