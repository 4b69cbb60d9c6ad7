import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import type { ActionChunk } from "../../src/Action.ts"
import { gripperCommandFromLogit } from "../../src/assembly/ActionDecoding.ts"
import { buildFrameGroup, frameLayout, gatherRows, packRows } from "../../src/assembly/Sequence.ts"
import { headDimensionsFor, makeVlaPolicyModel, type VlaAssemblyConfig } from "../../src/assembly/VlaPolicyModel.ts"
import { preprocessImages } from "../../src/assembly/ImagePreprocessing.ts"
import type { Observation } from "../../src/Observation.ts"
import { SdkError } from "../../src/SdkError.ts"
import { charTokenizer, makeFakeBackbone, makeFakeHead } from "./fakes.ts"

const observation = (seed: number, withGripper = false): Observation => {
  const image = (size: number) => {
    const data = new Uint8Array(size * size * 3)
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 97 + ((i >> 7) * seed)) % 256
    return { data, height: size, width: size }
  }
  return {
    rgbStatic: image(200),
    ...(withGripper ? { rgbGripper: image(84) } : {}),
    robotObs: Array.from({ length: 15 }, (_, i) => (i === 6 ? 0.08 : 0)),
    sceneObs: new Array(24).fill(0)
  }
}

const config = (overrides: Partial<VlaAssemblyConfig> = {}): VlaAssemblyConfig => ({
  historyType: "one_step",
  windowSize: 1,
  chunkSize: 3,
  latent: 1,
  useGripperCamera: false,
  ...overrides
})

const setup = (cfg: VlaAssemblyConfig, headOptions: Parameters<typeof makeFakeHead>[1] = {}, actionToken?: Float32Array) => {
  const { backbone, calls } = makeFakeBackbone()
  const head = makeFakeHead(headDimensionsFor(backbone, cfg), headOptions)
  const model = Effect.runSync(makeVlaPolicyModel({ backbone, head, config: cfg, ...(actionToken ? { actionToken } : {}) }))
  return { model, backbone, head, calls }
}

const failure = <A>(effect: Effect.Effect<A, SdkError>): SdkError => {
  const exit = Effect.runSyncExit(effect)
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (reason === undefined || reason._tag !== "Fail") throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return reason.error
}

const expectValidChunk = (chunk: ActionChunk, n: number) => {
  expect(chunk).toHaveLength(n)
  for (const action of chunk) {
    expect(action).toHaveLength(7)
    for (const v of action.slice(0, 6)) {
      expect(Number.isFinite(v)).toBe(true)
      expect(Math.abs(v)).toBeLessThanOrEqual(0.65)
    }
    expect([-1, 1]).toContain(action[6])
  }
}

const closeChunks = (a: ReadonlyArray<ActionChunk>, b: ReadonlyArray<ActionChunk>) => {
  expect(a.length).toBe(b.length)
  a.forEach((chunk, i) =>
    chunk.forEach((action, k) => {
      action.slice(0, 6).forEach((v, j) => expect(Math.abs(v - b[i]![k]![j]!)).toBeLessThan(1e-6))
      expect(action[6]).toBe(b[i]![k]![6])
    })
  )
}

const instructions = ["go push the red block left", "open the drawer", "use the switch to turn on the light bulb"]

describe("makeVlaPolicyModel", () => {
  it("one-step: returns N denormalised 7-D actions and describes itself", () => {
    const { model } = setup(config())
    expect(model.metadata).toMatchObject({ name: "fake-backbone+fake-head", windowSize: 1, chunkSize: 3, actionSpace: "relative" })
    expect(model.metadata.inputs).toEqual({ rgbStatic: true, rgbGripper: false, robotObs: false, sceneObs: false })
    const policy = Effect.runSync(model.policy())
    const chunk = Effect.runSync(policy.act(observation(1), instructions[0]!))
    expectValidChunk(chunk, 3)
    expect(Array.from(model.actionToken)).toEqual(new Array(8).fill(0)) // RoboVLMs' zero init
    expect(model.parameterGroups().map((g) => g.part)).toEqual(["decoder_layer", "action_token", "head"])
  })

  it("reads the hidden state at each row's [LRN] (before its own EOS)", () => {
    const cfg = config()
    const { model, backbone, calls } = setup(cfg)
    const policies = [0, 1].map(() => Effect.runSync(model.policy()))
    Effect.runSync(model.actBatch(policies.map((policy, i) => ({ policy, observation: observation(i), instruction: instructions[i]! }))))
    const { embeds, hidden, mask } = calls.lastForward!
    const l = embeds.shape[1]!
    for (const [b, instruction] of instructions.slice(0, 2).entries()) {
      const length = charTokenizer.encode(instruction).length + backbone.imageTokens + 1
      expect(Array.from(mask.slice(b * l, (b + 1) * l)).reduce((s, m) => s + m, 0)).toBe(length)
      // The [LRN] (zeros) sits at length − 2, right before this row's EOS.
      const lrnEmbed = Array.from(embeds.data.slice((b * l + length - 2) * 8, (b * l + length - 1) * 8))
      expect(lrnEmbed).toEqual(new Array(8).fill(0))
    }
    expect(hidden.shape[0]).toBe(2)
  })

  it("actBatch equals per-item act for every structure, in one backbone forward", () => {
    for (const historyType of ["one_step", "post", "pre"] as const) {
      const cfg = config({ historyType, windowSize: historyType === "one_step" ? 1 : 3 })
      const batched = setup(cfg)
      const single = setup(cfg)
      const batchPolicies = instructions.map(() => Effect.runSync(batched.model.policy()))
      const singlePolicies = instructions.map(() => Effect.runSync(single.model.policy()))
      for (let step = 0; step < 4; step++) {
        const items = instructions.map((instruction, i) => ({ observation: observation(step * 3 + i), instruction }))
        const forwardsBefore = batched.calls.forwardShapes.length
        const together = Effect.runSync(batched.model.actBatch(items.map((item, i) => ({ ...item, policy: batchPolicies[i]! }))))
        expect(batched.calls.forwardShapes.length).toBe(forwardsBefore + 1)
        expect(batched.calls.forwardShapes.at(-1)![0]).toBe(3)
        const alone = items.map((item, i) => Effect.runSync(singlePolicies[i]!.act(item.observation, item.instruction)))
        closeChunks(together, alone)
        together.forEach((chunk) => expectValidChunk(chunk, 3))
      }
    }
  })

  it("post: history lives in the head's stepper and reset() clears it", () => {
    const { model } = setup(config({ historyType: "post", windowSize: 4 }))
    const policy = Effect.runSync(model.policy())
    const first = Effect.runSync(policy.act(observation(1), "open the drawer"))
    Effect.runSync(policy.act(observation(2), "open the drawer"))
    const third = Effect.runSync(policy.act(observation(1), "open the drawer"))
    expect(third).not.toEqual(first)
    Effect.runSync(policy.reset())
    expect(Effect.runSync(policy.act(observation(1), "open the drawer"))).toEqual(first)
  })

  it("pre: the window grows to W, runs as one sequence, and the newest position's chunk is returned", () => {
    const cfg = config({ historyType: "pre", windowSize: 3 })
    const { model, backbone, head, calls } = setup(cfg)
    const policy = Effect.runSync(model.policy())
    const instruction = "open the drawer"
    const groupLength = charTokenizer.encode(instruction).length + backbone.imageTokens + 1
    const chunks: Array<ActionChunk> = []
    for (let step = 0; step < 5; step++) chunks.push(Effect.runSync(policy.act(observation(step), instruction)))
    expect(calls.forwardShapes.map((s) => s[1])).toEqual([1, 2, 3, 3, 3].map((k) => k * groupLength))

    // Recompute the last call by hand from frames 2, 3, 4: the chunk must be the newest (third) position's.
    const groups = [2, 3, 4].map((step) => {
      const ids = charTokenizer.encode(instruction)
      const image = Effect.runSync(backbone.encodeImages(preprocessImages([observation(step).rgbStatic!], backbone.imagePreprocessing)))
      const text = Effect.runSync(backbone.embedTokens({ data: Int32Array.from(ids), shape: [1, ids.length] }))
      return buildFrameGroup(frameLayout(ids, charTokenizer, { imageTokens: 2, gripperCamera: false, latent: 1 }), {
        textEmbeds: text.data,
        staticTokens: image.data,
        actionToken: new Float32Array(8)
      }, 8)
    })
    const packed = packRows([groups], 8)
    const hidden = Effect.runSync(backbone.forward(packed.inputsEmbeds, packed.attentionMask))
    const out = Effect.runSync(head.predict({ data: gatherRows(hidden, 0, packed.lrnPositions[0]!.flat()), shape: [1, 3, 1, 8] }))
    const newest = Array.from(out.arm.data.slice(2 * 3 * 6, 2 * 3 * 6 + 6), (v) => v * 0.65)
    chunks[4]![0]!.slice(0, 6).forEach((v, j) => expect(v).toBeCloseTo(newest[j]!, 6))
    const oldest = Array.from(out.arm.data.slice(0, 6), (v) => v * 0.65)
    expect(chunks[4]![0]!.slice(0, 6).some((v, j) => Math.abs(v - oldest[j]!) > 1e-4)).toBe(true)

    Effect.runSync(policy.reset())
    Effect.runSync(policy.act(observation(0), instruction))
    expect(calls.forwardShapes.at(-1)![1]).toBe(groupLength)
    expect(chunks[0]).toEqual(Effect.runSync(Effect.flatMap(model.policy(), (p) => p.act(observation(0), instruction))))
  })

  it("feeds the gripper camera when configured", () => {
    const { model, calls } = setup(config({ useGripperCamera: true }))
    expect(model.metadata.inputs.rgbGripper).toBe(true)
    const policy = Effect.runSync(model.policy())
    expectValidChunk(Effect.runSync(policy.act(observation(3, true), "open the drawer")), 3)
    expect(calls.encodeShapes).toHaveLength(2)
    expect(failure(policy.act(observation(3, false), "open the drawer")).reason).toBe("InvalidInput")
  })

  it("maps the gripper logit per reference §1.5 (sigmoid > 0.5 → +1 open, else −1 close) and the arm by ×0.65", () => {
    expect(gripperCommandFromLogit(2)).toBe(1)
    expect(gripperCommandFromLogit(-2)).toBe(-1)
    expect(gripperCommandFromLogit(0)).toBe(-1) // sigmoid(0) = 0.5 is not > 0.5
    for (const [bias, want] of [[100, 1], [-100, -1]] as const) {
      const { model } = setup(config(), { gripperBias: bias, armScale: 1e6 })
      const chunk = Effect.runSync(Effect.flatMap(model.policy(), (p) => p.act(observation(5), "open the drawer")))
      for (const action of chunk) {
        expect(action[6]).toBe(want)
        for (const v of action.slice(0, 6)) expect(Math.abs(v)).toBeCloseTo(0.65, 5) // saturated tanh → ±0.65
      }
    }
  })

  it("uses a given [LRN] vector", () => {
    const zeros = setup(config())
    const token = Float32Array.from({ length: 8 }, (_, i) => Math.cos(i))
    const trained = setup(config(), {}, token)
    expect(Array.from(trained.model.actionToken)).toEqual(Array.from(token))
    const act = (m: typeof zeros.model) => Effect.runSync(Effect.flatMap(m.policy(), (p) => p.act(observation(1), "open the drawer")))
    expect(act(trained.model)).not.toEqual(act(zeros.model))
  })

  it("rejects mismatched parts, foreign policies and bad observations with typed errors", () => {
    const { backbone } = makeFakeBackbone()
    const cfg = config({ historyType: "post", windowSize: 2 })
    const wrongHead = makeFakeHead({ ...headDimensionsFor(backbone, cfg), chunkSize: 9 })
    const e1 = failure(makeVlaPolicyModel({ backbone, head: wrongHead, config: cfg }))
    expect(e1.reason).toBe("InvalidInput")
    expect(e1.subject).toBe("head.dimensions.chunkSize")
    const head = makeFakeHead(headDimensionsFor(backbone, cfg))
    expect(failure(makeVlaPolicyModel({ backbone, head, config: { ...cfg, historyType: "one_step" } })).reason).toBe("InvalidInput")
    expect(failure(makeVlaPolicyModel({ backbone: { ...backbone, specificationVersion: "robovla.backbone/v0" as never }, head, config: cfg })).reason).toBe("IncompatibleContract")
    expect(failure(makeVlaPolicyModel({ backbone, head, config: cfg, actionToken: new Float32Array(3) })).reason).toBe("ShapeMismatch")

    const a = Effect.runSync(makeVlaPolicyModel({ backbone, head, config: cfg }))
    const b = Effect.runSync(makeVlaPolicyModel({ backbone, head, config: cfg }))
    const pa = Effect.runSync(a.policy())
    const pb = Effect.runSync(b.policy())
    expect(failure(a.actBatch([{ policy: pb, observation: observation(1), instruction: "x" }])).reason).toBe("InvalidInput")
    expect(failure(a.actBatch([{ policy: pa, observation: observation(1), instruction: "x" }, { policy: pa, observation: observation(2), instruction: "x" }])).reason).toBe("InvalidInput")
    const { rgbStatic: _, ...noImage } = observation(1)
    expect(failure(pa.act(noImage, "x")).reason).toBe("InvalidInput")
    expect(failure(pa.act({ ...observation(1), rgbStatic: { data: new Uint8Array(7), height: 200, width: 200 } }, "x")).reason).toBe("ShapeMismatch")
    expect(Effect.runSync(a.actBatch([]))).toEqual([])

    const nanModel = setup(config(), { nan: true }).model
    expect(failure(Effect.flatMap(nanModel.policy(), (p) => p.act(observation(1), "x"))).reason).toBe("NonFinite")
  })
})

describe("assemblyConfigFromVla", () => {
  it("maps RoboVLMs' keys, with the CALVIN defaults", async () => {
    const { decodeVlaConfig } = await import("../../src/VlaConfig.ts")
    const { assemblyConfigFromVla } = await import("../../src/assembly/VlaPolicyModel.ts")
    const vla = Effect.runSync(decodeVlaConfig({}))
    expect(assemblyConfigFromVla(vla)).toEqual({
      historyType: "post",
      windowSize: 8,
      chunkSize: 10,
      latent: 1,
      useGripperCamera: false,
      normalization: { min: -0.65, max: 0.65 }
    })
    const oneStep = Effect.runSync(decodeVlaConfig({ window_size: 1, act_head: { type: "mlp", history_type: "one_step" }, use_hand_rgb: true }))
    expect(assemblyConfigFromVla(oneStep)).toMatchObject({ historyType: "one_step", windowSize: 1, useGripperCamera: true })
  })
})
