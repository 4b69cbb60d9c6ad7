import { Cause, Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { buildFrameGroup, frameLayout } from "../../src/assembly/Sequence.ts"
import { makeStateTokenEncoder, type StateTokenEncoder } from "../../src/assembly/StateToken.ts"
import { headDimensionsFor, makeVlaPolicyModel, type VlaAssemblyConfig } from "../../src/assembly/VlaPolicyModel.ts"
import { mulberry32 } from "../../src/Random.ts"
import type { FloatTensor } from "../../src/Tensor.ts"
import { makeFakeBackbone, makeFakeHead } from "./fakes.ts"

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

  it("encodeBatch equals encode per item, and weights() hands out copies of the tensors", () => {
    const encoder = makeStateTokenEncoder(weights, D)
    const tokens = Effect.runSync(encoder.encodeBatch([robotObs(1), robotObs(-1)]))
    expect(tokens.map((t) => Array.from(t))).toEqual([Array.from(encoder.encode(robotObs(1))), Array.from(encoder.encode(robotObs(-1)))])
    const out = encoder.weights()
    expect(Object.keys(out).sort()).toEqual(Object.keys(weights).sort())
    expect(Array.from(out["fuse.weight"]!.data)).toEqual(Array.from(weights["fuse.weight"].data))
    out["fuse.weight"]!.data[0] = 99
    expect(encoder.weights()["fuse.weight"]!.data[0]).not.toBe(99)
  })

  it("the assembly encodes a batch in one call of any encoder, checking robotObs before and the tokens after", () => {
    const { backbone } = makeFakeBackbone({ hiddenSize: 8 })
    const config: VlaAssemblyConfig = { historyType: "one_step", windowSize: 1, chunkSize: 2, latent: 1, useGripperCamera: false }
    const head = makeFakeHead(headDimensionsFor(backbone, config))
    const calls: Array<number> = []
    const encoder = (width: number): StateTokenEncoder => ({
      encodeBatch: (obs) => Effect.sync(() => {
        calls.push(obs.length)
        return obs.map((o) => new Float32Array(width).fill(o[14]!))
      })
    })
    const image = { data: new Uint8Array(4 * 4 * 3).fill(7), height: 4, width: 4 }
    const run = (stateToken: StateTokenEncoder, obs: ReadonlyArray<ReadonlyArray<number> | undefined>) =>
      Effect.runSync(Effect.gen(function*() {
        const model = yield* makeVlaPolicyModel({ backbone, head, config, stateToken })
        expect(model.stateToken).toBe(stateToken)
        expect(model.metadata.inputs.robotObs).toBe(true)
        const items = yield* Effect.forEach(obs, (o) => Effect.map(model.policy(), (policy) => ({ policy, instruction: "go", observation: { rgbStatic: image, ...(o === undefined ? {} : { robotObs: o }) } as never })))
        return yield* Effect.exit(model.actBatch(items))
      }))
    const error = (stateToken: StateTokenEncoder, obs: ReadonlyArray<ReadonlyArray<number> | undefined>) => {
      const exit = run(stateToken, obs)
      if (Exit.isSuccess(exit)) throw new Error("expected a failure")
      return Cause.squash(exit.cause)
    }
    const ok = run(encoder(8), [robotObs(1), robotObs(-1), robotObs(1)])
    expect(Exit.isSuccess(ok) && ok.value.length).toBe(3)
    expect(calls).toEqual([3])
    expect(error(encoder(8), [robotObs(1), [1, 2]])).toMatchObject({ reason: "ShapeMismatch", subject: "observation.robotObs" })
    expect(error(encoder(8), [robotObs(Number.NaN)])).toMatchObject({ reason: "NonFinite", subject: "observation.robotObs" })
    expect(error(encoder(8), [undefined])).toMatchObject({ reason: "InvalidInput", subject: "observation.robotObs" })
    expect(calls).toEqual([3]) // the bad ones never reached the encoder
    expect(error(encoder(5), [robotObs(1)])).toMatchObject({ reason: "ShapeMismatch", subject: "stateToken" })
  })
})
