/**
 * `Backbone.make` and `PolicyHead.make`: what they own for every plugin (argument checks before a hook runs,
 * the release guard, thrown values as SdkError, copied and checked outputs, the default window stepper).
 */
import { Effect, Exit, Scope } from "effect"
import { describe, expect, it } from "vitest"
import { Backbone, PolicyHead, SdkError } from "../../src/index.ts"
import type { BackboneHooks, FloatTensor, PolicyHeadHooks } from "../../src/index.ts"

const D = 4
const S = 2

/** Makes in a fresh Scope; the caller closes it. */
const open = async <A>(make: Effect.Effect<A, SdkError, Scope.Scope>) => {
  const scope = await Effect.runPromise(Scope.make())
  const value = await Effect.runPromise(Scope.provide(scope)(make))
  return { value, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

const reasonOf = async (effect: Effect.Effect<unknown, SdkError>) => (await Effect.runPromise(Effect.flip(effect))).reason

/** A backbone whose hooks count their calls and return one shared buffer (as an engine's view would be). */
const countingBackbone = (overrides: Partial<BackboneHooks> = {}) => {
  const calls = { encodeImages: 0, embedTokens: 0, forward: 0 }
  const shared = new Float32Array(2 * 1 * D).fill(0.5)
  const hooks: BackboneHooks = {
    name: "counting",
    hiddenSize: D,
    imageTokens: 1,
    imagePreprocessing: { size: S, mean: [0, 0, 0], std: [1, 1, 1], resample: "nearest" },
    tokenizer: { vocabSize: 10, bosId: 1, eosId: 2, padId: 0, encode: () => [1, 2], decode: () => "" },
    maxSequenceLength: 3,
    encodeImages: (pixels) => {
      calls.encodeImages++
      return { data: shared.subarray(0, pixels.shape[0]! * D), shape: [pixels.shape[0]!, 1, D] }
    },
    embedTokens: (ids) => {
      calls.embedTokens++
      return { data: new Float32Array(ids.data.length * D), shape: [...ids.shape, D] }
    },
    forward: (embeds) => {
      calls.forward++
      return embeds
    },
    ...overrides
  }
  return { calls, make: Backbone.make(hooks) }
}

const floats = (shape: ReadonlyArray<number>, fill = 0.25): FloatTensor<any> => ({
  data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill),
  shape
})

describe("Backbone.make", () => {
  it("checks arguments before any hook runs, with the SDK's reasons", async () => {
    const { calls, make } = countingBackbone()
    const { close, value: backbone } = await open(make)
    expect(await reasonOf(backbone.encodeImages(floats([1, 3, S + 1, S])))).toBe("ShapeMismatch")
    expect(await reasonOf(backbone.encodeImages({ data: new Float32Array(5), shape: [1, 3, S, S] }))).toBe("ShapeMismatch")
    expect(await reasonOf(backbone.encodeImages({ data: new Float64Array(12) as unknown as Float32Array, shape: [1, 3, S, S] })))
      .toBe("InvalidInput")
    expect(await reasonOf(backbone.encodeImages(floats([1, 3, S, S], Number.NaN)))).toBe("NonFinite")
    expect(await reasonOf(backbone.embedTokens({ data: Int32Array.from([1, 10]), shape: [1, 2] }))).toBe("InvalidInput")
    const embeds = floats([1, 2, D])
    expect(await reasonOf(backbone.forward(embeds, { data: Int32Array.from([1, 2]), shape: [1, 2] }))).toBe("InvalidInput")
    expect(await reasonOf(backbone.forward(embeds, { data: Int32Array.from([1, 1, 1]), shape: [1, 3] }))).toBe("ShapeMismatch")
    expect(await reasonOf(backbone.forward(floats([1, 4, D]), { data: new Int32Array(4).fill(1), shape: [1, 4] })))
      .toBe("ShapeMismatch") // longer than maxSequenceLength
    expect(calls).toEqual({ encodeImages: 0, embedTokens: 0, forward: 0 })
    await close()
  })

  it("copies outputs (a hook may return views), then refuses calls once the Scope closes", async () => {
    const { calls, make } = countingBackbone()
    const { close, value: backbone } = await open(make)
    const pixels = floats([2, 3, S, S])
    const first = await Effect.runPromise(backbone.encodeImages(pixels))
    const second = await Effect.runPromise(backbone.encodeImages(pixels))
    expect(first.shape).toEqual([2, 1, D])
    expect(first.data.buffer).not.toBe(second.data.buffer)
    const embeds = floats([1, 2, D])
    const hidden = await Effect.runPromise(backbone.forward(embeds, { data: Int32Array.from([1, 1]), shape: [1, 2] }))
    expect(hidden.data.buffer).not.toBe(embeds.data.buffer) // the hook returned its input: the caller still gets a copy
    await close()
    expect(await reasonOf(backbone.encodeImages(pixels))).toBe("Released")
    expect(calls.encodeImages).toBe(2)
  })

  it("reports a hook's wrong output shape, NaN output and thrown error as the plugin's failure", async () => {
    const wrong = await open(countingBackbone({ embedTokens: () => floats([1, 1, D]) }).make)
    expect(await reasonOf(wrong.value.embedTokens({ data: Int32Array.from([1, 2]), shape: [1, 2] }))).toBe("ShapeMismatch")
    await wrong.close()
    const nan = await open(countingBackbone({ encodeImages: () => floats([1, 1, D], Number.NaN) }).make)
    expect(await reasonOf(nan.value.encodeImages(floats([1, 3, S, S])))).toBe("NonFinite")
    await nan.close()
    const throwing = await open(countingBackbone({ forward: () => { throw new Error("engine exploded") } }).make)
    const failure = await Effect.runPromise(Effect.flip(throwing.value.forward(floats([1, 2, D]), { data: Int32Array.from([1, 1]), shape: [1, 2] })))
    expect(failure).toBeInstanceOf(SdkError)
    expect(failure.reason).toBe("PluginFailure")
    expect(failure.message).toContain("engine exploded")
    await throwing.close()
  })
})

/** A head whose arm at position t is tanh(mean of the window's features up to t): causal, so the window stepper agrees. */
const meanHead = (dimensions = { inputSize: 2, windowSize: 2, chunkSize: 1, latent: 1 }): PolicyHeadHooks => ({
  name: "mean",
  kind: "continuous",
  dimensions,
  predict: (lrn) => {
    const [B, T] = lrn.shape as [number, number]
    const arm = new Float32Array(B * T * 6)
    for (let b = 0; b < B; b++) {
      let sum = 0
      for (let t = 0; t < T; t++) {
        sum += lrn.data[(b * T + t) * 2]! + lrn.data[(b * T + t) * 2 + 1]!
        arm.fill(Math.tanh(sum / (t + 1)), (b * T + t) * 6, (b * T + t + 1) * 6)
      }
    }
    return { arm: { data: arm, shape: [B, T, 1, 6] }, gripperLogits: { data: new Float32Array(B * T), shape: [B, T, 1, 1] } }
  }
})

describe("PolicyHead.make", () => {
  it("rejects bad dimensions with InvalidInput", async () => {
    const exit = await Effect.runPromiseExit(Effect.scoped(PolicyHead.make({ ...meanHead(), dimensions: { inputSize: 2, windowSize: 0, chunkSize: 1, latent: 1 } })))
    expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain("windowSize")
  })

  it("steps with the window stepper by default: step k equals predict's last position over the last W frames", async () => {
    const { close, value: head } = await open(PolicyHead.make(meanHead()))
    const frames = [0.1, 0.4, -0.3].map((v) => floats([1, 1, 2], v))
    const stepper = head.stepper()
    const stepped: Array<number> = []
    for (const frame of frames) {
      stepped.push((await Effect.runPromise(stepper.step(frame))).arm.data[0]!)
      frame.data.fill(9) // the caller reuses its buffer: the stepper kept its own copy
    }
    const window = (values: ReadonlyArray<number>): FloatTensor<any> => ({ data: Float32Array.from(values.flatMap((v) => [v, v])), shape: [1, values.length, 1, 2] })
    const predictLast = async (values: ReadonlyArray<number>) => {
      const out = await Effect.runPromise(head.predict(window(values)))
      return out.arm.data[(values.length - 1) * 6]!
    }
    expect(stepped[0]).toBeCloseTo(await predictLast([0.1]), 6)
    expect(stepped[1]).toBeCloseTo(await predictLast([0.1, 0.4]), 6)
    expect(stepped[2]).toBeCloseTo(await predictLast([0.4, -0.3]), 6) // W = 2: the oldest frame left
    await close()
  })

  it("keeps one batch size per stepper session until reset(), and refuses calls after release", async () => {
    const { close, value: head } = await open(PolicyHead.make(meanHead()))
    const stepper = head.stepper()
    await Effect.runPromise(stepper.step(floats([1, 1, 2])))
    expect(await reasonOf(stepper.step(floats([2, 1, 2])))).toBe("ShapeMismatch")
    stepper.reset()
    expect((await Effect.runPromise(stepper.step(floats([2, 1, 2])))).arm.shape).toEqual([2, 1, 6])
    expect(await reasonOf(head.predict(floats([1, 2, 1, 3])))).toBe("ShapeMismatch")
    await close()
    expect(await reasonOf(head.predict(floats([1, 2, 1, 2])))).toBe("Released")
    expect(await reasonOf(stepper.step(floats([2, 1, 2])))).toBe("Released")
  })

  it("stepMany: equals each stepper's step in turn, through the plugin's hook when it has one", async () => {
    // A stateful stepper (running sum of its frames) whose stepMany hook records the calls it gets.
    const hookCalls: Array<number> = []
    const sums = new WeakMap<object, Array<number>>()
    const sumStepper = () => {
      const own = {
        reset: () => void sums.set(own, []),
        step: (lrn: FloatTensor<"B latent D">) => stepOne(own, lrn)
      }
      sums.set(own, [])
      return own
    }
    const stepOne = (own: object, lrn: FloatTensor<"B latent D">) => {
      const B = lrn.shape[0]!
      const sum = sums.get(own)!
      const arm = new Float32Array(B * 6)
      for (let b = 0; b < B; b++) {
        sum[b] = (sum[b] ?? 0) + lrn.data[b * 2]! + lrn.data[b * 2 + 1]!
        arm.fill(Math.tanh(sum[b]!), b * 6, (b + 1) * 6)
      }
      return { arm: { data: arm, shape: [B, 1, 6] }, gripperLogits: { data: new Float32Array(B), shape: [B, 1, 1] } }
    }
    const withHook: PolicyHeadHooks = {
      ...meanHead(),
      stepper: sumStepper,
      stepMany: (steps) => {
        hookCalls.push(steps.length)
        return steps.map(({ lrn, stepper }) => stepOne(stepper, lrn))
      }
    }
    for (const hooks of [withHook, meanHead()]) {
      const { close, value: head } = await open(PolicyHead.make(hooks))
      const [a, b, c, d] = [head.stepper(), head.stepper(), head.stepper(), head.stepper()]
      for (let t = 0; t < 3; t++) {
        const fa = floats([1, 1, 2], 0.1 * t), fb = floats([2, 1, 2], -0.2 + 0.05 * t)
        const together = await Effect.runPromise(head.stepMany!([{ stepper: a, lrn: fa }, { stepper: b, lrn: fb }]))
        const alone = [await Effect.runPromise(c.step(fa)), await Effect.runPromise(d.step(fb))]
        expect(together.map((o) => o.arm.shape)).toEqual([[1, 1, 6], [2, 1, 6]])
        together.forEach((o, i) => expect(Array.from(o.arm.data)).toEqual(Array.from(alone[i]!.arm.data)))
      }
      // Checked before any stepper advances: a foreign stepper, a repeated one, a batch change without reset.
      const { value: other, close: closeOther } = await open(PolicyHead.make(meanHead()))
      expect(await reasonOf(head.stepMany!([{ stepper: a, lrn: floats([1, 1, 2]) }, { stepper: other.stepper(), lrn: floats([1, 1, 2]) }]))).toBe("InvalidInput")
      expect(await reasonOf(head.stepMany!([{ stepper: a, lrn: floats([1, 1, 2]) }, { stepper: a, lrn: floats([1, 1, 2]) }]))).toBe("InvalidInput")
      expect(await reasonOf(head.stepMany!([{ stepper: a, lrn: floats([1, 1, 2]) }, { stepper: b, lrn: floats([1, 1, 2]) }]))).toBe("ShapeMismatch")
      const next = floats([1, 1, 2], 0.3)
      expect(Array.from((await Effect.runPromise(a.step(next))).arm.data)).toEqual(Array.from((await Effect.runPromise(c.step(next))).arm.data))
      expect(await Effect.runPromise(head.stepMany!([]))).toEqual([])
      await closeOther()
      await close()
      expect(await reasonOf(head.stepMany!([{ stepper: a, lrn: floats([1, 1, 2]) }]))).toBe("Released")
    }
    expect(hookCalls).toEqual([2, 2, 2])
  })
})
