import { describe, expect, it } from "vitest"
import { buildFrameGroup, frameLayout } from "../../src/assembly/Sequence.ts"
import { makeStateTokenEncoder } from "../../src/assembly/StateToken.ts"
import { mulberry32 } from "../../src/Random.ts"
import type { FloatTensor } from "../../src/Tensor.ts"

const D = 3
const random = mulberry32(7)
const tensor = (shape: ReadonlyArray<number>): FloatTensor => ({ data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() - 0.5), shape })
const weights = {
  "arm.weight": tensor([6, D]),
  "arm.bias": tensor([D]),
  "gripper.weight": tensor([2, D]),
  "fuse.weight": tensor([2 * D, D]),
  "fuse.bias": tensor([D])
}
const robotObs = (gripper: number) => [0.1, -0.2, 0.5, 3.0, 0.1, 1.5, 0.07, 0, 0, 0, 0, 0, 0, 0, gripper]

/** The trainer's formula, written out with plain loops over [in, out] matrices. */
const reference = (obs: ReadonlyArray<number>): Array<number> => {
  const w = (name: keyof typeof weights, i: number, j: number, cols = D) => weights[name].data[i * cols + j]!
  const arm = Array.from({ length: D }, (_, j) => weights["arm.bias"].data[j]! + [0, 1, 2, 3, 4, 5].reduce((s, i) => s + obs[i]! * w("arm.weight", i, j), 0))
  const row = obs[14]! > 0 ? 1 : 0
  const gripper = Array.from({ length: D }, (_, j) => w("gripper.weight", row, j))
  const joined = [...arm, ...gripper]
  return Array.from({ length: D }, (_, j) => weights["fuse.bias"].data[j]! + joined.reduce((s, x, i) => s + x * w("fuse.weight", i, j), 0))
}

describe("the robot_obs state token", () => {
  it("encodes robot_obs as the trainer does (arm Linear, gripper embedding by the sign of robot_obs[14], fuse Linear)", () => {
    const encoder = makeStateTokenEncoder(weights, D)
    for (const g of [-1, 1]) {
      const got = encoder.encode(robotObs(g))
      reference(robotObs(g)).forEach((x, j) => expect(got[j]).toBeCloseTo(x, 5))
    }
    expect(Array.from(encoder.encode(robotObs(1)))).not.toEqual(Array.from(encoder.encode(robotObs(-1))))
  })

  it("names a missing, misshapen or unknown tensor and a bad robot_obs", () => {
    const { "fuse.bias": _, ...missing } = weights
    expect(() => makeStateTokenEncoder(missing, D)).toThrow(/state\.fuse\.bias/)
    expect(() => makeStateTokenEncoder({ ...weights, "arm.weight": tensor([5, D]) }, D)).toThrow(/state\.arm\.weight has shape \[5, 3\]/)
    expect(() => makeStateTokenEncoder({ ...weights, extra: tensor([D]) }, D)).toThrow(/unknown state token tensor state\.extra/)
    const encoder = makeStateTokenEncoder(weights, D)
    expect(() => encoder.encode([1, 2, 3])).toThrow(/15/)
    expect(() => encoder.encode(robotObs(Number.NaN))).toThrow(/NaN/)
  })

  it("sits right before the first [LRN] of each frame group", () => {
    const tokenizer = { bosId: 1, eosId: undefined }
    const plain = frameLayout([1, 5, 6], tokenizer, { imageTokens: 2, gripperCamera: false, latent: 2 })
    const withState = frameLayout([1, 5, 6], tokenizer, { imageTokens: 2, gripperCamera: false, latent: 2, stateToken: true })
    expect(withState.sources.length).toBe(plain.sources.length + 1)
    expect(withState.sources[plain.lrnOffsets[0]!]).toEqual({ kind: "state", index: 0 })
    expect(withState.lrnOffsets).toEqual(plain.lrnOffsets.map((o) => o + 1))
    const state = Float32Array.of(7, 8, 9)
    const group = buildFrameGroup(withState, { textEmbeds: new Float32Array(3 * D), staticTokens: new Float32Array(2 * D), actionToken: new Float32Array(D), stateToken: state }, D)
    expect(Array.from(group.embeds.subarray(plain.lrnOffsets[0]! * D, (plain.lrnOffsets[0]! + 1) * D))).toEqual([7, 8, 9])
    expect(() => buildFrameGroup(withState, { textEmbeds: new Float32Array(3 * D), staticTokens: new Float32Array(2 * D), actionToken: new Float32Array(D) }, D)).toThrow(/state token/)
  })
})
