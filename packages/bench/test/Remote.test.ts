/**
 * The remote adapters against servers that answer garbage (REST and openpi WebSocket): every chain is recorded as a
 * failure and the run finishes. The adapters against a real gateway are tested in apps/gateway (Bench.test.ts),
 * since bench depends on no app.
 */
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { MsgpackNumpy } from "@robovla/client"
import { WebSocketServer } from "ws"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runBenchmark } from "../src/Runner.ts"
import { suiteChains } from "../src/Suites.ts"

const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `robovla-${name}-`))
const base = { suite: "calvin", scene: "D", seed: 0, actTimeoutMs: 5_000, actionsPerQuery: 1, videoStride: 5, videoSize: 64, resume: false, videos: 0, workers: 1 }

describe("a server that returns garbage", () => {
  let server: http.Server
  let wss: WebSocketServer
  let url = ""
  let wsUrl = ""
  let calls = 0
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      calls += 1
      if (req.method === "GET") {
        res.setHeader("content-type", "application/json")
        return res.end(JSON.stringify({ id: "junk", kind: "mock", default: true, state: "warm", sessions: 0, metadata: { name: "junk", window_size: 1, chunk_size: 1, action_space: "relative", inputs: { rgb_static: false, rgb_gripper: false, robot_obs: true, scene_obs: true } } }))
      }
      if (req.url?.endsWith("/sessions")) return res.end(JSON.stringify({ session_id: "s1" }))
      if (req.url?.endsWith("/reset")) return res.end("{}")
      // act: alternate between nonsense shapes, NaN-ish strings and a server error
      const replies = [() => res.end(JSON.stringify({ actions: "banana" })), () => res.end("not json at all"), () => ((res.statusCode = 500), res.end("{}")), () => res.end(JSON.stringify({ actions: [[1, 2, 3]] }))]
      replies[calls % replies.length]!()
    })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    wss = new WebSocketServer({ port: 0, host: "127.0.0.1" })
    await new Promise<void>((r) => wss.once("listening", () => r()))
    wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`
    wss.on("connection", (socket) => {
      socket.send(MsgpackNumpy.encode({ name: "junk" }))
      socket.on("message", () => socket.send(MsgpackNumpy.encode({ actions: { "__ndarray__": true, data: new Uint8Array(3), dtype: "<f4", shape: [7, 7] } })))
    })
  })
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()))
    await new Promise<void>((r) => wss.close(() => r()))
  })

  it("records garbage over REST as failed chains and finishes the run", async () => {
    const chains = suiteChains("calvin", { chains: 4 })
    const outcome = await runBenchmark({ ...base, chains, maxSteps: 20, policy: { kind: "http", url, policy: "junk" }, outDir: tmp("junk-http") })
    expect(outcome.results).toHaveLength(4)
    expect(outcome.summary.avg_seq_len).toBe(0)
    for (const r of outcome.results) expect(["malformed_action", "policy_error"]).toContain(r.subtasks[0]!.outcome)
  })

  it("records garbage over WebSocket as failed chains and finishes the run", async () => {
    const chains = suiteChains("calvin", { chains: 2 })
    const outcome = await runBenchmark({ ...base, chains, maxSteps: 20, policy: { kind: "ws", url: wsUrl }, outDir: tmp("junk-ws") })
    expect(outcome.results).toHaveLength(2)
    for (const r of outcome.results) expect(["malformed_action", "policy_error"]).toContain(r.subtasks[0]!.outcome)
  })
})
