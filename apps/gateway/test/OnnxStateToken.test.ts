/**
 * An `onnx` deployment of a policy with a robot_obs state token (exported with `state_token.onnx`): the gateway
 * asks clients for robot_obs (metadata, 400 naming the field when it is missing) and the served actions, which
 * follow robot_obs, equal the export called in-process.
 */
import { exportPolicyModel, loadExportedPolicy } from "@robovla/export"
import { PolicyClient, toWireObservation } from "@robovla/client"
import { Assembly, loadPolicyModel, makeVlaPolicyModel, mulberry32, type ObservationFrame } from "@robovla/sdk"
import { Effect } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningGateway } from "../src/Server.ts"
import { json, post, start } from "./helpers.ts"

const D = 32
const backboneConfig = {
  seed: 1, imageSize: 16, patchSize: 8, visionWidth: 16, visionLayers: 1, visionHeads: 2, hiddenSize: D, textLayers: 1, textHeads: 2,
  mlpRatio: 2, maxPositions: 128, bpeMerges: 32,
  trainSetup: { freezeBackbone: false, trainVision: true, trainTextEmbedding: true, trainDecoderLayers: -1, loraEnable: false, loraR: 4, loraAlpha: 8, loraDropout: 0 }
}
const headConfig = { hidden_size: 32, mlp_widths: [16], num_layers: 1 }

const image = (h: number, w: number, seed: number) => {
  const data = new Uint8Array(h * w * 3)
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 17) & 0xff
  return { data, height: h, width: w }
}
const robotObs = (k: number, gripper: number) => [0.1 * k, -0.05, 0.5, 3.0 - 0.3 * k, 0.1, 1.5, 0.07, 0, 0, 0, 0, 0, 0, 0, gripper]

describe("onnx deployment of a state-token policy", () => {
  let gw: RunningGateway
  let dir: string
  beforeAll(async () => {
    dir = join(mkdtempSync(join(tmpdir(), "robovla-gw-onnx-state-")), "export")
    const random = mulberry32(9)
    const tensor = (shape: ReadonlyArray<number>) => ({ data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (random() - 0.5) * 2), shape })
    const stateToken = Assembly.makeStateTokenEncoder({
      "arm.weight": tensor([6, D]), "arm.bias": tensor([D]), "gripper.weight": tensor([2, D]), "fuse.weight": tensor([2 * D, D]), "fuse.bias": tensor([D])
    }, D)
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const seeded = yield* loadPolicyModel({
        backbone: "@robovla/backbone-tiny-vlm",
        head: "@robovla/head-lstm",
        backboneConfig,
        headConfig,
        vla: { window_size: 3, fwd_pred_next_n: 2, act_head: { type: "lstm", history_type: "post" } }
      })
      const model = yield* makeVlaPolicyModel({ backbone: seeded.backbone, head: seeded.head, config: seeded.config, stateToken })
      yield* exportPolicyModel(model, { backbone: "@robovla/backbone-tiny-vlm", head: "@robovla/head-lstm", headConfig }, { outDir: dir, verify: { steps: 6, tolerance: 1e-5 } })
    })))
    gw = await start({ deployments: [{ id: "state", kind: "onnx", dir, preload: true }] })
  })
  afterAll(() => gw?.drain())

  it("asks for robot_obs, refuses a request without it, and serves what the export answers in-process", async () => {
    const client = new PolicyClient({ baseUrl: gw.url })
    const info = await client.getPolicy("state")
    expect(info.metadata).toMatchObject({ inputs: { robot_obs: true, rgb_static: true }, details: { runtime: "onnxruntime-node", stateToken: true } })

    const { robot_obs: _, ...withoutRobotObs } = toWireObservation({ robotObs: robotObs(0, 1), sceneObs: new Array(24).fill(0), rgbStatic: image(200, 200, 1) })
    const missing = await post(`${gw.url}/v1/policies/state/act`, { instruction: "open the drawer", observation: withoutRobotObs })
    expect(missing.status).toBe(400)
    expect((await json(missing)).error.field).toBe("observation.robot_obs")

    const observations: Array<ObservationFrame> = [[0, 1], [1, 1], [1, -1], [2, -1]].map(([k, g], i) => ({ robotObs: robotObs(k!, g!), sceneObs: new Array(24).fill(0), rgbStatic: image(200, 200, i % 2) }))
    const sid = await client.createSession("state")
    const served = []
    for (const o of observations) served.push((await client.sessionAct("state", sid, o, "open the drawer")).actions)
    const direct = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const model = yield* loadExportedPolicy(dir, { executionProvider: "cpu" })
      const policy = yield* model.policy()
      const out = []
      for (const o of observations) out.push(yield* policy.act(o, "open the drawer"))
      return out
    })))
    served.forEach((chunk, i) => chunk.forEach((action, n) => action.forEach((v, k) => expect(v).toBeCloseTo(direct[i]![n]![k]!, 5))))
    // robot_obs reaches the graph: the same images with another robot_obs give other actions.
    const fresh = await client.createSession("state")
    const a = (await client.sessionAct("state", fresh, { ...observations[0]!, robotObs: robotObs(0, -1) }, "open the drawer")).actions
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(served[0]))
  })
})
