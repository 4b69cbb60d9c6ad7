/**
 * Load benchmark for the gateway, loopback only and bounded in time and count.
 *
 * Starts the real entry point (`src/main.ts`) in a child process with four mock deployments (simulated
 * forward pass of 0 or 5 ms per batch; batching with a 2 ms window / max 32, without a window (dispatch when the worker is idle,
 * batch what queues while it is busy; max 32), or off = max batch 1), then drives it
 * from this process with 1, 8 and 32 concurrent keep-alive clients over REST and the openpi WebSocket.
 * Reports p50/p99 latency, throughput and the mean batch size the server reported, plus the cost of
 * calling the same policy in-process (no gateway) to show the gateway's overhead.
 *
 * Usage: npm run bench -w @robovla/gateway [-- --seconds 3 --max-requests 5000]
 */
import { spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { cpus, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { PolicyModel } from "@robovla/sdk"
import { Effect } from "effect"
import { NdArray, OpenpiConnection } from "@robovla/client"
import { EXPERT_POLICY_MODULE } from "../src/Config.ts"
import { makeMockPolicyModel } from "../src/worker/MockPolicyModel.ts"

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const SECONDS = arg("seconds", 3)
const MAX_REQUESTS = arg("max-requests", 5000)
const CONCURRENCY = [1, 8, 32]

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url))
const ROOT = fileURLToPath(new URL("..", import.meta.url))

const EXPERT_ROBOT_OBS = [0.0259, -0.2313, 0.5713, 3.0905, -0.0291, 1.5001, 0.08, -1.2178, 1.0399, 2.1198, -2.3421, -0.8702, 1.6412, 0.5534, 1]
const EXPERT_SCENE_OBS = [0, 0, 0, 0, 0, 0, -0.15, -0.12, 0.46, 0, 0, 1.5708, 0.03, -0.12, 0.46, 0, 0, 1.5708, -0.2409, 0.0924, 0.461, 0, 0, 1.5708]
const robotObs = Array.from({ length: 15 }, (_, i) => Math.sin(i) * 0.3)
const body = JSON.stringify({ observation: { robot_obs: robotObs }, instruction: "open the drawer" })

/** window: wait up to 2 ms to fill a batch; idle: send at once when the worker is idle, batch what queues while it is busy; off: one call per batch. */
type Mode = "window" | "idle" | "off"
const MODES: ReadonlyArray<Mode> = ["window", "idle", "off"]
const MODE_TEXT: Record<Mode, string> = { window: "2 ms window", idle: "when idle", off: "off" }

const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

interface Row {
  readonly transport: "REST" | "WS"
  readonly forwardMs: number
  readonly batching: Mode
  readonly clients: number
  readonly requests: number
  readonly p50: number
  readonly p99: number
  readonly rps: number
  readonly meanBatch: number
}

/** Runs `clients` loops of `call` until the time or count bound; each call returns the server's batch size. */
const drive = async (clients: number, call: (i: number) => Promise<number>) => {
  // Warm-up (not measured): opens the keep-alive connections and lets both sides' JIT settle.
  const warmUntil = performance.now() + 300
  await Promise.all(Array.from({ length: clients }, async (_, i) => {
    while (performance.now() < warmUntil) await call(i)
  }))
  const latencies: Array<number> = []
  let batchSum = 0
  let issued = 0
  const started = performance.now()
  const deadline = started + SECONDS * 1000
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      while (performance.now() < deadline && issued < MAX_REQUESTS) {
        issued++
        const t = performance.now()
        const batch = await call(i)
        latencies.push(performance.now() - t)
        batchSum += batch
      }
    })
  )
  const elapsed = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  return { requests: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), rps: latencies.length / elapsed, meanBatch: batchSum / latencies.length }
}

const startServer = async () => {
  const dir = mkdtempSync(join(tmpdir(), "robovla-bench-"))
  const config = join(dir, "gateway.json")
  const deployments = [0, 5].flatMap((ms) => [
    { id: `window-${ms}`, kind: "mock", latencyMs: ms, batchWindowMs: 2, maxBatch: 32, preload: true },
    { id: `idle-${ms}`, kind: "mock", latencyMs: ms, batchWindowMs: 0, maxBatch: 32, preload: true },
    { id: `off-${ms}`, kind: "mock", latencyMs: ms, batchWindowMs: 0, maxBatch: 1, preload: true }
  ])
  const expert = { id: "expert", kind: "module", module: EXPERT_POLICY_MODULE, options: { scene: "A" }, preload: true }
  writeFileSync(config, JSON.stringify({ port: 0, deployments: [...deployments, expert], rateLimit: { requestsPerSecond: 1e9, burst: 1e9 } }))
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, "--config", config], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] })
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = ""
    child.stdout.on("data", (d: Buffer) => {
      buffer += d.toString()
      // Only the first line matters; request logs after it are discarded.
      const line = buffer.split("\n")[0]!
      if (line.includes('"listening"')) resolve(JSON.parse(line).url)
    })
    child.on("exit", (code) => reject(new Error(`gateway exited (${code})`)))
  })
  child.stdout.removeAllListeners("data")
  child.stdout.resume()
  for (let i = 0; i < 300 && (await fetch(`${url}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100))
  return { url, stop: () => new Promise<void>((resolve) => (child.on("exit", () => resolve()), child.kill("SIGTERM"))) }
}

/** Times up to 2000 sequential in-process calls (no gateway). */
const timeCalls = async (make: () => Promise<() => Promise<unknown>>) => {
  const call = await make()
  const times: Array<number> = []
  const started = performance.now()
  while (times.length < 2000 && performance.now() - started < SECONDS * 1000) {
    const t = performance.now()
    await call()
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  return { p50: percentile(times, 50), p99: percentile(times, 99) }
}

const directCall = (forwardMs: number) =>
  timeCalls(async () => {
    const model = makeMockPolicyModel({ latencyMs: forwardMs })
    const policy = await Effect.runPromise(model.policy())
    const observation = { robotObs, sceneObs: new Array(24).fill(0) }
    return () => Effect.runPromise(model.actBatch([{ policy, observation, instruction: "open the drawer" }]))
  })

const main = async () => {
  const server = await startServer()
  const rows: Array<Row> = []
  const expertRows: Array<{ clients: number; requests: number; p50: number; p99: number; rps: number; meanBatch: number }> = []
  try {
    for (const forwardMs of [0, 5]) {
      for (const clients of CONCURRENCY) {
        // Modes interleaved per client count, so that background load hits them alike.
        for (const mode of MODES) {
          const id = `${mode}-${forwardMs}`
          const r = await drive(clients, async () => {
            const res = await fetch(`${server.url}/v1/policies/${id}/act`, { method: "POST", headers: { "content-type": "application/json" }, body })
            const json = (await res.json()) as { batch_size: number }
            if (res.status !== 200) throw new Error(`HTTP ${res.status}`)
            return json.batch_size
          })
          rows.push({ transport: "REST", forwardMs, batching: mode, clients, ...r })
          console.error(`REST ${id} c=${clients}: p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.rps.toFixed(0)} req/s, batch ${r.meanBatch.toFixed(2)}`)
        }
        for (const mode of ["window", "off"] as const) {
          const id = `${mode}-${forwardMs}`
          const conns = await Promise.all(Array.from({ length: clients }, () => OpenpiConnection.open(`${server.url.replace("http", "ws")}/ws/${id}`)))
          const state = NdArray.fromFloat32(Float32Array.from(robotObs), [15])
          const r = await drive(clients, async (i) => {
            const reply = await conns[i]!.infer({ "observation/state": state, prompt: "open the drawer" })
            return (reply["policy_timing"] as { batch_size: number }).batch_size
          })
          await Promise.all(conns.map((c) => c.close()))
          rows.push({ transport: "WS", forwardMs, batching: mode, clients, ...r })
          console.error(`WS ${id} c=${clients}: p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.rps.toFixed(0)} req/s, batch ${r.meanBatch.toFixed(2)}`)
        }
      }
    }
    // The default deployment, a real (cheap, CPU-bound) policy: the scripted expert.
    const expertBody = JSON.stringify({ observation: { robot_obs: EXPERT_ROBOT_OBS, scene_obs: EXPERT_SCENE_OBS }, instruction: "open the drawer" })
    for (const clients of CONCURRENCY) {
      const r = await drive(clients, async () => {
        const res = await fetch(`${server.url}/v1/policies/expert/act`, { method: "POST", headers: { "content-type": "application/json" }, body: expertBody })
        const json = (await res.json()) as { batch_size: number }
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`)
        return json.batch_size
      })
      expertRows.push({ clients, ...r })
      console.error(`REST expert c=${clients}: p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.rps.toFixed(0)} req/s, batch ${r.meanBatch.toFixed(2)}`)
    }
  } finally {
    await server.stop()
  }
  const direct = { 0: await directCall(0), 5: await directCall(5) }
  const directExpert = await timeCalls(async () => {
    // The same module the deployment loads, called in process.
    const expertModule = (await import(EXPERT_POLICY_MODULE)) as { makePolicyModel: (options: unknown) => Effect.Effect<PolicyModel, unknown> }
    const model = await Effect.runPromise(expertModule.makePolicyModel({ scene: "A" }))
    const policy = await Effect.runPromise(model.policy())
    const observation = { robotObs: EXPERT_ROBOT_OBS, sceneObs: EXPERT_SCENE_OBS }
    return () => Effect.runPromise(policy.act(observation, "open the drawer"))
  })

  const lines = [
    `Machine: ${cpus().length}-core ${process.arch} (${cpus()[0]?.model ?? "unknown"}), Node ${process.versions.node}; ${SECONDS} s or ${MAX_REQUESTS} requests per row; gateway in a child process, clients in this one.`,
    "",
    "| transport | forward pass | batching | clients | requests | p50 ms | p99 ms | req/s | mean batch |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.transport} | ${r.forwardMs} ms | ${MODE_TEXT[r.batching]} | ${r.clients} | ${r.requests} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.rps.toFixed(0)} | ${r.meanBatch.toFixed(2)} |`),
    "",
    "| in-process call (no gateway) | p50 ms | p99 ms | gateway overhead at 1 client, REST p50 | WS p50 |",
    "|---|---|---|---|---|",
    ...([0, 5] as const).map((ms) => {
      const rest = rows.find((r) => r.transport === "REST" && r.forwardMs === ms && r.batching === "off" && r.clients === 1)!
      const ws = rows.find((r) => r.transport === "WS" && r.forwardMs === ms && r.batching === "off" && r.clients === 1)!
      return `| forward pass ${ms} ms | ${direct[ms].p50.toFixed(3)} | ${direct[ms].p99.toFixed(3)} | +${(rest.p50 - direct[ms].p50).toFixed(2)} ms | +${(ws.p50 - direct[ms].p50).toFixed(2)} ms |`
    }),
    "",
    `Default deployment (scripted expert, scene A), REST, default batching (2 ms window); in-process \`policy.act\`: p50 ${directExpert.p50.toFixed(3)} ms, p99 ${directExpert.p99.toFixed(3)} ms.`,
    "",
    "| clients | requests | p50 ms | p99 ms | req/s | mean batch |",
    "|---|---|---|---|---|---|",
    ...expertRows.map((r) => `| ${r.clients} | ${r.requests} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.rps.toFixed(0)} | ${r.meanBatch.toFixed(2)} |`)
  ]
  console.log(lines.join("\n"))
}

await main()
