/**
 * The benchmark's remote adapters (`@robovla/bench`, speaking through `@robovla/client`) against this gateway on a
 * local port: the scripted expert over REST sessions and the openpi WebSocket, and an exported ONNX policy served by
 * an `onnx` deployment. These live here, not in bench, because bench depends on no app.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { runBenchmark, suiteChains } from "@robovla/bench"
import { exportPolicy } from "@robovla/export"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DEFAULT_CONFIG_FILE } from "../src/Config.ts"
import type { RunningGateway } from "../src/Server.ts"
import { start } from "./helpers.ts"

const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `robovla-${name}-`))
const base = { scene: "D", seed: 0, resume: false, videos: 0, videoStride: 5, videoSize: 64, workers: 1 }

describe("bench remote policies against npm start's scripted expert deployment", () => {
  let gateway: RunningGateway
  beforeAll(async () => {
    gateway = await start({ ...DEFAULT_CONFIG_FILE, port: 0, defaultDeployment: "expert", deployments: DEFAULT_CONFIG_FILE.deployments.filter((d) => d.id === "expert") })
  })
  afterAll(async () => {
    await gateway?.drain(5_000)
  })

  const calvin = { ...base, suite: "calvin", actTimeoutMs: 5_000, actionsPerQuery: 1, maxSteps: 360 }

  it("scores the expert over REST sessions as it scores in process", async () => {
    const chains = suiteChains("calvin", { chains: 1 })
    const local = await runBenchmark({ ...calvin, chains, policy: { kind: "oracle" }, outDir: tmp("local") })
    const remote = await runBenchmark({ ...calvin, chains, policy: { kind: "http", url: gateway.url, policy: "expert" }, outDir: tmp("http") })
    expect(remote.summary.failures_by_outcome).not.toHaveProperty("policy_error")
    expect(remote.results.map((r) => r.completed)).toEqual(local.results.map((r) => r.completed))
  })

  it("runs chains over the openpi WebSocket protocol", async () => {
    const chains = suiteChains("calvin", { chains: 1 })
    const ws = await runBenchmark({ ...calvin, chains, policy: { kind: "ws", url: gateway.url.replace("http", "ws") + "/ws/expert" }, outDir: tmp("ws") })
    expect(ws.summary.failures_by_outcome).not.toHaveProperty("policy_error")
    expect(ws.summary.avg_seq_len).toBeGreaterThanOrEqual(1)
  })
})

const backboneConfig = {
  seed: 1, imageSize: 16, patchSize: 8, visionWidth: 16, visionLayers: 1, visionHeads: 2, hiddenSize: 32, textLayers: 1, textHeads: 2,
  mlpRatio: 2, maxPositions: 128, bpeMerges: 32,
  trainSetup: { freezeBackbone: false, trainVision: true, trainTextEmbedding: true, trainDecoderLayers: -1, loraEnable: false, loraR: 4, loraAlpha: 8, loraDropout: 0 }
}

describe("bench chains against an exported policy, in-process and behind an onnx deployment", () => {
  let dir: string
  let gateway: RunningGateway
  beforeAll(async () => {
    dir = path.join(tmp("bench-onnx"), "export")
    await Effect.runPromise(Effect.scoped(exportPolicy({
      backbone: "@robovla/backbone-tiny-vlm",
      head: "@robovla/head-gpt",
      backboneConfig,
      headConfig: { hidden_size: 32, mlp_widths: [16], n_layer: 1, n_head: 2 },
      vla: { window_size: 3, fwd_pred_next_n: 2, act_head: { type: "gpt", history_type: "post" } }
    }, { outDir: dir, verify: false })))
    gateway = await start({ deployments: [{ id: "tiny", kind: "onnx", dir, executionProvider: "cpu", preload: true }] })
  })
  afterAll(async () => {
    await gateway?.drain(5_000)
  })

  it("runs two short chains both ways with the same steps and outcomes", async () => {
    const smoke = { ...base, suite: "smoke", actTimeoutMs: 30_000, actionsPerQuery: 2, maxSteps: 6 }
    const chains = suiteChains("smoke", { chains: 2 })
    const local = await runBenchmark({ ...smoke, chains, policy: { kind: "onnx", dir, executionProvider: "cpu" }, outDir: tmp("onnx-local") })
    const remote = await runBenchmark({ ...smoke, chains, policy: { kind: "http", url: gateway.url, policy: "tiny" }, outDir: tmp("onnx-http") })
    for (const run of [local, remote]) {
      expect(run.results).toHaveLength(2)
      expect(run.summary.failures_by_outcome).not.toHaveProperty("policy_error")
      expect(run.summary.failures_by_outcome).not.toHaveProperty("malformed_action")
      // An untrained policy acts for the whole step budget of the first subtask, then the chain ends.
      for (const r of run.results) expect(r.subtasks[0]!.outcome).toBe("timeout")
    }
    expect(remote.results.map((r) => r.steps)).toEqual(local.results.map((r) => r.steps))
  })
})
