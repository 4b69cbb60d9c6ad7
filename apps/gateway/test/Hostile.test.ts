/**
 * 500 generated malformed or hostile requests, each answered with the right 4xx and a JSON error body;
 * afterwards the gateway still answers a valid call correctly.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningGateway } from "../src/Server.ts"
import { mockChunk } from "../src/worker/MockPolicyModel.ts"
import { json, robotObs, validBody } from "./helpers.ts"
import { start } from "./helpers.ts"

const KEY = "hostile-key-0123456789"
const MAX_BODY = 64 * 1024

interface Case {
  readonly name: string
  readonly method?: string
  readonly path?: string
  readonly body?: string | ReadableStream<Uint8Array>
  readonly headers?: Record<string, string>
  readonly status: number
  readonly code: string
  readonly field?: string
}

/** A small seeded generator so the 500 cases are the same on every run. */
const rng = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed / 0x7fffffff
}

const generateCases = (): Array<Case> => {
  const r = rng(42)
  const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(r() * xs.length)]!
  const int = (n: number) => Math.floor(r() * n)
  const valid = () => validBody(int(100))
  const families: Array<() => Case> = [
    // Not JSON at all.
    () => {
      const text = JSON.stringify(valid())
      const broken = pick([text.slice(0, int(text.length - 1)), text.replace(/:/, ""), `${text},`, "NaN", "{'a': 1}", "\u0000\u0001\u0002", "{", "]", "undefined", text.replace("[", "[,")])
      return { name: "bad JSON", body: broken, status: 400, code: "InvalidJson" }
    },
    // Wrong shapes.
    () => {
      const b = valid() as any
      const variant = int(8)
      if (variant === 0) b.observation.robot_obs = b.observation.robot_obs.slice(0, int(15))
      if (variant === 1) b.observation.robot_obs.push(...new Array(1 + int(5)).fill(0))
      const at = int(15)
      if (variant === 2) b.observation.robot_obs[at] = pick(["1", null, true, {}, [1]])
      if (variant === 3) b.observation.robot_obs = pick([{}, "1,2,3", 7, null])
      if (variant === 4) b.instruction = pick([3, null, ["a"], {}, true])
      if (variant === 5) delete b.instruction
      if (variant === 6) b.observation.scene_obs = new Array(int(24)).fill(0)
      if (variant === 7) b.observation = pick([[], "obs", 1, null])
      const field = ["observation.robot_obs", "observation.robot_obs", `observation.robot_obs[${at}]`, "observation.robot_obs", "instruction", "instruction", "observation.scene_obs", "observation"][variant]!
      return { name: `wrong shape ${variant}`, body: JSON.stringify(b), status: 400, code: "InvalidField", field }
    },
    // Top-level body of the wrong type.
    () => ({ name: "body not an object", body: pick(["[]", "1", "null", '"str"', "true", "[1,2,3]"]), status: 400, code: "InvalidField" }),
    // Non-finite numbers (JSON has no NaN; 1e999 parses as Infinity).
    () => {
      const text = JSON.stringify(valid())
      return { name: "infinity", body: text.replace(/(-?\d+\.\d+)/, pick(["1e999", "-1e999"])), status: 400, code: "InvalidField", field: "observation.robot_obs[" }
    },
    // Deep nesting.
    () => {
      const depth = 100 + int(5000)
      const nested = pick([`${"[".repeat(depth)}${"]".repeat(depth)}`, `{"observation": ${"[".repeat(depth)}${"]".repeat(depth)}, "instruction": "x"}`, `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`])
      return { name: "deep nesting", body: nested, status: 400, code: "InvalidField" }
    },
    // Huge bodies, with and without Content-Length.
    () => {
      const filler = "x".repeat(MAX_BODY + 1 + int(4 * MAX_BODY))
      const body = JSON.stringify({ ...valid(), instruction: filler })
      if (r() < 0.5) return { name: "huge body", body, status: 413, code: "PayloadTooLarge" }
      const bytes = new TextEncoder().encode(body)
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 16384) controller.enqueue(bytes.subarray(i, i + 16384))
          controller.close()
        }
      })
      return { name: "huge chunked body", body: stream, status: 413, code: "PayloadTooLarge" }
    },
    // Long instruction within the size limit.
    () => ({ name: "instruction too long", body: JSON.stringify({ ...valid(), instruction: "y".repeat(2001 + int(5000)) }), status: 400, code: "InvalidField", field: "instruction" }),
    // Unknown ids and routes.
    () => pick<Case>([
      { name: "unknown policy", path: `/v1/policies/${pick(["nope", "..%2F..%2Fetc", "a".repeat(300), "%00", "mock%20"])}/act`, body: JSON.stringify(valid()), status: 404, code: "PolicyNotFound" },
      { name: "unknown session", path: `/v1/policies/mock/sessions/${int(1e9)}/act`, body: JSON.stringify(valid()), status: 404, code: "SessionNotFound" },
      { name: "unknown route", path: pick(["/v2/act", "/v1/policies/mock/act/extra", "/admin", "/.env"]), body: JSON.stringify(valid()), status: 404, code: "RouteNotFound" },
      { name: "wrong method", method: pick(["PUT", "PATCH"]), path: "/v1/policies/mock/act", body: JSON.stringify(valid()), status: 404, code: "RouteNotFound" }
    ]),
    // Bad or missing keys.
    () => ({
      name: "bad key",
      body: JSON.stringify(valid()),
      headers: pick<Record<string, string>>([{}, { authorization: "Bearer wrong" }, { authorization: `Basic ${KEY}` }, { "x-api-key": KEY.slice(0, -1) }, { authorization: "Bearer" }, { authorization: `Bearer ${KEY}x` }]),
      status: 401,
      code: "Unauthorized"
    }),
    // Wrong content types.
    () => ({
      name: "wrong content type",
      body: JSON.stringify(valid()),
      headers: { authorization: `Bearer ${KEY}`, "content-type": pick(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/msgpack", "application/jsonx"]) },
      status: 415,
      code: "UnsupportedMediaType"
    }),
    // Bad images.
    () => {
      const b = valid() as any
      const variant = int(6)
      b.observation.rgb_static = [
        { data: "%%%%", height: 2, width: 2 },
        { data: Buffer.alloc(11).toString("base64"), height: 2, width: 2 },
        { data: Buffer.alloc(12).toString("base64") },
        { data: Buffer.from("not a png file!!").toString("base64"), encoding: "png" },
        { data: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]).toString("base64"), encoding: "jpeg" },
        { data: "", height: pick([0, 5000, 1.5, -1]), width: 2 }
      ][variant]
      return { name: `bad image ${variant}`, body: JSON.stringify(b), status: 400, code: "InvalidField" }
    },
    // Prototype pollution attempts are just unknown keys: shape errors still win.
    () => ({ name: "proto keys", body: `{"__proto__": {"admin": true}, "constructor": {"prototype": {}}, "observation": {"robot_obs": [1]}, "instruction": "x"}`, status: 400, code: "InvalidField", field: "observation.robot_obs" })
  ]
  return Array.from({ length: 500 }, (_, i) => families[i % families.length]!())
}

describe("500 malformed or hostile requests", () => {
  let gw: RunningGateway
  beforeAll(async () => {
    gw = await start({
      apiKeys: [KEY],
      maxBodyBytes: MAX_BODY,
      deployments: [{ id: "mock", kind: "mock", preload: true }],
      rateLimit: { requestsPerSecond: 10_000, burst: 10_000 }
    })
  })
  afterAll(() => gw.drain())

  it("answers each with the right 4xx and a JSON error, then still serves a valid call", async () => {
    const cases = generateCases()
    expect(cases).toHaveLength(500)
    const failures: Array<string> = []
    const run = async (c: Case) => {
      const init: RequestInit & { duplex?: "half" } = {
        method: c.method ?? "POST",
        headers: c.headers ?? { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        ...(c.body === undefined ? {} : { body: c.body }),
        ...(c.body instanceof ReadableStream ? { duplex: "half" } : {})
      }
      if (c.headers !== undefined && !("content-type" in c.headers)) (init.headers as Record<string, string>)["content-type"] = "application/json"
      const res = await fetch(`${gw.url}${c.path ?? "/v1/policies/mock/act"}`, init)
      let body: any
      try {
        body = await json(res)
      } catch {
        body = undefined
      }
      const ok = res.status === c.status && body?.error?.code === c.code && (c.field === undefined || String(body.error.field).startsWith(c.field)) && typeof body?.error?.message === "string"
      if (!ok) failures.push(`${c.name}: expected ${c.status} ${c.code} ${c.field ?? ""}, got ${res.status} ${JSON.stringify(body)?.slice(0, 200)}`)
    }
    // Eight at a time: hostile traffic arrives concurrently.
    for (let i = 0; i < cases.length; i += 8) await Promise.all(cases.slice(i, i + 8).map(run))
    expect(failures).toEqual([])
    const res = await fetch(`${gw.url}/v1/policies/mock/act`, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body: JSON.stringify(validBody(5, "open the drawer")) })
    expect(res.status).toBe(200)
    expect((await json(res)).actions).toEqual(mockChunk({ robotObs: robotObs(5), sceneObs: [] }, "open the drawer", 0, 4).map((a) => [...a]))
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200)
  })
})
