import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningGateway } from "../src/Server.ts"
import { FAULTY, json, post, robotObs, start, validBody } from "./helpers.ts"

const act = (gw: RunningGateway, id: string, instruction: string, seed = 0) => post(`${gw.url}/v1/policies/${id}/act`, validBody(seed, instruction))

describe("deployment isolation", () => {
  let gw: RunningGateway & { logs: Array<string> }
  beforeAll(async () => {
    gw = await start({
      deployments: [
        { id: "healthy", kind: "mock", preload: true },
        { id: "faulty", kind: "module", module: FAULTY, timeoutMs: 1500, preload: true }
      ]
    })
  })
  afterAll(() => gw.drain())

  it("a policy error is a 502 with a clear JSON body, and the worker keeps serving", async () => {
    const res = await act(gw, "faulty", "throw")
    expect(res.status).toBe(502)
    expect((await json(res)).error).toEqual({ code: "PolicyFailed", message: "policy 'faulty' failed: SdkError(PluginFailure): the head refused" })
    const ok = await act(gw, "faulty", "fine")
    expect(ok.status).toBe(200)
  })

  it("an input the policy rejects (SdkError InvalidInput) is a 422", async () => {
    const res = await act(gw, "faulty", "reject")
    expect(res.status).toBe(422)
    expect((await json(res)).error).toMatchObject({ code: "PolicyRejectedInput", message: expect.stringMatching(/no task for that instruction/) })
  })

  it("a thrown exception does not leak its message or stack", async () => {
    const res = await act(gw, "faulty", "defect")
    expect(res.status).toBe(502)
    const text = JSON.stringify(await json(res))
    expect(text).not.toMatch(/passwd|at \w+ \(/)
  })

  it("NaN actions are refused as a policy failure", async () => {
    const res = await act(gw, "faulty", "nan")
    expect(res.status).toBe(502)
    expect((await json(res)).error.message).toMatch(/invalid action chunk: .*NaN is not allowed/)
  })

  it("process.exit in the worker fails that call with 502, leaves the other deployment serving, and restarts on the next call", async () => {
    const [crash, healthy] = await Promise.all([act(gw, "faulty", "crash"), act(gw, "healthy", "open the drawer")])
    expect(crash.status).toBe(502)
    expect((await json(crash)).error.code).toBe("DeploymentCrashed")
    expect(healthy.status).toBe(200)
    const again = await act(gw, "faulty", "fine", 3)
    expect(again.status).toBe(200)
    expect((await json(again)).actions[0][0]).toBeCloseTo(robotObs(3)[0]!)
  })

  it("an uncaught error in the worker is a crash too", async () => {
    const res = await act(gw, "faulty", "uncaught")
    // The call itself may finish before the stray error fires; either way the worker dies and restarts.
    expect([200, 502]).toContain(res.status)
    const crashes = async () => Number(/robovla_gateway_errors_total\{kind="crash"\} (\d+)/.exec(await (await fetch(`${gw.url}/metrics`)).text())?.[1] ?? 0)
    const before = await crashes()
    for (let i = 0; i < 50 && (await json(await fetch(`${gw.url}/v1/policies/faulty`))).state !== "cold"; i++) await new Promise((r) => setTimeout(r, 20))
    expect(await crashes()).toBeGreaterThanOrEqual(Math.max(before, 2))
    expect((await act(gw, "faulty", "fine")).status).toBe(200)
  })

  it("a hung policy times out with 504 while the healthy one answers, then restarts", async () => {
    const hung = act(gw, "faulty", "hang")
    const healthy = await act(gw, "healthy", "open the drawer")
    expect(healthy.status).toBe(200)
    const res = await hung
    expect(res.status).toBe(504)
    expect((await json(res)).error.code).toBe("PolicyTimeout")
    expect((await act(gw, "faulty", "fine")).status).toBe(200)
    expect((await (await fetch(`${gw.url}/healthz`)).json())).toEqual({ status: "ok" })
  })

  it("sessions end when their worker restarts (404, not silently reset history)", async () => {
    const created = await json(await post(`${gw.url}/v1/policies/faulty/sessions`, {}))
    const sid = created.session_id as string
    expect((await post(`${gw.url}/v1/policies/faulty/sessions/${sid}/act`, validBody(0, "fine"))).status).toBe(200)
    expect((await act(gw, "faulty", "crash")).status).toBe(502)
    const after = await post(`${gw.url}/v1/policies/faulty/sessions/${sid}/act`, validBody(0, "fine"))
    expect(after.status).toBe(404)
    expect((await json(after)).error.code).toBe("SessionNotFound")
  })

  it("counts cold starts and errors by kind in /metrics", async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text()
    expect(text).toMatch(/robovla_gateway_errors_total\{kind="crash"\} [1-9]/)
    expect(text).toMatch(/robovla_gateway_errors_total\{kind="timeout"\} 1/)
    expect(text).toMatch(/robovla_gateway_cold_starts_total\{deployment="faulty"\} [3-9]/)
  })
})

describe("lifecycle and batching", () => {
  it("a module that fails to load is a 502 ColdStartFailed, retried on the next call", async () => {
    const gw = await start({ deployments: [{ id: "broken", kind: "module", module: FAULTY, export: "nope" }] })
    try {
      const res = await act(gw, "broken", "x")
      expect(res.status).toBe(502)
      expect((await json(res)).error).toMatchObject({ code: "ColdStartFailed" })
      expect((await json(await fetch(`${gw.url}/v1/policies/broken`))).state).toBe("failed")
    } finally {
      await gw.drain()
    }
  })

  it("unloads after the idle timeout and cold-starts again on the next call", async () => {
    const gw = await start({ deployments: [{ id: "mock", kind: "mock", idleTimeoutMs: 300 }] })
    try {
      expect((await act(gw, "mock", "x")).status).toBe(200)
      expect((await json(await fetch(`${gw.url}/v1/policies/mock`))).state).toBe("warm")
      await new Promise((r) => setTimeout(r, 700))
      expect((await json(await fetch(`${gw.url}/v1/policies/mock`))).state).toBe("cold")
      expect((await act(gw, "mock", "x")).status).toBe(200)
      const text = await (await fetch(`${gw.url}/metrics`)).text()
      expect(text).toMatch(/robovla_gateway_cold_starts_total\{deployment="mock"\} 2/)
      expect(text).toMatch(/robovla_gateway_unloads_total\{deployment="mock"\} 1/)
    } finally {
      await gw.drain()
    }
  })

  it("batches concurrent calls into one actBatch when on, and not when off", async () => {
    const gw = await start({
      deployments: [
        { id: "on", kind: "mock", latencyMs: 30, batchWindowMs: 5, maxBatch: 32, preload: true },
        { id: "off", kind: "mock", latencyMs: 30, maxBatch: 1, batchWindowMs: 0, preload: true }
      ]
    })
    try {
      const burst = (id: string) => Promise.all(Array.from({ length: 16 }, (_, i) => act(gw, id, "x", i).then(json)))
      const on = await burst("on")
      const off = await burst("off")
      expect(Math.max(...on.map((r) => r.batch_size))).toBeGreaterThan(1)
      expect(off.every((r) => r.batch_size === 1)).toBe(true)
      // Batched results equal unbatched ones call by call.
      expect(on.map((r) => r.actions)).toEqual(off.map((r) => r.actions))
    } finally {
      await gw.drain()
    }
  })

  it("one failing call does not fail the calls batched with it", async () => {
    const gw = await start({ deployments: [{ id: "faulty", kind: "module", module: FAULTY, batchWindowMs: 30, maxBatch: 32, preload: true }] })
    try {
      const instructions = ["fine", "fine", "reject", "fine", "throw", "fine"]
      const responses = await Promise.all(instructions.map((instruction, i) => act(gw, "faulty", instruction, i)))
      const bodies = await Promise.all(responses.map(json))
      expect(responses.map((r) => r.status)).toEqual([200, 200, 422, 200, 502, 200])
      expect(Math.max(...bodies.filter((b) => b.batch_size !== undefined).map((b) => b.batch_size))).toBeGreaterThan(1)
      bodies.forEach((b, i) => {
        if (instructions[i] === "fine") expect(b.actions[0][0]).toBeCloseTo(robotObs(i)[0]!)
      })
    } finally {
      await gw.drain()
    }
  })

  it("limits open sessions (503) and expires idle REST sessions (404)", async () => {
    const gw = await start({ deployments: [{ id: "mock", kind: "mock", maxSessions: 2, sessionIdleMs: 200, preload: true }] })
    try {
      const open = () => post(`${gw.url}/v1/policies/mock/sessions`, {})
      const a = (await json(await open())).session_id
      expect((await open()).status).toBe(201)
      const third = await open()
      expect(third.status).toBe(503)
      expect((await json(third)).error.code).toBe("Overloaded")
      await new Promise((r) => setTimeout(r, 600))
      const stale = await post(`${gw.url}/v1/policies/mock/sessions/${a}/act`, validBody())
      expect(stale.status).toBe(404)
      expect((await open()).status).toBe(201)
    } finally {
      await gw.drain()
    }
  })

  it("refuses calls beyond the queue limit with 503 and Retry-After", async () => {
    const gw = await start({ deployments: [{ id: "mock", kind: "mock", latencyMs: 200, maxBatch: 1, batchWindowMs: 0, maxQueue: 2, preload: true }] })
    try {
      const responses = await Promise.all(Array.from({ length: 8 }, () => act(gw, "mock", "x")))
      const statuses = responses.map((r) => r.status)
      expect(statuses).toContain(200)
      expect(statuses).toContain(503)
      expect(responses.find((r) => r.status === 503)!.headers.get("retry-after")).toBe("1")
    } finally {
      await gw.drain()
    }
  })
})
