/**
 * An `onnx` deployment end to end: a tiny-vlm + LSTM policy exported by `@robovla/export`, served from its
 * folder on a real loopback port; the execution provider is reported in the metadata and /metrics, and the
 * served actions (session history included) equal the export called in-process.
 */
import { exportPolicy, loadExportedPolicy } from "@robovla/export"
import { Effect } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { PolicyClient } from "@robovla/client"
import { resolveConfig } from "../src/Config.ts"
import type { RunningGateway } from "../src/Server.ts"
import { start } from "./helpers.ts"

const backboneConfig = {
  seed: 1, imageSize: 16, patchSize: 8, visionWidth: 16, visionLayers: 1, visionHeads: 2, hiddenSize: 32, textLayers: 1, textHeads: 2,
  mlpRatio: 2, maxPositions: 128, bpeMerges: 32,
  trainSetup: { freezeBackbone: false, trainVision: true, trainTextEmbedding: true, trainDecoderLayers: -1, loraEnable: false, loraR: 4, loraAlpha: 8, loraDropout: 0 }
}

const image = (h: number, w: number, seed: number) => {
  const data = new Uint8Array(h * w * 3)
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 17) & 0xff
  return { data, height: h, width: w }
}

describe("onnx deployment (an exported policy folder on onnxruntime-node)", () => {
  let gw: RunningGateway
  let dir: string
  beforeAll(async () => {
    dir = join(mkdtempSync(join(tmpdir(), "robovla-gw-onnx-")), "export")
    await Effect.runPromise(Effect.scoped(exportPolicy({
      backbone: "@robovla/backbone-tiny-vlm",
      head: "@robovla/head-lstm",
      backboneConfig,
      headConfig: { hidden_size: 32, mlp_widths: [16], num_layers: 1 },
      vla: { window_size: 3, fwd_pred_next_n: 2, act_head: { type: "lstm", history_type: "post" } }
    }, { outDir: dir, verify: false })))
    gw = await start({ deployments: [{ id: "tiny", kind: "onnx", dir, preload: true }] })
  })
  afterAll(() => gw?.drain())

  it("serves the export, reports its execution provider, and answers what the export answers in-process", async () => {
    const client = new PolicyClient({ baseUrl: gw.url })
    const info = await client.getPolicy("tiny")
    const provider = (info.metadata as { details: Record<string, unknown> }).details["executionProvider"]
    expect(["cuda", "webgpu", "cpu"]).toContain(provider)
    expect(info.metadata).toMatchObject({ chunk_size: 2, window_size: 3, details: { runtime: "onnxruntime-node", head: "lstm" } })

    const metrics = await (await fetch(`${gw.url}/metrics`)).text()
    expect(metrics).toContain(`robovla_gateway_execution_provider{deployment="tiny",provider="${String(provider)}"} 1`)

    const observations = [1, 2, 3, 4].map((seed) => ({ robotObs: new Array(15).fill(0), sceneObs: new Array(24).fill(0), rgbStatic: image(200, 200, seed) }))
    const sid = await client.createSession("tiny")
    const served = []
    for (const o of observations) served.push((await client.sessionAct("tiny", sid, o, "open the drawer")).actions)
    const direct = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const model = yield* loadExportedPolicy(dir, { executionProvider: provider as "cpu" })
      const policy = yield* model.policy()
      const out = []
      for (const o of observations) out.push(yield* policy.act(o, "open the drawer"))
      return out
    })))
    expect(served).toHaveLength(4)
    served.forEach((chunk, i) => chunk.forEach((action, n) => action.forEach((v, k) => expect(v).toBeCloseTo(direct[i]![n]![k]!, 5))))
    // History matters: the same frame at step 1 and step 4 would give the same action only by chance.
    expect(JSON.stringify(served[0])).not.toBe(JSON.stringify(served[3]))
  })

  it("an onnx deployment without dir is a config error naming the field", () => {
    expect(() => resolveConfig({ deployments: [{ id: "x", kind: "onnx" }] }, {})).toThrow(/dir is required for a 'onnx' deployment/)
    expect(() => resolveConfig({ deployments: [{ id: "x", kind: "onnx", dir: "/d", executionProvider: "tpu" }] }, {})).toThrow(/executionProvider/)
  })
})
