/**
 * The queue's cost and scaling, measured: CALVIN chains through BullMQ on a real redis-server with 1, 2 and 4
 * `robovla worker` processes (one simulator each), against the local runner (worker threads) on the same machine.
 *
 *   flock /tmp/cpu.lock npm run bench:queue -w @robovla/bench
 *   ROBOVLA_BENCH_CHAINS=40 ROBOVLA_BENCH_TINY=200 ROBOVLA_BENCH_REDIS=redis://127.0.0.1:6379 npm run bench:queue -w @robovla/bench
 *
 * Two workloads:
 * - full chains: the scripted-expert oracle, 360 steps per subtask (CALVIN's budget), the first N chains;
 * - tiny chains: one step per chain, so a chain costs ~nothing and the wall time per chain is the overhead
 *   (the queue's: job fetch, lock, result write and collection; the local runner's: a thread message).
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
const TINY = Number(process.env["ROBOVLA_BENCH_TINY"] ?? 200)
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

const startWorkers = async (n: number): Promise<Array<ChildProcess>> => {
  const children = Array.from({ length: n }, (_, i) =>
    spawn(process.execPath, [cli, "worker", "--queue", url!, "--concurrency", "1", "--name", `bench-${n}-${i}`], { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] }))
  await Promise.all(children.map((child) =>
    new Promise<void>((resolve, reject) => {
      let text = ""
      child.stdout!.on("data", (d: Buffer) => {
        text += d.toString()
        if (text.includes("\"worker.start\"")) resolve()
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

const full = suiteChains("calvin", { chains: FULL })
const tiny = suiteChains("calvin", { chains: TINY })
const rows: Array<Measure> = []
try {
  rows.push(await timed("local runner, 1 thread, tiny", TINY, local(tiny, 1, 1)))
  rows.push(await timed("local runner, 1 thread, full", FULL, local(full, 360, 1)))
  rows.push(await timed("local runner, 2 threads, full", FULL, local(full, 360, 2)))
  for (const n of WORKER_COUNTS) {
    const workers = await startWorkers(n)
    try {
      if (n === 1) rows.push(await timed("queue, 1 worker process, tiny", TINY, queued(tiny, 1)))
      rows.push(await timed(`queue, ${n} worker process${n > 1 ? "es" : ""}, full`, FULL, queued(full, 360)))
    } finally {
      await stopWorkers(workers)
    }
  }
} finally {
  await server?.stop()
}

const byLabel = (label: string) => rows.find((r) => r.label === label)
const tinyLocal = byLabel("local runner, 1 thread, tiny")!
const tinyQueue = byLabel("queue, 1 worker process, tiny")
console.log(`\nCALVIN chains (oracle, scene D) through BullMQ on redis-server (loopback, AOF on), ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), Node ${process.version}\n`)
console.log("| run | chains | wall | chains/s | steady chains/s | avg len |")
console.log("|---|---|---|---|---|---|")
for (const r of rows) console.log(`| ${r.label} | ${r.chains} | ${r.wallS.toFixed(2)} s | ${(r.chains / r.wallS).toFixed(2)} | ${r.steadyPerS.toFixed(2)} | ${r.avgLen.toFixed(3)} |`)
if (tinyQueue) {
  const perChainMs = (((tinyQueue.chains / tinyQueue.steadyPerS) - (tinyLocal.chains / tinyLocal.steadyPerS)) * 1000) / tinyQueue.chains
  console.log(`\nqueue overhead per chain (tiny chains, steady, 1 worker vs 1 thread): ${perChainMs.toFixed(2)} ms`)
}
