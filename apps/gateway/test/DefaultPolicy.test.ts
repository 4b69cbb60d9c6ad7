/**
 * `npm start`'s default deployment: the trained policy in `models/default` (tiny-vlm + a policy head), answering
 * from the cameras and an instruction: the README's curl body (`examples/act-request.json`, made by
 * `robovla render --request`), a server-side session, and the openpi WebSocket at `/`.
 */
import { PolicyClient } from "@robovla/client"
import * as fs from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DEFAULT_CONFIG_FILE } from "../src/Config.ts"
import type { RunningGateway } from "../src/Server.ts"
import { json, post, start } from "./helpers.ts"

const REQUEST = JSON.parse(fs.readFileSync(new URL("../examples/act-request.json", import.meta.url), "utf8"))

describe("default deployment: the trained policy (models/default)", () => {
  let gw: RunningGateway
  beforeAll(async () => {
    gw = await start({ ...DEFAULT_CONFIG_FILE, port: 0, deployments: DEFAULT_CONFIG_FILE.deployments.filter((d) => d.id !== "expert") })
  }, 120_000)
  afterAll(() => gw?.drain())

  it("answers the README's curl body (PNG cameras + instruction) with a chunk of 7-D actions, gripper ±1", async () => {
    const res = await post(`${gw.url}/v1/policies/default-vla/act`, REQUEST)
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body.actions.length).toBeGreaterThanOrEqual(1)
    for (const action of body.actions) {
      expect(action).toHaveLength(7)
      expect(action.slice(0, 6).every((v: number) => Number.isFinite(v) && Math.abs(v) <= 1)).toBe(true)
      expect(Math.abs(action[6])).toBe(1)
    }
  }, 60_000)

  it("says what it needs: its metadata asks for the cameras, never scene_obs, and a body without images is a 400", async () => {
    const ws = await new PolicyClient({ baseUrl: gw.url }).connect()
    expect(ws.metadata).toMatchObject({ policy_id: "default-vla", inputs: { rgb_static: true, scene_obs: false } })
    await ws.close()
    const res = await post(`${gw.url}/v1/policies/default-vla/act`, { instruction: "open the drawer", observation: { robot_obs: REQUEST.observation.robot_obs } })
    expect(res.status).toBe(400)
    expect((await json(res)).error.field).toMatch(/rgb_static/)
  }, 60_000)

  it("keeps a W-frame history in a session: the same frame twice gives a chunk each time", async () => {
    const client = new PolicyClient({ baseUrl: gw.url })
    const sid = await client.createSession("default-vla")
    const images = REQUEST.observation
    for (let i = 0; i < 2; i++) {
      const res = await post(`${gw.url}/v1/policies/default-vla/sessions/${sid}/act`, { instruction: REQUEST.instruction, observation: images })
      expect(res.status).toBe(200)
      expect((await json(res)).actions[0]).toHaveLength(7)
    }
  }, 60_000)
})
