/**
 * The onnx policy spec: a tiny-vlm + GPT policy exported by `@robovla/export`, benchmarked in-process
 * (`onnx:<folder>`) and through a real gateway serving the same folder (`kind: "onnx"` deployment) over REST.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { exportPolicy } from "@robovla/export"
import { resolveConfig, startGateway } from "@robovla/gateway"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { describePolicy, parsePolicyArg } from "../src/PolicySpec.ts"
import { runBenchmark } from "../src/Runner.ts"
import { suiteChains } from "../src/Suites.ts"

const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `robovla-${name}-`))
const base = { suite: "smoke", scene: "D", seed: 0, actTimeoutMs: 30_000, actionsPerQuery: 2, videoStride: 5, videoSize: 64, resume: false, videos: 0, workers: 1, maxSteps: 6 }

const backboneConfig = {
  seed: 1, imageSize: 16, patchSize: 8, visionWidth: 16, visionLayers: 1, visionHeads: 2, hiddenSize: 32, textLayers: 1, textHeads: 2,
  mlpRatio: 2, maxPositions: 128, bpeMerges: 32,
  trainSetup: { freezeBackbone: false, trainVision: true, trainTextEmbedding: true, trainDecoderLayers: -1, loraEnable: false, loraR: 4, loraAlpha: 8, loraDropout: 0 }
}

describe("--policy onnx:<folder>", () => {
  it("parses the folder and an optional provider; bad forms are named", () => {
    expect(parsePolicyArg("onnx:exports/tiny")).toEqual({ kind: "onnx", dir: "exports/tiny" })
    expect(parsePolicyArg("onnx:/x/y@cuda")).toEqual({ kind: "onnx", dir: "/x/y", executionProvider: "cuda" })
    expect(describePolicy({ kind: "onnx", dir: "/x/y", executionProvider: "cpu" })).toBe("onnx /x/y on cpu")
    expect(() => parsePolicyArg("onnx:")).toThrow(/onnx:<export-folder>/)
  })
})

describe("chains against an exported policy, in-process and behind the gateway", () => {
  let dir: string
  let gateway: Awaited<ReturnType<typeof startGateway>>
  beforeAll(async () => {
    dir = path.join(tmp("bench-onnx"), "export")
    await Effect.runPromise(Effect.scoped(exportPolicy({
      backbone: "@robovla/backbone-tiny-vlm",
      head: "@robovla/head-gpt",
      backboneConfig,
      headConfig: { hidden_size: 32, mlp_widths: [16], n_layer: 1, n_head: 2 },
      vla: { window_size: 3, fwd_pred_next_n: 2, act_head: { type: "gpt", history_type: "post" } }
    }, { outDir: dir, verify: false })))
    gateway = await startGateway(resolveConfig({ host: "127.0.0.1", port: 0, deployments: [{ id: "tiny", kind: "onnx", dir, executionProvider: "cpu", preload: true }] }, {}), { awaitPreload: true })
  })
  afterAll(async () => {
    await gateway?.drain(5_000)
  })

  it("runs two short chains both ways with the same steps and outcomes", async () => {
    const chains = suiteChains("smoke", { chains: 2 })
    const local = await runBenchmark({ ...base, chains, policy: { kind: "onnx", dir, executionProvider: "cpu" }, outDir: tmp("onnx-local") })
    const remote = await runBenchmark({ ...base, chains, policy: { kind: "http", url: gateway.url, policy: "tiny" }, outDir: tmp("onnx-http") })
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
