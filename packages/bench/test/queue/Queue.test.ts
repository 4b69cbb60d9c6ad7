import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { ChainResult } from "../../src/Chain.ts"
import { runQueuedBenchmark } from "../../src/queue/QueueCoordinator.ts"
import { startQueueWorker } from "../../src/queue/QueueWorker.ts"
import { makeRedis, redact, redisOptions } from "../../src/queue/RedisUrl.ts"
import type { RunOutcome } from "../../src/Runner.ts"
import { runBenchmark } from "../../src/Runner.ts"
import { suiteChains } from "../../src/Suites.ts"
import { type RedisServer, redisServerBinary, startRedisServer } from "./RedisServer.ts"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..")
const cli = path.join(repoRoot, "packages/cli/bin/robovla.js")
const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `robovla-queue-${name}-`))

const binary = redisServerBinary()
const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()
if (binary === undefined) console.warn("[queue] redis-server is not installed: SKIPPING the queue tests (.ci/run installs it; apt-get install redis-server)")

// Short subtasks keep the file quick; the local baseline runs with exactly the same options.
const MAX_STEPS = 80
const CHAINS = 20
/** The fault tests use the first FAULT_CHAINS chains (the local baseline's first ones: chains are independent). */
const FAULT_CHAINS = 12
const base = {
  suite: "calvin",
  scene: "D",
  seed: 0,
  policy: { kind: "oracle" } as const,
  maxSteps: MAX_STEPS,
  actTimeoutMs: 10_000,
  actionsPerQuery: 1,
  videoStride: 5,
  videoSize: 64,
  resume: false,
  videos: 0
}
const cliArgs = ["--suite", "calvin", "--chains", String(FAULT_CHAINS), "--policy", "oracle", "--max-steps", String(MAX_STEPS), "--videos", "0", "--quiet"]

/** Everything but wall-clock time. */
const outcomes = (results: ReadonlyArray<ChainResult>) => results.map(({ wall_ms: _, ...rest }) => rest)
const lines = (dir: string): Array<ChainResult> =>
  fs.readFileSync(path.join(dir, "chains.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as ChainResult)

/** Every chain exactly once in chains.jsonl, and the outcomes of the local run. */
const expectSameAsLocal = (dir: string, local: RunOutcome, count = CHAINS) => {
  const written = lines(dir)
  expect(written.map((r) => r.index).sort((a, b) => a - b)).toEqual([...Array(count).keys()])
  expect(outcomes(written.sort((a, b) => a.index - b.index))).toEqual(outcomes(local.results.slice(0, count)))
  if (count === CHAINS) {
    const queued = JSON.parse(fs.readFileSync(path.join(dir, "results.json"), "utf8"))
    const reference = JSON.parse(fs.readFileSync(local.files.results, "utf8"))
    for (const key of ["chains", "avg_seq_len", "chain_sr", "task_info", "task_success_rate", "failures_by_outcome", "steps"]) expect(queued[key]).toEqual(reference[key])
  }
  for (const file of ["report.html", "summary.md", "results.json"]) expect(fs.existsSync(path.join(dir, file))).toBe(true)
}

interface WorkerProc {
  readonly name: string
  readonly child: ChildProcess
  readonly events: Array<Record<string, unknown>>
}

const startWorker = (url: string, name: string): WorkerProc => {
  const child = spawn(process.execPath, [cli, "worker", "--queue", url, "--concurrency", "1", "--lock-ms", "3000", "--stalled-interval-ms", "1000", "--name", name], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"]
  })
  const events: Array<Record<string, unknown>> = []
  let buffer = ""
  child.stdout!.on("data", (d: Buffer) => {
    buffer += d.toString()
    const parts = buffer.split("\n")
    buffer = parts.pop()!
    for (const line of parts) if (line.trim() !== "") events.push(JSON.parse(line) as Record<string, unknown>)
  })
  child.stderr!.on("data", (d: Buffer) => process.stderr.write(`[${name}] ${d}`))
  return { name, child, events }
}

const until = async (what: string, check: () => boolean, timeoutMs = 60_000) => {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    let stderr = ""
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()))
    child.stdout?.resume()
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode, stderr })
    child.on("exit", (code, signal) => resolve({ code, signal, stderr }))
  })

const queueOptions = (url: string, outDir: string, extra: Partial<Parameters<typeof runQueuedBenchmark>[0]> = {}) => ({
  ...base,
  chains: suiteChains("calvin", { chains: CHAINS }),
  outDir,
  connection: redisOptions(url),
  queueLabel: url,
  attempts: 2,
  ttlSeconds: 3600,
  log: () => {},
  ...extra
})

describe.skipIf(binary === undefined)("CALVIN chains through a BullMQ queue on a real Redis", () => {
  let redis: RedisServer
  let local: RunOutcome
  const workers: Array<WorkerProc> = []

  beforeAll(async () => {
    redis = await startRedisServer({ binary: binary!, persistence: true })
    for (const name of ["w0", "w1", "w2"]) workers.push(startWorker(redis.url, name))
    local = await runBenchmark({ ...base, chains: suiteChains("calvin", { chains: CHAINS }), outDir: tmp("local"), workers: 2 })
  })

  afterAll(async () => {
    await Promise.all(workers.map(async (w) => {
      if (w.child.exitCode !== null || w.child.signalCode !== null) return
      const done = exited(w.child)
      w.child.kill("SIGTERM")
      const timer = setTimeout(() => w.child.kill("SIGKILL"), 10_000)
      await done
      clearTimeout(timer)
    }))
    await redis?.stop()
  })

  it("20 oracle chains on 3 worker processes give the local runner's results, each chain once", async () => {
    const out = tmp("equal")
    const progress: Array<{ done: number; workers?: number | undefined }> = []
    const outcome = await runQueuedBenchmark({ ...queueOptions(redis.url, out), onProgress: (p) => progress.push(p) })
    expectSameAsLocal(out, local)
    expect(outcome.summary).toEqual(local.summary)
    expect(progress.at(-1)?.done).toBe(CHAINS)
    // the chains were spread over the workers, which log JSON lines
    const doers = new Set(workers.flatMap((w) => w.events.filter((e) => e["event"] === "chain.done").map((e) => e["worker"])))
    expect(doers.size).toBeGreaterThanOrEqual(2)
    // the run is over: no longer listed for workers, and its keys expire
    const client = makeRedis(redisOptions(redis.url))
    await client.connect()
    const runId = JSON.parse(fs.readFileSync(path.join(out, "queue.json"), "utf8")).run_id as string
    expect(await client.sismember("robovla:runs", runId)).toBe(0)
    const ttl = await client.ttl(`robovla:run-${runId}:${runId}-c0`)
    expect(ttl).toBeGreaterThan(3000)
    expect(ttl).toBeLessThanOrEqual(3600)
    client.disconnect()
  })

  it("a coordinator killed mid-run and restarted with --resume re-attaches and finishes: each chain once", async () => {
    const out = tmp("coordinator")
    const first = spawn(process.execPath, [cli, "bench", ...cliArgs, "--queue", redis.url, "--out", out], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] })
    const firstDone = exited(first)
    const chainsFile = path.join(out, "chains.jsonl")
    await until("a few results", () => fs.existsSync(chainsFile) && fs.readFileSync(chainsFile, "utf8").split("\n").filter(Boolean).length >= 3)
    first.kill("SIGKILL")
    expect((await firstDone).signal).toBe("SIGKILL")
    const partial = lines(out).length
    expect(partial).toBeLessThan(FAULT_CHAINS)
    // the workers go on meanwhile; the restarted coordinator collects what they finished and waits for the rest
    const resumed = await exited(spawn(process.execPath, [cli, "bench", ...cliArgs, "--queue", redis.url, "--out", out, "--resume"], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] }))
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stderr).toMatch(/re-attached/)
    expectSameAsLocal(out, local, FAULT_CHAINS)
  })

  it("Redis restarted (persistence on) mid-run: the run continues; its data wiped: the lost chains are re-enqueued", async () => {
    // FAULT_CHAINS chains on 3 workers of concurrency 1: when Redis is wiped after 4 results, at most 3 chains are
    // running, so at least 5 waiting jobs are lost for sure and must be re-enqueued (with 8 chains all could be running).
    const chains = FAULT_CHAINS
    const out = tmp("redis")
    const logs: Array<string> = []
    let restarted = false
    let wiped = false
    const run = runQueuedBenchmark({
      ...queueOptions(redis.url, out),
      chains: suiteChains("calvin", { chains }),
      log: (line) => logs.push(line),
      onProgress: (p) => {
        if (p.done >= 2 && !restarted) {
          restarted = true
          void redis.restart()
        }
        if (p.done >= 4 && !wiped) {
          // What a restart without persistence leaves: an empty Redis.
          wiped = true
          const client = makeRedis(redisOptions(redis.url))
          void client.connect().then(() => client.flushall()).then(() => client.disconnect())
        }
      }
    })
    await run
    expect(restarted && wiped).toBe(true)
    expect(logs.join("\n")).toMatch(/queue was lost/)
    expectSameAsLocal(out, local, chains)
  })

  it("a worker SIGKILLed mid-chain: its chain is retried on another worker (stalled job), each chain once", async () => {
    // Its own database and its own two workers, so the shared ones cannot take every chain first:
    // the victim is alone until it has started one, and the rescuer starts only after the kill.
    const url = `${redis.url.replace(/\/\d+$/, "")}/7`
    const out = tmp("worker-kill")
    const victim = startWorker(url, "victim")
    let rescuer: WorkerProc | undefined
    try {
      const run = runQueuedBenchmark({ ...queueOptions(url, out), chains: suiteChains("calvin", { chains: FAULT_CHAINS }) })
      await until("the victim to start a chain", () => victim.events.some((e) => e["event"] === "chain.start"), 120_000)
      const killed = victim.events.find((e) => e["event"] === "chain.start")!
      const victimDone = exited(victim.child)
      victim.child.kill("SIGKILL")
      await victimDone
      rescuer = startWorker(url, "rescuer")
      await run
      expectSameAsLocal(out, local, FAULT_CHAINS)
      // the victim never finished it; the rescuer did, once
      expect(victim.events.some((e) => e["event"] === "chain.done" && e["run"] === killed["run"] && e["chain"] === killed["chain"])).toBe(false)
      const finishedBy = rescuer.events.filter((e) => e["event"] === "chain.done" && e["run"] === killed["run"] && e["chain"] === killed["chain"])
      expect(finishedBy.length).toBe(1)
    } finally {
      for (const w of [victim, rescuer]) if (w !== undefined && w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL")
    }
  })

  it("a policy that cannot load fails its jobs with the reason, after the configured attempts; the run still ends", async () => {
    const out = tmp("bad-policy")
    const outcome = await runQueuedBenchmark({
      ...queueOptions(redis.url, out),
      chains: suiteChains("calvin", { chains: 1 }),
      policy: { kind: "vla", backbone: "@robovla/no-such-backbone", head: "@robovla/no-such-head" },
      attempts: 2
    })
    expect(outcome.results.map((r) => r.index)).toEqual([0])
    for (const r of outcome.results) {
      expect(r.completed).toBe(0)
      expect(r.subtasks[0]!.error).toMatch(/cannot start a simulator with this policy.*no-such-backbone[\s\S]*after 2 attempt/)
    }
  })
})

describe.skipIf(binary === undefined)("a password-protected Redis, a TLS Redis", () => {
  it("runs with the password from the URL (or the environment option), and refuses a wrong one with a typed error", async () => {
    const server = await startRedisServer({ binary: binary!, persistence: false, args: ["--requirepass", "s3cret"] })
    try {
      const url = `redis://:s3cret@127.0.0.1:${server.port}/3`
      const events: Array<Record<string, unknown>> = []
      const worker = await startQueueWorker({
        connection: redisOptions(`redis://127.0.0.1:${server.port}/3`, { password: "s3cret" }),
        concurrency: 1,
        lockMs: 30_000,
        stalledIntervalMs: 30_000,
        maxStalled: 1,
        name: "in-process",
        log: (e) => events.push(e)
      })
      const out = tmp("password")
      try {
        await runQueuedBenchmark({ ...queueOptions(url, out), chains: suiteChains("calvin", { chains: 1 }), queueLabel: redact(url) })
      } finally {
        await worker.close()
      }
      expect(lines(out).map((r) => r.index)).toEqual([0])
      expect(fs.readFileSync(path.join(out, "queue.json"), "utf8")).not.toMatch(/s3cret/)
      expect(events.map((e) => e["event"])).toEqual(expect.arrayContaining(["worker.start", "run.attach", "chain.start", "chain.done", "worker.stop"]))
      await expect(runQueuedBenchmark({ ...queueOptions(`redis://:wrong@127.0.0.1:${server.port}`, tmp("wrong")), chains: suiteChains("calvin", { chains: 1 }) }))
        .rejects.toMatchObject({ _tag: "BenchError", reason: "QueueUnavailable" })
    } finally {
      await server.stop()
    }
  })

  it.skipIf(!hasOpenssl)("runs over rediss:// with the server's CA, and refuses a server it cannot verify", async () => {
    const dir = tmp("tls")
    const cert = path.join(dir, "cert.pem")
    const key = path.join(dir, "key.pem")
    // a self-signed certificate for 127.0.0.1, which is also the CA the client is given
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], { stdio: "ignore" })
    const server = await startRedisServer({ binary: binary!, persistence: false, tls: { cert, key } })
    try {
      expect(server.url).toMatch(/^rediss:/)
      const worker = await startQueueWorker({
        connection: redisOptions(server.url, { tlsCa: cert }),
        concurrency: 1,
        lockMs: 30_000,
        stalledIntervalMs: 30_000,
        maxStalled: 1,
        name: "tls"
      })
      const out = tmp("tls-run")
      try {
        await runQueuedBenchmark({ ...queueOptions(server.url, out), connection: redisOptions(server.url, { tlsCa: cert }), chains: suiteChains("calvin", { chains: 1 }) })
      } finally {
        await worker.close()
      }
      expect(lines(out).map((r) => r.index)).toEqual([0])
      // without the CA the self-signed server is not trusted
      await expect(runQueuedBenchmark({ ...queueOptions(server.url, tmp("untrusted")), chains: suiteChains("calvin", { chains: 1 }) }))
        .rejects.toMatchObject({ _tag: "BenchError", reason: "QueueUnavailable" })
    } finally {
      await server.stop()
    }
  })
})
