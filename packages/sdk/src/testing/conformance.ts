/**
 * The conformance kit every backbone and head package runs from its own test file:
 *
 * ```ts
 * import { conformanceSuite } from "@robovla/sdk/testing"
 * import { plugin } from "../src/index.ts"
 *
 * conformanceSuite(plugin, { config: { ...plugin.defaultConfig, hiddenSize: 16 } })
 * ```
 *
 * It registers vitest `describe`/`it` blocks (vitest is an optional peer of the SDK) that check what the SDK and
 * the assembly rely on: the manifest passes the loader's Schema; the config Schema round-trips through JSON;
 * `make` works in a Scope; output shapes, ranges and finiteness; the attention mask is respected (backbones);
 * stepper shapes and `reset()` semantics (heads); determinism across two makes; outputs never share buffers
 * with inputs or earlier outputs; use after release does not crash (fails with `"Released"` if it fails);
 * wrong shapes fail with `"ShapeMismatch"`; NaN input fails with `"NonFinite"` or gives finite output.
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit, Result, Schema, type Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as AsyncScope from "../AsyncScope.ts"
import type { Backbone } from "../Backbone.ts"
import { BACKBONE_CONTRACT_VERSION } from "../Backbone.ts"
import type { BackbonePlugin, HeadPlugin, Plugin } from "../Plugin.ts"
import { makePlugin, validateManifest } from "../PluginLoader.ts"
import type { HeadDimensions, PolicyHead } from "../PolicyHead.ts"
import { HEAD_CONTRACT_VERSION } from "../PolicyHead.ts"
import { SdkError } from "../SdkError.ts"
import type { FloatTensor, IntTensor } from "../Tensor.ts"
import { isAllFinite, sizeOf } from "../Tensor.ts"
import { randomWeights, seededRandom } from "./tensorChecks.ts"

/**
 * The groups of checks, for `skip`.
 *
 * @since 0.1.0
 * @category models
 */
export type ConformanceCheck =
  | "manifest"
  | "config"
  | "make"
  | "shapes"
  | "mask"
  | "stepper"
  | "determinism"
  | "buffers"
  | "release"
  | "badInput"

/**
 * @since 0.1.0
 * @category models
 */
export interface ConformanceOptions {
  /** The config to make with (Type side, as `defaultConfig`); defaults to `defaultConfig`. Use small dims. */
  readonly config?: unknown
  /** Head dimensions; default `{ inputSize: 16, windowSize: 3, chunkSize: 2, latent: 1 }`. */
  readonly dimensions?: HeadDimensions
  /** Batch size B of the probes (default 2). */
  readonly batchSize?: number
  /** Token sequence length L of the backbone probes (default 8). */
  readonly sequenceLength?: number
  /** Largest absolute difference accepted where outputs must be equal (default 1e-5). */
  readonly tolerance?: number
  /** Checks to leave out (slow parts, or ones a plugin documents it cannot meet). */
  readonly skip?: ReadonlyArray<ConformanceCheck>
  /** Optional hook: resources the plugin holds; must return to its earlier value once the Scope closes. */
  readonly liveResources?: () => number
  /** Per-test timeout in milliseconds. */
  readonly timeout?: number
}

const DEFAULT_DIMENSIONS: HeadDimensions = { inputSize: 16, windowSize: 3, chunkSize: 2, latent: 1 }

// ---------------------------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------------------------

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length)
  let worst = 0
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!)
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d
  }
  return worst
}

const expectClose = (a: FloatTensor, b: FloatTensor, tolerance: number, what: string): void => {
  expect(a.shape, `${what}: shapes differ`).toEqual(b.shape)
  expect(maxAbsDiff(a.data, b.data), `${what}: max |difference|`).toBeLessThanOrEqual(tolerance)
}

const expectShape = (tensor: { readonly data: ArrayLike<number>; readonly shape: ReadonlyArray<number> }, shape: ReadonlyArray<number>, what: string): void => {
  expect([...tensor.shape], `${what}: shape`).toEqual([...shape])
  expect(tensor.data.length, `${what}: data length`).toBe(sizeOf(shape))
}

const expectFinite = (tensor: FloatTensor, what: string): void => {
  expect(isAllFinite(tensor.data), `${what}: contains NaN or Infinity`).toBe(true)
}

/** Runs an Effect that should fail with a typed `SdkError` (never a defect); returns it or undefined on success. */
const failureOf = async <A>(effect: Effect.Effect<A, SdkError>, what: string): Promise<{ error?: SdkError; value?: A }> => {
  let exit: Exit.Exit<A, SdkError>
  try {
    exit = await Effect.runPromiseExit(effect)
  } catch (thrown) {
    throw new Error(`${what}: threw synchronously instead of returning a failed Effect: ${String(thrown)}`)
  }
  if (Exit.isSuccess(exit)) return { value: exit.value }
  const found = Cause.findError(exit.cause)
  if (Result.isFailure(found)) {
    throw new Error(`${what}: died (a defect, not a typed SdkError): ${Cause.pretty(exit.cause)}`)
  }
  expect(found.success, `${what}: fails with an SdkError`).toBeInstanceOf(SdkError)
  return { error: found.success }
}

const expectReason = async <A>(effect: Effect.Effect<A, SdkError>, reason: SdkError["reason"], what: string): Promise<void> => {
  const { error } = await failureOf(effect, what)
  expect(error, `${what}: should fail with SdkError "${reason}" but succeeded`).toBeDefined()
  expect(error!.reason, `${what}: ${error!.message}`).toBe(reason)
}

/** NaN input must fail with "NonFinite", or (documented alternative) produce finite output. */
const expectNonFiniteHandled = async (effect: Effect.Effect<ReadonlyArray<FloatTensor>, SdkError>, what: string): Promise<void> => {
  const { error, value } = await failureOf(effect, what)
  if (error !== undefined) expect(error.reason, `${what}: ${error.message}`).toBe("NonFinite")
  else for (const tensor of value!) expectFinite(tensor, `${what} (accepted NaN input, so output must be finite)`)
}

/** Probe tensors carry no dims label, so they fit every labelled parameter. */
type Probe = FloatTensor<any>

const randomTensor = (seed: number, shape: ReadonlyArray<number>, scale = 1): Probe => ({
  data: randomWeights(seededRandom(seed), sizeOf(shape), scale),
  shape: [...shape]
})

const withNaN = (tensor: FloatTensor): Probe => {
  const data = Float32Array.from(tensor.data)
  data[Math.floor(data.length / 2)] = NaN
  return { data, shape: tensor.shape }
}

const encodeConfig = (plugin: Plugin, config: unknown): unknown => Schema.encodeUnknownSync(plugin.configSchema)(config)

/** Makes the plugin in a fresh Scope, returning the instance and a close function. */
const makeScoped = async <A>(make: Effect.Effect<A, SdkError, Scope.Scope>) => {
  const { close, value } = await AsyncScope.acquire(make)
  return { instance: value, close }
}

// ---------------------------------------------------------------------------------------------------------------
// shared checks
// ---------------------------------------------------------------------------------------------------------------

const manifestAndConfigChecks = (plugin: Plugin, config: unknown, enabled: (check: ConformanceCheck) => boolean, timeout: number | undefined) => {
  it.skipIf(!enabled("manifest"))("manifest passes the loader's Schema and contract check", () => {
    const validated = validateManifest(plugin, `${plugin.kind} plugin ${plugin.name}`)
    if (Result.isFailure(validated)) throw validated.failure
    expect(plugin.contractVersion).toBe(plugin.kind === "backbone" ? BACKBONE_CONTRACT_VERSION : HEAD_CONTRACT_VERSION)
  }, timeout)

  it.skipIf(!enabled("config"))("config Schema round-trips defaultConfig and the test config through JSON", () => {
    for (const [label, value] of [["defaultConfig", plugin.defaultConfig], ["test config", config]] as const) {
      const encoded = encodeConfig(plugin, value)
      const json = JSON.parse(JSON.stringify(encoded)) as unknown
      expect(json, `${label}: encoded config must survive JSON`).toEqual(encoded)
      const decoded = Schema.decodeUnknownSync(plugin.configSchema)(json)
      expect(decoded, `${label}: decode(encode(config)) equals config`).toEqual(value)
      expect(encodeConfig(plugin, decoded), `${label}: encode(decode(encoded)) equals encoded`).toEqual(encoded)
    }
  }, timeout)
}

const releaseCheck = <A>(
  make: () => Effect.Effect<A, SdkError, Scope.Scope>,
  use: (instance: A) => Effect.Effect<unknown, SdkError>,
  options: ConformanceOptions,
  enabled: (check: ConformanceCheck) => boolean
) =>
  it.skipIf(!enabled("release"))("releases its resources when the Scope closes; later calls fail cleanly", async () => {
    const before = options.liveResources?.()
    const { instance, close } = await makeScoped(make())
    if (options.liveResources) expect(options.liveResources(), "liveResources while made").toBeGreaterThan(before!)
    await close()
    if (options.liveResources) expect(options.liveResources(), "liveResources after the Scope closed").toBe(before)
    const { error } = await failureOf(use(instance), "call after release")
    if (error !== undefined) expect(error.reason, error.message).toBe("Released")
  }, options.timeout)

// ---------------------------------------------------------------------------------------------------------------
// backbones
// ---------------------------------------------------------------------------------------------------------------

const backboneSuite = (plugin: BackbonePlugin<any>, options: ConformanceOptions, enabled: (check: ConformanceCheck) => boolean) => {
  const config = options.config ?? plugin.defaultConfig
  const B = options.batchSize ?? 2
  const L = options.sequenceLength ?? 8
  const tolerance = options.tolerance ?? 1e-5
  const timeout = options.timeout
  const make = () => makePlugin(plugin, encodeConfig(plugin, config))
  let made: { instance: Backbone; close: () => Promise<void> } | undefined

  beforeAll(async () => {
    if (enabled("make") || enabled("shapes") || enabled("mask") || enabled("buffers") || enabled("badInput") || enabled("determinism")) {
      made = await makeScoped(make())
    }
  }, timeout)
  afterAll(async () => {
    await made?.close()
  }, timeout)

  const backbone = (): Backbone => {
    if (made === undefined) throw new Error("the backbone was not made (see the make test)")
    return made.instance
  }
  const pixels = (seed: number): Probe => {
    const S = backbone().imagePreprocessing.size
    return randomTensor(seed, [B, 3, S, S])
  }
  const ids = (): IntTensor<any> => {
    const { tokenizer } = backbone()
    const rows = ["pick up the red block", "open the drawer"].map((s) => tokenizer.encode(s))
    const data = new Int32Array(B * L).fill(tokenizer.padId)
    for (let b = 0; b < B; b++) {
      const row = rows[b % rows.length]!.slice(0, L)
      data.set(row, b * L)
    }
    return { data, shape: [B, L] }
  }
  const ones = (): IntTensor<any> => ({ data: new Int32Array(B * L).fill(1), shape: [B, L] })

  manifestAndConfigChecks(plugin, config, enabled, timeout)

  it.skipIf(!enabled("make"))("make works in a Scope and describes itself", () => {
    const b = backbone()
    expect(b.specificationVersion).toBe(BACKBONE_CONTRACT_VERSION)
    expect(Number.isInteger(b.hiddenSize) && b.hiddenSize > 0, "hiddenSize is a positive integer").toBe(true)
    expect(Number.isInteger(b.imageTokens) && b.imageTokens > 0, "imageTokens is a positive integer").toBe(true)
    expect(b.imagePreprocessing.size).toBeGreaterThan(0)
    expect(b.imagePreprocessing.mean).toHaveLength(3)
    expect(b.imagePreprocessing.std).toHaveLength(3)
    expect(Array.isArray(b.parameterGroups())).toBe(true)
    const encoded = b.tokenizer.encode("push the button")
    expect(encoded.length).toBeGreaterThan(0)
    for (const id of encoded) expect(Number.isInteger(id) && id >= 0 && id < b.tokenizer.vocabSize, `token id ${id} in vocabulary`).toBe(true)
    if (b.tokenizer.bosId !== undefined) expect(encoded[0], "encode starts with BOS").toBe(b.tokenizer.bosId)
    expect(typeof b.tokenizer.decode(encoded)).toBe("string")
  }, timeout)

  it.skipIf(!enabled("shapes"))("encodeImages gives (B, n, D), finite and input-dependent", async () => {
    const b = backbone()
    const out = await Effect.runPromise(b.encodeImages(pixels(1)))
    expectShape(out, [B, b.imageTokens, b.hiddenSize], "encodeImages")
    expectFinite(out, "encodeImages")
    const other = await Effect.runPromise(b.encodeImages(pixels(2)))
    expect(maxAbsDiff(out.data, other.data), "different images give different tokens").toBeGreaterThan(tolerance)
  }, timeout)

  it.skipIf(!enabled("shapes"))("embedTokens gives (B, L, D), finite", async () => {
    const b = backbone()
    const out = await Effect.runPromise(b.embedTokens(ids()))
    expectShape(out, [B, L, b.hiddenSize], "embedTokens")
    expectFinite(out, "embedTokens")
  }, timeout)

  it.skipIf(!enabled("shapes"))("forward gives (B, L, D), finite and input-dependent", async () => {
    const b = backbone()
    const embeds = await Effect.runPromise(b.embedTokens(ids()))
    const out = await Effect.runPromise(b.forward(embeds, ones()))
    expectShape(out, [B, L, b.hiddenSize], "forward")
    expectFinite(out, "forward")
    const changed = randomTensor(3, [B, L, b.hiddenSize])
    const other = await Effect.runPromise(b.forward(changed, ones()))
    expect(maxAbsDiff(out.data, other.data), "different inputs give different hidden states").toBeGreaterThan(tolerance)
  }, timeout)

  it.skipIf(!enabled("mask"))("forward respects the attention mask (left padding)", async () => {
    const b = backbone()
    const D = b.hiddenSize
    const base = randomTensor(4, [B, L, D])
    const mask = ones()
    for (let r = 0; r < B; r++) mask.data[r * L] = 0 // position 0 of every row is padding
    const perturbed = Float32Array.from(base.data)
    const noise = randomWeights(seededRandom(5), B * D, 1)
    for (let r = 0; r < B; r++) for (let d = 0; d < D; d++) perturbed[r * L * D + d] = noise[r * D + d]!
    const a = await Effect.runPromise(b.forward(base, mask))
    const c = await Effect.runPromise(b.forward({ data: perturbed, shape: base.shape }, mask))
    for (let r = 0; r < B; r++) {
      const unmasked = (t: FloatTensor) => t.data.subarray((r * L + 1) * D, (r + 1) * L * D)
      expect(maxAbsDiff(unmasked(a), unmasked(c)), `row ${r}: masked-out content must not change other positions`).toBeLessThanOrEqual(tolerance)
    }
    const unmaskedAll = await Effect.runPromise(b.forward({ data: perturbed, shape: base.shape }, ones()))
    const allOnes = await Effect.runPromise(b.forward(base, ones()))
    expect(maxAbsDiff(unmaskedAll.data, allOnes.data), "with the mask on, position 0 does matter").toBeGreaterThan(tolerance)
  }, timeout)

  it.skipIf(!enabled("buffers"))("outputs never share buffers with inputs or earlier outputs", async () => {
    const b = backbone()
    const input = pixels(6)
    const first = await Effect.runPromise(b.encodeImages(input))
    const snapshot = Float32Array.from(first.data)
    expect(first.data.buffer).not.toBe(input.data.buffer)
    const second = await Effect.runPromise(b.encodeImages(input))
    expect(second.data.buffer).not.toBe(first.data.buffer)
    second.data.fill(123)
    expect(maxAbsDiff(first.data, snapshot), "writing into one output changed another").toBe(0)
    const embeds = await Effect.runPromise(b.embedTokens(ids()))
    const hidden = await Effect.runPromise(b.forward(embeds, ones()))
    expect(hidden.data.buffer).not.toBe(embeds.data.buffer)
  }, timeout)

  it.skipIf(!enabled("determinism"))("two makes with the same config give identical outputs", async () => {
    const second = await makeScoped(make())
    try {
      const [a, c] = [backbone(), second.instance]
      expectClose(await Effect.runPromise(a.encodeImages(pixels(7))), await Effect.runPromise(c.encodeImages(pixels(7))), tolerance, "encodeImages")
      const embedsA = await Effect.runPromise(a.embedTokens(ids()))
      expectClose(embedsA, await Effect.runPromise(c.embedTokens(ids())), tolerance, "embedTokens")
      expectClose(await Effect.runPromise(a.forward(embedsA, ones())), await Effect.runPromise(c.forward(embedsA, ones())), tolerance, "forward")
    } finally {
      await second.close()
    }
  }, timeout)

  it.skipIf(!enabled("badInput"))("wrong shapes fail with ShapeMismatch; NaN fails with NonFinite or gives finite output", async () => {
    const b = backbone()
    const S = b.imagePreprocessing.size
    const D = b.hiddenSize
    await expectReason(b.encodeImages(randomTensor(8, [B, 3, S + 1, S + 1])), "ShapeMismatch", "encodeImages with the wrong image size")
    await expectReason(b.encodeImages(randomTensor(8, [B, 4, S, S])), "ShapeMismatch", "encodeImages with 4 channels")
    await expectReason(b.forward(randomTensor(9, [B, L, D + 1]), ones()), "ShapeMismatch", "forward with the wrong width")
    await expectReason(b.forward(randomTensor(9, [B, L, D]), { data: new Int32Array(B * (L - 1)).fill(1), shape: [B, L - 1] }), "ShapeMismatch", "forward with a mask of another length")
    await expectNonFiniteHandled(Effect.map(b.encodeImages(withNaN(pixels(10))), (t) => [t]), "encodeImages with NaN pixels")
    await expectNonFiniteHandled(Effect.map(b.forward(withNaN(randomTensor(11, [B, L, D])), ones()), (t) => [t]), "forward with NaN embeddings")
  }, timeout)

  releaseCheck(make, (b: Backbone) => b.embedTokens(ids()), options, enabled)
}

// ---------------------------------------------------------------------------------------------------------------
// heads
// ---------------------------------------------------------------------------------------------------------------

const headSuite = (plugin: HeadPlugin<any>, options: ConformanceOptions, enabled: (check: ConformanceCheck) => boolean) => {
  const config = options.config ?? plugin.defaultConfig
  const dims = options.dimensions ?? DEFAULT_DIMENSIONS
  const { inputSize: D, windowSize: W, chunkSize: N, latent } = dims
  const B = options.batchSize ?? 2
  const tolerance = options.tolerance ?? 1e-5
  const timeout = options.timeout
  const make = () => makePlugin(plugin, encodeConfig(plugin, config), dims)
  let made: { instance: PolicyHead; close: () => Promise<void> } | undefined

  beforeAll(async () => {
    if (enabled("make") || enabled("shapes") || enabled("stepper") || enabled("buffers") || enabled("badInput") || enabled("determinism")) {
      made = await makeScoped(make())
    }
  }, timeout)
  afterAll(async () => {
    await made?.close()
  }, timeout)

  const head = (): PolicyHead => {
    if (made === undefined) throw new Error("the head was not made (see the make test)")
    return made.instance
  }
  const windowInput = (seed: number) => randomTensor(seed, [B, W, latent, D])
  const frame = (seed: number) => randomTensor(seed, [B, latent, D])
  const checkArm = (arm: FloatTensor, what: string) => {
    expectFinite(arm, what)
    for (const v of arm.data) if (v < -1 || v > 1) expect(v, `${what}: arm value within [-1, 1]`).toBeLessThanOrEqual(1)
  }

  manifestAndConfigChecks(plugin, config, enabled, timeout)

  it.skipIf(!enabled("make"))("make works in a Scope and keeps the dimensions it was given", () => {
    const h = head()
    expect(h.specificationVersion).toBe(HEAD_CONTRACT_VERSION)
    expect(["continuous", "discrete"]).toContain(h.kind)
    expect(h.dimensions).toEqual(dims)
    expect(Array.isArray(h.parameterGroups())).toBe(true)
  }, timeout)

  it.skipIf(!enabled("shapes"))("predict gives arm (B, W, N, 6) in [-1, 1] and gripper logits (B, W, N, 1)", async () => {
    const h = head()
    const out = await Effect.runPromise(h.predict(windowInput(1)))
    expectShape(out.arm, [B, W, N, 6], "predict arm")
    expectShape(out.gripperLogits, [B, W, N, 1], "predict gripperLogits")
    checkArm(out.arm, "predict arm")
    expectFinite(out.gripperLogits, "predict gripperLogits")
    if (h.kind === "discrete") {
      expect(out.binLogits, "a discrete head returns binLogits").toBeDefined()
      expect(out.binLogits!.shape.slice(0, 4)).toEqual([B, W, N, 7])
      expect(out.binLogits!.data.length).toBe(sizeOf(out.binLogits!.shape))
    }
    const other = await Effect.runPromise(h.predict(windowInput(2)))
    expect(maxAbsDiff(out.arm.data, other.arm.data), "different inputs give different actions").toBeGreaterThan(tolerance)
  }, timeout)

  it.skipIf(!enabled("stepper"))("stepper steps give (B, N, 6) / (B, N, 1); reset() restores a fresh history", async () => {
    const h = head()
    const stepper = h.stepper()
    const first = await Effect.runPromise(stepper.step(frame(3)))
    expectShape(first.arm, [B, N, 6], "step arm")
    expectShape(first.gripperLogits, [B, N, 1], "step gripperLogits")
    checkArm(first.arm, "step arm")
    for (let i = 0; i < W + 1; i++) {
      const out = await Effect.runPromise(stepper.step(frame(10 + i)))
      checkArm(out.arm, `step ${i + 2} arm`)
    }
    stepper.reset()
    const afterReset = await Effect.runPromise(stepper.step(frame(3)))
    expectClose(afterReset.arm, first.arm, tolerance, "first step after reset equals the first step of a fresh history (arm)")
    expectClose(afterReset.gripperLogits, first.gripperLogits, tolerance, "first step after reset (gripper)")
    // steppers do not share history
    const busy = h.stepper()
    await Effect.runPromise(busy.step(frame(20)))
    const fresh = await Effect.runPromise(h.stepper().step(frame(3)))
    expectClose(fresh.arm, first.arm, tolerance, "a new stepper is not affected by another stepper's history")
  }, timeout)

  it.skipIf(!enabled("buffers"))("outputs never share buffers with inputs or earlier outputs", async () => {
    const h = head()
    const input = windowInput(4)
    const first = await Effect.runPromise(h.predict(input))
    const snapshot = Float32Array.from(first.arm.data)
    expect(first.arm.data.buffer).not.toBe(input.data.buffer)
    const second = await Effect.runPromise(h.predict(input))
    expect(second.arm.data.buffer).not.toBe(first.arm.data.buffer)
    second.arm.data.fill(7)
    expect(maxAbsDiff(first.arm.data, snapshot), "writing into one output changed another").toBe(0)
    // a step output is the caller's; and the stepper keeps its own copy of each frame
    const reused = frame(5)
    const busy = h.stepper()
    const a = await Effect.runPromise(busy.step(reused))
    const aSnapshot = Float32Array.from(a.arm.data)
    reused.data.fill(0) // the caller reuses its buffer
    const afterReuse = await Effect.runPromise(busy.step(frame(6)))
    expect(maxAbsDiff(a.arm.data, aSnapshot), "a step output changed after a later step").toBe(0)
    const clean = h.stepper()
    await Effect.runPromise(clean.step(frame(5)))
    const expected = await Effect.runPromise(clean.step(frame(6)))
    expectClose(afterReuse.arm, expected.arm, tolerance, "the stepper's history must not alias the caller's input buffer")
  }, timeout)

  it.skipIf(!enabled("determinism"))("two makes with the same config give identical outputs", async () => {
    const second = await makeScoped(make())
    try {
      const [a, c] = [head(), second.instance]
      const pa = await Effect.runPromise(a.predict(windowInput(7)))
      const pc = await Effect.runPromise(c.predict(windowInput(7)))
      expectClose(pa.arm, pc.arm, tolerance, "predict arm")
      expectClose(pa.gripperLogits, pc.gripperLogits, tolerance, "predict gripperLogits")
      const sa = await Effect.runPromise(a.stepper().step(frame(8)))
      const sc = await Effect.runPromise(c.stepper().step(frame(8)))
      expectClose(sa.arm, sc.arm, tolerance, "step arm")
    } finally {
      await second.close()
    }
  }, timeout)

  it.skipIf(!enabled("badInput"))("wrong shapes fail with ShapeMismatch; NaN fails with NonFinite or gives finite output", async () => {
    const h = head()
    await expectReason(h.predict(randomTensor(9, [B, W, latent, D + 1])), "ShapeMismatch", "predict with the wrong width")
    await expectReason(h.predict(randomTensor(9, [B, W, D])), "ShapeMismatch", "predict without the latent axis")
    await expectReason(h.stepper().step(randomTensor(9, [B, latent, D + 1])), "ShapeMismatch", "step with the wrong width")
    await expectNonFiniteHandled(
      Effect.map(h.predict(withNaN(windowInput(10))), (o) => [o.arm, o.gripperLogits]),
      "predict with NaN input"
    )
    await expectNonFiniteHandled(
      Effect.map(h.stepper().step(withNaN(frame(11))), (o) => [o.arm, o.gripperLogits]),
      "step with NaN input"
    )
  }, timeout)

  releaseCheck(make, (h: PolicyHead) => h.predict(windowInput(12)), options, enabled)
}

/**
 * Registers the conformance tests for a plugin (see the module docs). Call it at the top level of a test file.
 *
 * @since 0.1.0
 * @category testing
 */
export const conformanceSuite = (plugin: Plugin, options: ConformanceOptions = {}): void => {
  const skipped = new Set(options.skip ?? [])
  const enabled = (check: ConformanceCheck) => !skipped.has(check)
  describe(`conformance: ${plugin.kind} plugin "${plugin.name}" (${plugin.contractVersion})`, () => {
    if (plugin.kind === "backbone") backboneSuite(plugin, options, enabled)
    else headSuite(plugin, options, enabled)
  })
}
