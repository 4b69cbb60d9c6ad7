/**
 * The scripted expert deployment of `npm start` (by name; the default when no trained policy ships): a `module` deployment naming
 * `@robovla/sim/expert-policy` (the gateway imports no simulator), served over REST and the openpi WebSocket.
 */
import { PolicyClient } from "@robovla/client"
import type { PolicyModel } from "@robovla/sdk"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DEFAULT_CONFIG_FILE, EXPERT_POLICY_MODULE } from "../src/Config.ts"
import type { RunningGateway } from "../src/Server.ts"
import { json, post, start } from "./helpers.ts"

const ROBOT_OBS = [0.0259, -0.2313, 0.5713, 3.0905, -0.0291, 1.5001, 0.08, -1.2178, 1.0399, 2.1198, -2.3421, -0.8702, 1.6412, 0.5534, 1]
const SCENE_OBS = [0, 0, 0, 0, 0, 0, -0.15, -0.12, 0.46, 0, 0, 1.5708, 0.03, -0.12, 0.46, 0, 0, 1.5708, -0.2409, 0.0924, 0.461, 0, 0, 1.5708]

describe("default deployment: the scripted expert as a module deployment", () => {
  let gw: RunningGateway
  beforeAll(async () => {
    // The default config without the trained policy: the expert is then the default (also at the WebSocket's /).
    gw = await start({ ...DEFAULT_CONFIG_FILE, port: 0, defaultDeployment: "expert", deployments: DEFAULT_CONFIG_FILE.deployments.filter((d) => d.id !== "default-vla") })
  })
  afterAll(() => gw.drain())

  it("answers the README's curl body with one relative action, gripper ±1, equal to the module's policy in-process", async () => {
    const res = await post(`${gw.url}/v1/policies/expert/act`, { instruction: "open the drawer", observation: { robot_obs: ROBOT_OBS, scene_obs: SCENE_OBS } })
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body.actions).toHaveLength(1)
    expect(body.actions[0]).toHaveLength(7)
    expect(Math.abs(body.actions[0][6])).toBe(1)
    const expertModule = (await import(EXPERT_POLICY_MODULE)) as { makePolicyModel: (options: unknown) => Effect.Effect<PolicyModel, unknown> }
    const model = await Effect.runPromise(expertModule.makePolicyModel({ scene: "D" }))
    const direct = await Effect.runPromise(Effect.flatMap(model.policy(), (p) => p.act({ robotObs: ROBOT_OBS, sceneObs: SCENE_OBS }, "open the drawer")))
    expect(body.actions).toEqual(direct.map((a) => [...a]))
  })

  it("needs scene_obs (400 naming it) and rejects instructions it has no task for (422)", async () => {
    const missing = await post(`${gw.url}/v1/policies/expert/act`, { instruction: "open the drawer", observation: { robot_obs: ROBOT_OBS } })
    expect(missing.status).toBe(400)
    expect((await json(missing)).error.field).toBe("observation.scene_obs")
    const unknown = await post(`${gw.url}/v1/policies/expert/act`, { instruction: "dance", observation: { robot_obs: ROBOT_OBS, scene_obs: SCENE_OBS } })
    expect(unknown.status).toBe(422)
  })

  it("is the default policy on the openpi WebSocket at /", async () => {
    const ws = await new PolicyClient({ baseUrl: gw.url }).connect()
    expect(ws.metadata).toMatchObject({ name: "scripted-expert", policy_id: "expert", inputs: { scene_obs: true }, details: { scene: "D" } })
    const reply = await ws.act({ robotObs: ROBOT_OBS, sceneObs: SCENE_OBS }, "open the drawer")
    expect(reply.actions).toHaveLength(1)
    await ws.close()
  })

  it("fails to load with the module's own message when its options are wrong", async () => {
    const bad = await start({ deployments: [{ id: "expert", kind: "module", module: EXPERT_POLICY_MODULE, options: { scene: "Z" } }] })
    try {
      const res = await post(`${bad.url}/v1/policies/expert/act`, { instruction: "open the drawer", observation: { robot_obs: ROBOT_OBS, scene_obs: SCENE_OBS } })
      expect(res.status).toBe(502)
      expect((await json(res)).error.message).toMatch(/InvalidInput[\s\S]*scene/)
    } finally {
      await bad.drain()
    }
  })
})
