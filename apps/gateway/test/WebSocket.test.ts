import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { WebSocket } from "ws"
import { MsgpackNumpy, NdArray, OpenpiConnection, PolicyClient } from "@robovla/client"
import type { RunningGateway } from "../src/Server.ts"
import { mockChunk } from "../src/worker/MockPolicyModel.ts"
import { FAULTY, json, post, robotObs, start, validBody } from "./helpers.ts"

const KEY = "ws-test-key-0123456789"

/** Opens a raw socket and collects every frame until it closes. */
const rawExchange = (url: string, frames: Array<Uint8Array | string>, headers: Record<string, string> = { authorization: `Api-Key ${KEY}` }) =>
  new Promise<{ messages: Array<{ binary: boolean; data: Buffer }>; code: number; reason: string }>((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    const messages: Array<{ binary: boolean; data: Buffer }> = []
    ws.on("message", (data: Buffer, binary: boolean) => {
      messages.push({ binary, data })
      if (messages.length === 1) for (const f of frames) ws.send(f)
    })
    ws.on("close", (code, reason) => resolve({ messages, code, reason: reason.toString() }))
    ws.on("error", reject)
  })

describe("openpi WebSocket", () => {
  let gw: RunningGateway
  beforeAll(async () => {
    gw = await start({
      apiKeys: [KEY],
      maxMessageBytes: 64 * 1024,
      defaultDeployment: "mock",
      deployments: [
        { id: "mock", kind: "mock", preload: true },
        { id: "faulty", kind: "module", module: FAULTY, observationKeys: { "observation/joint_position": "robot_obs", task: "instruction" } }
      ]
    })
  })
  afterAll(() => gw.drain())

  it("sends the metadata frame first, then answers msgpack observations with (N, 7) float actions", async () => {
    const conn = await OpenpiConnection.open(`ws://127.0.0.1:${gw.port}/ws/mock`, { apiKey: KEY })
    expect(conn.metadata).toMatchObject({ name: "mock", chunk_size: 4, policy_id: "mock" })
    const obs = robotObs(4)
    const reply = await conn.infer({ "observation/state": NdArray.fromFloat32(Float32Array.from(obs), [15]), prompt: "open the drawer" })
    const actions = reply["actions"] as NdArray
    expect(actions).toBeInstanceOf(NdArray)
    expect(actions.dtype).toBe("<f8")
    expect(actions.shape).toEqual([4, 7])
    const expected = mockChunk({ robotObs: [...Float32Array.from(obs)], sceneObs: [] }, "open the drawer", 0, 4).flat()
    actions.toNumbers().forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 12))
    expect(reply["server_timing"]).toMatchObject({ infer_ms: expect.any(Number) })
    expect(reply["policy_timing"]).toMatchObject({ infer_ms: expect.any(Number), batch_size: 1 })
    // The connection keeps a session: the second call is step 1, with prev_total_ms as openpi reports it.
    const second = await conn.infer({ "observation/state": NdArray.fromFloat32(Float32Array.from(obs), [15]), prompt: "open the drawer" })
    const step1 = mockChunk({ robotObs: [...Float32Array.from(obs)], sceneObs: [] }, "open the drawer", 1, 4).flat()
    ;(second["actions"] as NdArray).toNumbers().forEach((v, i) => expect(v).toBeCloseTo(step1[i]!, 12))
    expect(second["server_timing"]).toMatchObject({ prev_total_ms: expect.any(Number) })
    // openpi's episode_start resets the history.
    await conn.episodeStart()
    const third = await conn.infer({ "observation/state": NdArray.fromFloat32(Float32Array.from(obs), [15]), prompt: "open the drawer" })
    ;(third["actions"] as NdArray).toNumbers().forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 12))
    await conn.close()
  })

  it("gives the same actions over REST and WebSocket, and serves the default policy at /", async () => {
    const client = new PolicyClient({ baseUrl: gw.url, apiKey: KEY })
    const frame = { robotObs: robotObs(7), sceneObs: new Array(24).fill(0) }
    const rest = await client.act("mock", frame, "stack the blocks")
    const ws = await client.connect()
    expect(ws.metadata["policy_id"]).toBe("mock")
    const viaWs = await ws.act(frame, "stack the blocks")
    viaWs.actions.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(rest.actions[i]![j]!, 5)))
    await ws.close()
  })

  it("maps observation keys per deployment", async () => {
    const conn = await OpenpiConnection.open(`ws://127.0.0.1:${gw.port}/ws/faulty`, { apiKey: KEY })
    const reply = await conn.infer({ "observation/joint_position": robotObs(9), task: "fine", extra: "ignored" })
    expect((reply["actions"] as NdArray).toNumbers()[0]).toBeCloseTo(robotObs(9)[0]!)
    await conn.close()
  })

  it("answers errors as openpi does: a text frame, then close 1011, without internals", async () => {
    const cases: Array<[string, Uint8Array | string, RegExp]> = [
      ["garbage bytes", new Uint8Array([0xc1, 0x00]), /InvalidJson/],
      ["a text frame", "hello", /binary msgpack/],
      ["missing prompt", MsgpackNumpy.encode({ "observation/state": robotObs() }), /prompt/],
      ["wrong state length", MsgpackNumpy.encode({ "observation/state": [1, 2], prompt: "x" }), /15 values/],
      ["image of the wrong dtype", MsgpackNumpy.encode({ "observation/state": robotObs(), "observation/image": NdArray.fromFloat32(new Float32Array(12), [2, 2, 3]), prompt: "x" }), /uint8/],
      ["NaN state", MsgpackNumpy.encode({ "observation/state": NdArray.fromFloat64(new Float64Array(15).fill(NaN), [15]), prompt: "x" }), /observation\/state: invalid robot_obs: \[0\]: NaN is not allowed/]
    ]
    for (const [, frame, pattern] of cases) {
      const { messages, code } = await rawExchange(`ws://127.0.0.1:${gw.port}/ws/mock`, [frame])
      expect(messages[0]!.binary).toBe(true)
      expect(messages[1]!.binary).toBe(false)
      expect(messages[1]!.data.toString()).toMatch(pattern)
      expect(code).toBe(1011)
    }
    // A message over maxMessageBytes closes the socket with 1009 (message too big).
    const big = await rawExchange(`ws://127.0.0.1:${gw.port}/ws/mock`, [new Uint8Array(70 * 1024)])
    expect(big.code).toBe(1009)
    const crash = await rawExchange(`ws://127.0.0.1:${gw.port}/ws/faulty`, [MsgpackNumpy.encode({ "observation/state": robotObs(), prompt: "defect" })])
    expect(crash.code).toBe(1011)
    expect(crash.messages[1]!.data.toString()).toMatch(/PolicyFailed/)
    expect(crash.messages[1]!.data.toString()).not.toMatch(/passwd/)
    // The policy still answers afterwards.
    const conn = await OpenpiConnection.open(`ws://127.0.0.1:${gw.port}/ws/mock`, { apiKey: KEY })
    expect(((await conn.infer({ "observation/state": robotObs(), prompt: "x" }))["actions"] as NdArray).shape).toEqual([4, 7])
    await conn.close()
  })

  it("answers 100 generated hostile frames each with a text error frame and 1011, then still serves", async () => {
    let seed = 7
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
    const valid = MsgpackNumpy.encode({ "observation/state": NdArray.fromFloat32(new Float32Array(15), [15]), prompt: "x" })
    const frames: Array<Uint8Array | string> = Array.from({ length: 100 }, (_, i) => {
      switch (i % 5) {
        case 0:
          return new Uint8Array(Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)))
        case 1:
          return valid.subarray(0, Math.floor(rand() * (valid.length - 1)))
        case 2:
          return MsgpackNumpy.encode(["observation/state", 1, null, rand()][Math.floor(rand() * 4)])
        case 3:
          return new Uint8Array([...new Array(40 + Math.floor(rand() * 200)).fill(0x91), 0xc0])
        default:
          return MsgpackNumpy.encode({ "observation/state": new NdArray(new Uint8Array(8), "<f4", [15]), prompt: "x" })
      }
    })
    const results = await Promise.all(frames.map((f) => rawExchange(`ws://127.0.0.1:${gw.port}/ws/mock`, [f])))
    for (const r of results) {
      expect(r.code).toBe(1011)
      expect(r.messages[1]?.binary).toBe(false)
      expect(r.messages[1]?.data.toString()).toMatch(/^GatewayError\((InvalidJson|InvalidField)\): /)
    }
    const conn = await OpenpiConnection.open(`ws://127.0.0.1:${gw.port}/ws/mock`, { apiKey: KEY })
    expect(((await conn.infer({ "observation/state": robotObs(), prompt: "x" }))["actions"] as NdArray).shape).toEqual([4, 7])
    await conn.close()
  })

  it("refuses upgrades without a key (401) or for unknown policies (404)", async () => {
    await expect(OpenpiConnection.open(`ws://127.0.0.1:${gw.port}/ws/mock`)).rejects.toMatchObject({ status: 401, code: "Unauthorized" })
    await expect(OpenpiConnection.open(`ws://127.0.0.1:${gw.port}/ws/nope`, { apiKey: KEY })).rejects.toMatchObject({ status: 404, code: "PolicyNotFound" })
    await expect(OpenpiConnection.open(`ws://127.0.0.1:${gw.port}/elsewhere`, { apiKey: KEY })).rejects.toMatchObject({ status: 404 })
    await expect(OpenpiConnection.open(`ws://127.0.0.1:${gw.port}/ws/%E0%A4%A`, { apiKey: KEY })).rejects.toMatchObject({ status: 404 })
    const plain = await fetch(`${gw.url}/ws/mock`, { headers: { authorization: `Bearer ${KEY}` } })
    expect(plain.status).toBe(426)
  })

  it("serves WebSocket and REST calls to one deployment concurrently", async () => {
    const conn = await OpenpiConnection.open(`ws://127.0.0.1:${gw.port}/ws/mock`, { apiKey: KEY })
    const [ws, rest] = await Promise.all([
      conn.infer({ "observation/state": robotObs(1), prompt: "x" }),
      post(`${gw.url}/v1/policies/mock/act`, validBody(1, "x"), { authorization: `Bearer ${KEY}` }).then(json)
    ])
    expect((ws["actions"] as NdArray).shape).toEqual([4, 7])
    expect(rest.actions).toHaveLength(4)
    await conn.close()
  })
})

describe("openpi WebSocket rate limit", () => {
  it("counts every message against the key's bucket: over it, a RateLimited error frame and 1011", async () => {
    const gw = await start({ deployments: [{ id: "mock", kind: "mock", preload: true }], rateLimit: { requestsPerSecond: 0.1, burst: 4 } })
    try {
      const conn = await OpenpiConnection.open(`ws://127.0.0.1:${gw.port}/`)
      const obs = { "observation/state": robotObs(), prompt: "x" }
      // The upgrade took one token; three messages fit, the fourth does not.
      for (let i = 0; i < 3; i++) expect(((await conn.infer(obs))["actions"] as NdArray).shape).toEqual([4, 7])
      await expect(conn.infer(obs)).rejects.toThrow(/RateLimited/)
    } finally {
      await gw.drain()
    }
  })
})
