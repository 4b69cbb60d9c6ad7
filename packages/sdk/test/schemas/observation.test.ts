import { Effect, Exit, Result } from "effect"
import { describe, expect, it } from "vitest"
import { decodeAction, decodeActionChunk, decodeActionChunkResult } from "../../src/Action.ts"
import { decodeObservation, decodeObservationRequest, toWire } from "../../src/Observation.ts"
import { SdkError } from "../../src/SdkError.ts"

const zeros = (n: number) => Array.from({ length: n }, () => 0)
const image = (h: number, w: number) => ({ data: new Uint8Array(h * w * 3).map((_, i) => i % 251), height: h, width: w })
const goodWire = () => ({
  rgb_static: image(200, 200),
  rgb_gripper: image(84, 84),
  robot_obs: zeros(15).map((_, i) => i * 0.1),
  scene_obs: zeros(24)
})

/** Runs a decode and returns its SdkError (fails the test if it succeeded). */
const failureOf = async <A>(effect: Effect.Effect<A, SdkError>): Promise<SdkError> => {
  const exit = await Effect.runPromise(Effect.exit(effect))
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
  const error = await Effect.runPromise(Effect.flip(effect))
  expect(error).toBeInstanceOf(SdkError)
  expect(error.reason).toBe("InvalidInput")
  return error
}

describe("Observation schema", () => {
  it("decodes a good CALVIN observation to the runtime form", async () => {
    const wire = goodWire()
    const obs = await Effect.runPromise(decodeObservation(wire))
    expect(obs.robotObs).toEqual(wire.robot_obs)
    expect(obs.sceneObs).toHaveLength(24)
    expect(obs.rgbStatic?.height).toBe(200)
    expect(obs.rgbStatic?.data).toBe(wire.rgb_static.data) // no copy of pixel data
    expect(obs.rgbGripper?.width).toBe(84)
    expect(toWire(obs)).toEqual(wire)
  })

  it("accepts an observation without images", async () => {
    const obs = await Effect.runPromise(decodeObservation({ robot_obs: zeros(15), scene_obs: zeros(24) }))
    expect(obs.rgbStatic).toBeUndefined()
  })

  it("decodes a request with its instruction", async () => {
    const req = await Effect.runPromise(decodeObservationRequest({ ...goodWire(), instruction: "open the drawer" }))
    expect(req.instruction).toBe("open the drawer")
    expect(req.observation.robotObs).toHaveLength(15)
  })

  it("names the field when robot_obs has the wrong length", async () => {
    const error = await failureOf(decodeObservation({ ...goodWire(), robot_obs: zeros(14) }))
    expect(error.message).toContain("robot_obs: expected 15 values, got 14")
    expect(error.subject).toBe("robot_obs")
  })

  it("names the index of a NaN and of an infinity", async () => {
    const bad = zeros(15)
    bad[3] = Number.NaN
    const error = await failureOf(decodeObservation({ ...goodWire(), robot_obs: bad }))
    expect(error.message).toContain("robot_obs[3]: NaN is not allowed")
    const inf = zeros(24)
    inf[20] = Number.POSITIVE_INFINITY
    const error2 = await failureOf(decodeObservation({ ...goodWire(), scene_obs: inf }))
    expect(error2.message).toContain("scene_obs[20]: Infinity is not allowed")
  })

  it("checks the image byte count against H×W×3", async () => {
    const error = await failureOf(
      decodeObservation({ ...goodWire(), rgb_static: { data: new Uint8Array(100), height: 200, width: 200 } })
    )
    expect(error.message).toContain("rgb_static.data: expected 120000 bytes (200×200×3), got 100")
  })

  it("rejects a plain array as image data, without dumping the array", async () => {
    const error = await failureOf(
      decodeObservation({ ...goodWire(), rgb_gripper: { data: zeros(84 * 84 * 3), height: 84, width: 84 } })
    )
    expect(error.message).toContain("rgb_gripper.data: Expected Uint8Array, got an array of 21168 values")
    expect(error.message.length).toBeLessThan(300)
  })

  it("rejects unknown keys, a missing key and a non-string instruction, listing every problem", async () => {
    const { robot_obs: _drop, ...noRobot } = goodWire()
    const error = await failureOf(decodeObservationRequest({ ...noRobot, instruction: 3, rgb_statc: 1 }))
    expect(error.message).toContain("robot_obs: Missing key")
    expect(error.message).toContain("instruction: Expected string, got 3")
    expect(error.message).toContain("rgb_statc: unknown key")
  })
})

describe("Action schemas", () => {
  it("decodes a finite 7-D action and rejects bad ones", async () => {
    expect(await Effect.runPromise(decodeAction([0, 0.1, 0.2, 0, 0, 0, -1]))).toEqual([0, 0.1, 0.2, 0, 0, 0, -1])
    expect((await failureOf(decodeAction([0, 0, 0]))).message).toContain("expected 7 values, got 3")
    expect((await failureOf(decodeAction([0, 0, 0, 0, Number.NEGATIVE_INFINITY, 0, 1]))).message)
      .toContain("[4]: -Infinity is not allowed")
  })

  it("decodes a chunk and checks its length when asked", async () => {
    const chunk = [[0, 0, 0, 0, 0, 0, 1], [0.1, 0, 0, 0, 0, 0, 1]]
    expect(await Effect.runPromise(decodeActionChunk(chunk, 2))).toEqual(chunk)
    expect((await failureOf(decodeActionChunk(chunk, 10))).message).toContain("expected 10 actions, got 2")
    expect((await failureOf(decodeActionChunk([]))).message).toContain("empty chunk")
    expect((await failureOf(decodeActionChunk([[0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, Number.NaN, 1]]))).message)
      .toContain("[1][5]: NaN is not allowed")
  })

  it("checks a chunk synchronously for Promise-side callers (a Result, never a throw)", () => {
    const good = decodeActionChunkResult([[0, 0, 0, 0, 0, 0, 1]])
    expect(Result.isSuccess(good) && good.success).toEqual([[0, 0, 0, 0, 0, 0, 1]])
    const short = decodeActionChunkResult([[0, 0, 1]])
    expect(Result.isFailure(short) && [short.failure.reason, short.failure.message]).toEqual(["InvalidInput", "invalid action chunk: [0]: expected 7 values, got 3"])
  })
})
