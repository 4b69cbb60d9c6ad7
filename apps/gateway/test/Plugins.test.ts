/**
 * A `plugins` deployment end to end: backbone and head plugin packages (the SDK's mock plugins, published
 * as two tiny packages in a temp project) assembled by the SDK's `loadPolicyModel` inside the worker, served
 * over REST, equal to the same model called in-process.
 */
import { loadPolicyModel } from "@robovla/sdk"
import { Effect } from "effect"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { register } from "tsx/esm/api"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { PolicyClient } from "@robovla/client"
import type { RunningGateway } from "../src/Server.ts"
import { start } from "./helpers.ts"

const makeProject = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "robovla-gw-plugins-"))
  const testing = new URL("../../../packages/sdk/src/testing/index.ts", import.meta.url).href
  for (const [kind, name] of [["backbone", "mockBackbonePlugin"], ["head", "mockHeadPlugin"]] as const) {
    const pkg = join(dir, "node_modules", "@fixture", `${kind}-mock`)
    mkdirSync(pkg, { recursive: true })
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: `@fixture/${kind}-mock`, version: "0.1.0", type: "module", robovla: { kind }, exports: { ".": "./index.js" } }))
    writeFileSync(join(pkg, "index.js"), `export { ${name} as plugin } from ${JSON.stringify(testing)}\n`)
  }
  return dir
}

const image = (h: number, w: number, seed: number) => {
  const data = new Uint8Array(h * w * 3)
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 17) & 0xff
  return { data, height: h, width: w }
}

describe("plugins deployment (SDK assembly in the worker)", () => {
  let gw: RunningGateway
  let dir: string
  beforeAll(async () => {
    // The in-process comparison imports the fixture packages natively; they re-export TypeScript.
    register()
    dir = makeProject()
    gw = await start({ deployments: [{ id: "vla", kind: "plugins", backbone: "@fixture/backbone-mock", head: "@fixture/head-mock", config: { from: dir }, preload: true }] })
  })
  afterAll(() => gw.drain())

  it("serves the assembled VLA and answers exactly what the model answers in-process", async () => {
    const client = new PolicyClient({ baseUrl: gw.url })
    const info = await client.getPolicy("vla")
    expect(info.metadata).toMatchObject({ name: "mock+mock", chunk_size: 10, inputs: { rgb_static: true } })
    const observation = { robotObs: new Array(15).fill(0.1), sceneObs: new Array(24).fill(0), rgbStatic: image(200, 200, 1), rgbGripper: image(84, 84, 2) }
    const sid = await client.createSession("vla")
    const served = [
      (await client.sessionAct("vla", sid, observation, "open the drawer")).actions,
      (await client.sessionAct("vla", sid, observation, "open the drawer")).actions
    ]
    const direct = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const model = yield* loadPolicyModel({ backbone: "@fixture/backbone-mock", head: "@fixture/head-mock", from: dir })
      const policy = yield* model.policy()
      return [yield* policy.act(observation, "open the drawer"), yield* policy.act(observation, "open the drawer")]
    })))
    expect(served[0]).toHaveLength(10)
    served.forEach((chunk, s) => chunk.forEach((action, i) => action.forEach((v, j) => expect(v).toBeCloseTo(direct[s]![i]![j]!, 9))))
    // Stateless calls see a fresh history each time: equal to the session's first step.
    expect((await client.act("vla", observation, "open the drawer")).actions).toEqual(served[0])
    // The openpi WebSocket carries the images as uint8 ndarrays and gets the same chunk (float64 on the wire).
    const ws = await client.connect("vla")
    const viaWs = await ws.act(observation, "open the drawer")
    viaWs.actions.forEach((action, i) => action.forEach((v, j) => expect(v).toBeCloseTo(served[0]![i]![j]!, 9)))
    await ws.close()
  })
})
