import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { decodeEpisodeFrame, decodeLanguageAnnotation } from "../../src/Episode.ts"

const image = (h: number, w: number) => ({ data: new Uint8Array(h * w * 3), height: h, width: w })
const frame = () => ({
  actions: [0.1, -0.2, 0.5, 3.1, -0.1, 1.5, 1],
  rel_actions: [0.5, -1, 1, 0, 0.2, -0.3, -1],
  robot_obs: Array.from({ length: 15 }, () => 0),
  scene_obs: Array.from({ length: 24 }, () => 0),
  rgb_static: image(200, 200),
  rgb_gripper: image(84, 84),
  depth_static: { data: new Float32Array(200 * 200), height: 200, width: 200 }
})

const messageOf = (input: unknown) =>
  Effect.runPromise(Effect.flip(decodeEpisodeFrame(input))).then((e) => e.message)

describe("Episode frame schema", () => {
  it("decodes a CALVIN frame with optional depth", async () => {
    const decoded = await Effect.runPromise(decodeEpisodeFrame(frame()))
    expect(decoded.depth_static?.data).toBeInstanceOf(Float32Array)
    expect(decoded.depth_gripper).toBeUndefined()
  })

  it("rejects a gripper that is not ±1 and out-of-range relative actions", async () => {
    const message = await messageOf({ ...frame(), rel_actions: [1.5, 0, 0, 0, 0, 0, 0] })
    expect(message).toContain("rel_actions[0]: expected a value in [-1, 1], got 1.5")
    expect(message).toContain("rel_actions[6]: gripper must be -1 (close) or +1 (open), got 0")
    expect(await messageOf({ ...frame(), actions: [0, 0, 0, 0, 0, 0, 0.5] })).toContain("actions[6]: gripper must be")
  })

  it("checks the depth map size and type", async () => {
    expect(await messageOf({ ...frame(), depth_gripper: { data: new Float32Array(10), height: 84, width: 84 } }))
      .toContain("depth_gripper.data: expected 7056 values (84×84), got 10")
    expect(await messageOf({ ...frame(), depth_gripper: { data: [0], height: 1, width: 1 } }))
      .toContain("depth_gripper.data: Expected Float32Array")
  })

  it("decodes a language annotation and rejects end < start", async () => {
    const ann = { start: 10, end: 74, ann: "open the drawer", task: "open_drawer" }
    expect(await Effect.runPromise(decodeLanguageAnnotation(ann))).toEqual(ann)
    const error = await Effect.runPromise(Effect.flip(decodeLanguageAnnotation({ ...ann, end: 5 })))
    expect(error.message).toContain("end: end (5) must be >= start (10)")
  })
})
