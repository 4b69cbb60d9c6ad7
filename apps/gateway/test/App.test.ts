/**
 * The Hono app without a socket (`app.request`): routing, error mapping and auth, no worker started.
 */
import { describe, expect, it } from "vitest"
import { makeApp } from "../src/App.ts"
import { loadConfigFile, resolveConfig } from "../src/Config.ts"
import { Gateway } from "../src/Gateway.ts"

const KEY = "app-test-key-0123456789"
const app = makeApp(new Gateway(resolveConfig({ apiKeys: [KEY], deployments: [{ id: "mock", kind: "mock" }] }, {}), { log: () => {} }))

describe("App (app.request)", () => {
  it("answers health and the index without a key, and 401 elsewhere", async () => {
    expect(await (await app.request("/healthz")).json()).toEqual({ status: "ok" })
    expect(await (await app.request("/")).json()).toMatchObject({ default_policy: "mock", openapi: "/openapi.json" })
    const res = await app.request("/v1/policies")
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ error: { code: "Unauthorized", message: expect.any(String) } })
  })

  it("lists a cold deployment without starting it", async () => {
    const res = await app.request("/v1/policies/mock", { headers: { "x-api-key": KEY } })
    expect(await res.json()).toEqual({ id: "mock", kind: "mock", default: true, state: "cold", sessions: 0 })
  })

  it("maps unknown routes, wrong media types and bad fields to their 4xx before any policy runs", async () => {
    const auth = { authorization: `Bearer ${KEY}` }
    expect((await app.request("/nope", { headers: auth })).status).toBe(404)
    expect((await app.request("/v1/policies/mock/act", { method: "POST", headers: { ...auth, "content-type": "text/plain" }, body: "{}" })).status).toBe(415)
    const bad = await app.request("/v1/policies/mock/act", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ observation: {}, instruction: 1 }) })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe("instruction")
    expect(bad.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
  })

  it("accepts the committed example config", () => {
    const config = loadConfigFile(new URL("../gateway.example.json", import.meta.url).pathname)
    expect(config.deployments.map((d) => d.id)).toEqual(["expert", "mlp", "mock"])
    expect(config.deployments[2]!.batchWindowMs).toBe(0)
  })
})
