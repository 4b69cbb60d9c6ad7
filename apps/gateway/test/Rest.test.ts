import jpeg from "jpeg-js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ClientError, encodePng, PolicyClient } from "@robovla/client"
import { openApiDocument } from "../src/OpenApi.ts"
import { routes } from "../src/Routes.ts"
import type { RunningGateway } from "../src/Server.ts"
import { mockChunk } from "../src/worker/MockPolicyModel.ts"
import { FAULTY, json, post, robotObs, start, validBody } from "./helpers.ts"

const KEY = "test-key-0123456789abcdef"
const auth = { authorization: `Bearer ${KEY}` }

describe("REST", () => {
  let gw: RunningGateway & { logs: Array<string> }
  let client: PolicyClient
  beforeAll(async () => {
    gw = await start({
      apiKeys: [KEY],
      defaultDeployment: "mock",
      deployments: [
        { id: "mock", kind: "mock", preload: true },
        { id: "eyes", kind: "module", module: FAULTY, options: { images: true } }
      ],
      rateLimit: { requestsPerSecond: 1000, burst: 1000 }
    })
    client = new PolicyClient({ baseUrl: gw.url, apiKey: KEY })
  })
  afterAll(() => gw.drain())

  it("listens on a real ephemeral port on 127.0.0.1", () => {
    expect(gw.port).toBeGreaterThan(0)
    expect(gw.url).toBe(`http://127.0.0.1:${gw.port}`)
  })

  it("lists and describes policies", async () => {
    const policies = await client.listPolicies()
    expect(policies.map((p) => p.id)).toEqual(["mock", "eyes"])
    const mock = await client.getPolicy("mock")
    expect(mock).toMatchObject({ id: "mock", kind: "mock", default: true, state: "warm" })
    expect(mock.metadata).toMatchObject({ name: "mock", chunk_size: 4, inputs: { robot_obs: true, rgb_static: false } })
    expect(policies[1]!.state).toBe("cold")
  })

  it("answers a stateless act with N×7 actions equal to the policy's own output", async () => {
    const res = await post(`${gw.url}/v1/policies/mock/act`, validBody(1, "lift the red block"), auth)
    expect(res.status).toBe(200)
    const body = await json(res)
    const expected = mockChunk({ robotObs: robotObs(1), sceneObs: [] }, "lift the red block", 0, 4)
    expect(body.actions).toEqual(expected.map((a) => [...a]))
    expect(body.batch_size).toBeGreaterThanOrEqual(1)
    expect(body.timings.total_ms).toBeGreaterThanOrEqual(body.timings.infer_ms)
    for (const a of body.actions) expect(Math.abs(a[6])).toBe(1)
    // Stateless: a second call starts from step 0 again.
    expect((await client.act("mock", validBody(1, "lift the red block").observation, "lift the red block")).actions).toEqual(body.actions)
  })

  it("keeps history in sessions: steps advance, reset rewinds, delete ends it", async () => {
    const sid = await client.createSession("mock")
    const obs = validBody(2).observation
    const step = (n: number) => mockChunk({ robotObs: robotObs(2), sceneObs: [] }, "push", n, 4).map((a) => [...a])
    expect((await client.sessionAct("mock", sid, obs, "push")).actions).toEqual(step(0))
    expect((await client.sessionAct("mock", sid, obs, "push")).actions).toEqual(step(1))
    await client.resetSession("mock", sid)
    expect((await client.sessionAct("mock", sid, obs, "push")).actions).toEqual(step(0))
    expect((await client.getPolicy("mock")).sessions).toBe(1)
    // Concurrent calls on one session each get their own step (in arrival order): 1, 2 and 3.
    const concurrent = await Promise.all([0, 1, 2].map(() => client.sessionAct("mock", sid, obs, "push")))
    const key = (a: unknown) => JSON.stringify(a)
    expect(concurrent.map((r) => key(r.actions)).sort()).toEqual([step(1), step(2), step(3)].map(key).sort())
    await client.deleteSession("mock", sid)
    await expect(client.sessionAct("mock", sid, obs, "push")).rejects.toMatchObject({ status: 404, code: "SessionNotFound" })
    await expect(client.deleteSession("mock", sid)).rejects.toBeInstanceOf(ClientError)
  })

  it("accepts raw, PNG and JPEG images and requires them when the policy does", async () => {
    const img = { data: new Uint8Array(8 * 8 * 3).fill(200), height: 8, width: 8 }
    const raw = await client.act("eyes", { robot_obs: robotObs(), rgb_static: { data: Buffer.from(img.data).toString("base64"), height: 8, width: 8 } }, "look")
    expect(raw.actions[0]![2]).toBeCloseTo(200 / 255)
    const png = await client.act("eyes", { robot_obs: robotObs(), rgb_static: { data: Buffer.from(encodePng(img)).toString("base64"), encoding: "png" } }, "look")
    expect(png.actions).toEqual(raw.actions)
    const rgba = new Uint8Array(8 * 8 * 4).fill(200)
    const jpg = jpeg.encode({ data: rgba, width: 8, height: 8 }, 100)
    const viaJpeg = await client.act("eyes", { robot_obs: robotObs(), rgb_static: { data: Buffer.from(jpg.data).toString("base64"), encoding: "jpeg" } }, "look")
    expect(viaJpeg.actions[0]![2]).toBeCloseTo(200 / 255, 1)
    const viaFrame = await new PolicyClient({ baseUrl: gw.url, apiKey: KEY, imageEncoding: "png" }).act("eyes", { robotObs: robotObs(), sceneObs: new Array(24).fill(0), rgbStatic: img }, "look")
    expect(viaFrame.actions).toEqual(raw.actions)
    const missing = await post(`${gw.url}/v1/policies/eyes/act`, validBody(), auth)
    expect(missing.status).toBe(400)
    expect((await json(missing)).error).toMatchObject({ code: "InvalidField", field: "observation.rgb_static" })
  })

  it("names the bad field in 400s", async () => {
    const body = validBody()
    ;(body.observation.robot_obs as Array<unknown>)[3] = "x"
    const res = await post(`${gw.url}/v1/policies/mock/act`, body, auth)
    expect(res.status).toBe(400)
    expect((await json(res)).error).toMatchObject({ code: "InvalidField", field: "observation.robot_obs[3]" })
  })

  it("requires an API key (Bearer, x-api-key or openpi's Api-Key) except for health checks", async () => {
    expect((await post(`${gw.url}/v1/policies/mock/act`, validBody())).status).toBe(401)
    expect((await post(`${gw.url}/v1/policies/mock/act`, validBody(), { authorization: "Bearer wrong-key-000000000" })).status).toBe(401)
    expect((await post(`${gw.url}/v1/policies/mock/act`, validBody(), { "x-api-key": KEY })).status).toBe(200)
    expect((await post(`${gw.url}/v1/policies/mock/act`, validBody(), { authorization: `Api-Key ${KEY}` })).status).toBe(200)
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200)
    expect(await json(await fetch(`${gw.url}/readyz`))).toEqual({ status: "ready" })
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(401)
  })

  it("serves Prometheus metrics and one JSON log line per request", async () => {
    const text = await (await fetch(`${gw.url}/metrics`, { headers: auth })).text()
    expect(text).toMatch(/# TYPE robovla_gateway_request_duration_seconds histogram/)
    expect(text).toMatch(/robovla_gateway_batch_size_count\{deployment="mock"\} \d+/)
    expect(text).toMatch(/robovla_gateway_cold_starts_total\{deployment="mock"\} 1/)
    expect(text).toMatch(/robovla_gateway_errors_total\{kind="unauthorized"\} \d+/)
    const lines = gw.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "request")
    expect(lines.length).toBeGreaterThan(5)
    expect(lines.at(-1)).toMatchObject({ method: "GET", route: "/metrics", status: 200 })
    expect(typeof lines.at(-1).request_id).toBe("string")
  })

  it("documents exactly the routes the app serves in /openapi.json", async () => {
    const doc = await json(await fetch(`${gw.url}/openapi.json`))
    expect(doc.openapi).toBe("3.1.0")
    const documented = new Set<string>()
    for (const [path, ops] of Object.entries(doc.paths as Record<string, object>)) for (const m of Object.keys(ops)) documented.add(`${m.toUpperCase()} ${path}`)
    const served = new Set(gw.app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path.replace(/:([^/]+)/g, "{$1}")}`))
    expect([...served].sort()).toEqual([...documented].sort())
    expect(doc).toEqual(openApiDocument(routes))
    const act = doc.paths["/v1/policies/{id}/act"].post
    expect(act.requestBody.content["application/json"].schema.properties.observation.properties.robot_obs).toMatchObject({ type: "array", minItems: 15, maxItems: 15 })
  })

  it("creates and removes deployments through the admin endpoint, but never module ones", async () => {
    const created = await post(`${gw.url}/v1/admin/deployments`, { id: "mock2", kind: "mock", chunkSize: 2 }, auth)
    expect(created.status).toBe(201)
    expect((await client.act("mock2", validBody().observation, "x")).actions).toHaveLength(2)
    expect((await post(`${gw.url}/v1/admin/deployments`, { id: "mock2", kind: "mock" }, auth)).status).toBe(409)
    const mod = await post(`${gw.url}/v1/admin/deployments`, { id: "evil", kind: "module", module: "/tmp/x.js" }, auth)
    expect(mod.status).toBe(400)
    expect((await json(mod)).error.field).toBe("kind")
    expect((await fetch(`${gw.url}/v1/admin/deployments/mock2`, { method: "DELETE", headers: auth })).status).toBe(200)
    expect((await client.getPolicy("mock2").catch((e) => e)).status).toBe(404)
  })
})

describe("rate limits", () => {
  it("answers 429 with Retry-After once a key's bucket is empty", async () => {
    const gw = await start({ deployments: [{ id: "mock", kind: "mock" }], rateLimit: { requestsPerSecond: 0.5, burst: 3 } })
    try {
      const statuses: Array<number> = []
      let retry: string | null = null
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${gw.url}/v1/policies`)
        statuses.push(res.status)
        if (res.status === 429) retry = res.headers.get("retry-after")
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429])
      expect(Number(retry)).toBeGreaterThanOrEqual(1)
    } finally {
      await gw.drain()
    }
  })
})
