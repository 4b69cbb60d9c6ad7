/**
 * Test kit for tfjs policy heads (`@robovla/tfjs/testing`): helpers to open a head in a Scope, seeded random
 * inputs, and `headContractTests`, the vitest suite every head package runs (shapes, ranges, determinism,
 * leaks, bad input, weights round-trip through safetensors, trainability, stepper semantics of §5.3).
 *
 * The SDK's `conformanceSuite` checks the generic contract; this suite adds the tfjs-specific promises
 * (`predictTensors`, `loss`, `variables`, `weights`).
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as tf from "@tensorflow/tfjs-core"
import type { FloatTensor, HeadDimensions } from "@robovla/sdk"
import { AsyncScope, Safetensors, SdkError } from "@robovla/sdk"
import { Effect, Exit, type Scope } from "effect"
import { bench, describe, expect, it } from "vitest"
import { makeRng } from "../Rng.ts"
import type { TfPolicyHead } from "../TfHead.ts"
import { initTfjs } from "../TfjsEngine.ts"

/**
 * A head constructor as every head package exports it.
 *
 * @since 0.1.0
 * @category models
 */
export type MakeHead<C> = (config: C, dimensions: HeadDimensions) => Effect.Effect<TfPolicyHead, SdkError, Scope.Scope>

/** A tensor whose dims label fits any signature (test data is shape-checked at run time). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyTensor = FloatTensor<any>

/**
 * Initialises the kit (`initTfjs`: the project's backend, wasm on the project machines, gradients and fast
 * kernels) and returns the backend's name.
 *
 * @since 0.1.0
 * @category setup
 */
export const useBackend = async (): Promise<string> => (await initTfjs()).selection.backend

/**
 * Uniform values in [−scale, scale) from a seed.
 *
 * @since 0.1.0
 * @category constructors
 */
export const randomTensor = (seed: number, shape: ReadonlyArray<number>, scale = 1): AnyTensor => {
  const rng = makeRng(seed)
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1))
  for (let i = 0; i < data.length; i++) data[i] = (rng.uniform() * 2 - 1) * scale
  return { data, shape: [...shape] }
}

/**
 * A head opened in its own Scope; `close()` releases its variables.
 *
 * @since 0.1.0
 * @category models
 */
export interface OpenHead {
  readonly head: TfPolicyHead
  readonly close: () => Promise<void>
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const openHead = async <C>(make: MakeHead<C>, config: C, dimensions: HeadDimensions): Promise<OpenHead> => {
  const { close, value } = await AsyncScope.acquire(make(config, dimensions))
  return { head: value, close }
}

/**
 * Runs `f` with a fresh head and closes it afterwards.
 *
 * @since 0.1.0
 * @category constructors
 */
export const withHead = async <C, A>(
  make: MakeHead<C>,
  config: C,
  dimensions: HeadDimensions,
  f: (head: TfPolicyHead) => Promise<A> | A
): Promise<A> => {
  const { close, head } = await openHead(make, config, dimensions)
  try {
    return await f(head)
  } finally {
    await close()
  }
}

/**
 * The failure of an Effect (throws when it succeeded).
 *
 * @since 0.1.0
 * @category utils
 */
export const failureOf = async <A>(effect: Effect.Effect<A, SdkError>): Promise<SdkError> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) throw new Error("expected a failure, got a success")
  const error = exit.cause.reasons.find((reason) => reason._tag === "Fail")
  if (error === undefined || error._tag !== "Fail") throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return error.error
}

/**
 * Largest absolute difference between two equally long arrays.
 *
 * @since 0.1.0
 * @category utils
 */
export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length)
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!))
  return max
}

/**
 * Rows of a (B, T, …) window from position `from` to `to` (exclusive), as a new (B, to−from, …) tensor.
 *
 * @since 0.1.0
 * @category utils
 */
export const sliceTime = (window: FloatTensor, from: number, to: number): AnyTensor => {
  const [batch, time, ...rest] = window.shape as [number, number, ...Array<number>]
  const per = rest.reduce((a, b) => a * b, 1)
  const data = new Float32Array(batch * (to - from) * per)
  for (let b = 0; b < batch; b++) {
    data.set(window.data.subarray((b * time + from) * per, (b * time + to) * per), b * (to - from) * per)
  }
  return { data, shape: [batch, to - from, ...rest] }
}

/**
 * The (B, …) features at one window position.
 *
 * @since 0.1.0
 * @category utils
 */
export const positionOf = (window: FloatTensor, t: number): AnyTensor => {
  const slice = sliceTime(window, t, t + 1)
  const [batch, , ...rest] = slice.shape as [number, number, ...Array<number>]
  return { data: slice.data, shape: [batch, ...rest] }
}

/**
 * Random labels and a chunk mask with some invalid positions, for a (B, W, N) window.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fakeLabels = (seed: number, batch: number, window: number, chunk: number) => {
  const rng = makeRng(seed)
  const arm = new Float32Array(batch * window * chunk * 6).map(() => rng.uniform() * 1.6 - 0.8)
  const gripper = new Float32Array(batch * window * chunk).map(() => (rng.uniform() < 0.5 ? 0 : 1))
  const mask = new Float32Array(batch * window * chunk).map((_, i) => (i % 5 === 4 ? 0 : 1))
  return {
    arm: tf.tensor4d(arm, [batch, window, chunk, 6]),
    gripper: tf.tensor3d(gripper, [batch, window, chunk]),
    mask: tf.tensor3d(mask, [batch, window, chunk])
  }
}

/**
 * What `headContractTests` needs to know about a head.
 *
 * @since 0.1.0
 * @category models
 */
export interface HeadContractOptions<C> {
  readonly name: string
  readonly make: MakeHead<C>
  /** A tiny config. */
  readonly config: C
  /** The same config with another seed. */
  readonly withSeed: (config: C, seed: number) => C
  readonly dimensions: HeadDimensions
  /** Number of bins when the head is discrete. */
  readonly bins?: number
}

const run = <A>(effect: Effect.Effect<A, SdkError>): Promise<A> => Effect.runPromise(effect)

/**
 * Registers the shared head tests in the current vitest file.
 *
 * @since 0.1.0
 * @category suites
 */
export const headContractTests = <C>(options: HeadContractOptions<C>): void => {
  const { bins, config, dimensions, make, name } = options
  const { chunkSize: N, inputSize: D, latent, windowSize: W } = dimensions
  const batch = 2
  const window = randomTensor(1, [batch, W, latent, D])

  describe(`${name} head contract (tfjs)`, () => {
    it("predicts per-position chunks of the right shapes and ranges", async () => {
      await useBackend()
      await withHead(make, config, dimensions, async (head) => {
        expect(head.name).toBe(name)
        expect(head.specificationVersion).toBe("robovla.head/v1")
        const out = await run(head.predict(window))
        expect(out.arm.shape).toEqual([batch, W, N, 6])
        expect(out.gripperLogits.shape).toEqual([batch, W, N, 1])
        for (const v of out.arm.data) expect(Math.abs(v)).toBeLessThanOrEqual(1)
        expect(out.gripperLogits.data.every(Number.isFinite)).toBe(true)
        if (bins !== undefined) expect(out.binLogits?.shape).toEqual([batch, W, N, 7, bins])
        else expect(out.binLogits).toBeUndefined()
        const groups = head.parameterGroups()
        expect(groups.length).toBeGreaterThan(0)
        expect(groups.reduce((a, g) => a + g.size, 0)).toBe(head.variables().reduce((a, v) => a + v.size, 0))
      })
    })

    it("is deterministic under a seed and differs across seeds", async () => {
      await useBackend()
      const first = await withHead(make, config, dimensions, (head) => run(head.predict(window)))
      const again = await withHead(make, config, dimensions, (head) => run(head.predict(window)))
      const other = await withHead(make, options.withSeed(config, 987), dimensions, (head) => run(head.predict(window)))
      expect(maxAbsDiff(first.arm.data, again.arm.data)).toBe(0)
      expect(maxAbsDiff(first.gripperLogits.data, again.gripperLogits.data)).toBe(0)
      expect(maxAbsDiff(first.gripperLogits.data, other.gripperLogits.data)).toBeGreaterThan(0)
    })

    it("leaks no tensors across predict and step calls, and frees its variables on close", async () => {
      await useBackend()
      const before = tf.memory().numTensors
      const { close, head } = await openHead(make, config, dimensions)
      const afterMake = tf.memory().numTensors
      expect(afterMake - before).toBe(head.variables().length)
      await run(head.predict(window))
      const stepper = head.stepper()
      for (let t = 0; t < W + 2; t++) await run(stepper.step(positionOf(window, t % W)))
      await run(head.predict(window))
      tf.tidy(() => {
        const labels = fakeLabels(3, batch, W, N)
        head.loss(head.predictTensors(tf.tensor4d(window.data, [batch, W, latent, D])), labels, labels.mask)
      })
      expect(tf.memory().numTensors).toBe(afterMake)
      await close()
      expect(tf.memory().numTensors).toBe(before)
      const released = await failureOf(head.predict(window))
      expect(released.reason).toBe("Released")
    })

    it("rejects bad input with SdkError ShapeMismatch / NonFinite", async () => {
      await useBackend()
      await withHead(make, config, dimensions, async (head) => {
        const wrongWidth = randomTensor(2, [batch, W, latent, D + 1])
        expect((await failureOf(head.predict(wrongWidth))).reason).toBe("ShapeMismatch")
        const wrongRank = randomTensor(2, [batch, latent, D])
        expect((await failureOf(head.predict(wrongRank))).reason).toBe("ShapeMismatch")
        const wrongLength: AnyTensor = { data: new Float32Array(3), shape: [batch, W, latent, D] }
        expect((await failureOf(head.predict(wrongLength))).reason).toBe("ShapeMismatch")
        const nan = randomTensor(2, [batch, W, latent, D])
        nan.data[0] = Number.NaN
        expect((await failureOf(head.predict(nan))).reason).toBe("NonFinite")
        const stepper = head.stepper()
        expect((await failureOf(stepper.step(window))).reason).toBe("ShapeMismatch")
        await run(stepper.step(positionOf(window, 0)))
        const otherBatch = randomTensor(4, [batch + 1, latent, D])
        // A session keeps one batch size until reset() (the SDK's stepper rule, stateful or not).
        const error = await failureOf(stepper.step(otherBatch))
        expect(error).toBeInstanceOf(SdkError)
        expect(error.reason).toBe("ShapeMismatch")
        stepper.reset()
        await run(stepper.step(otherBatch))
      })
    })

    it("stepper: step k equals predict over the last min(k, W) features, last position (§5.3)", async () => {
      await useBackend()
      const steps = W + 3
      const stream = randomTensor(5, [batch, steps, latent, D])
      await withHead(make, config, dimensions, async (head) => {
        const stepper = head.stepper()
        for (let k = 1; k <= steps; k++) {
          const got = await run(stepper.step(positionOf(stream, k - 1)))
          const from = Math.max(0, k - W)
          const want = await run(head.predict(sliceTime(stream, from, k)))
          const last = { arm: positionOf(want.arm, k - from - 1), gripper: positionOf(want.gripperLogits, k - from - 1) }
          expect(got.arm.shape).toEqual([batch, N, 6])
          expect(got.gripperLogits.shape).toEqual([batch, N, 1])
          expect(maxAbsDiff(got.arm.data, last.arm.data)).toBeLessThan(1e-5)
          expect(maxAbsDiff(got.gripperLogits.data, last.gripper.data)).toBeLessThan(1e-5)
        }
      })
    })

    it("stepMany: sessions of different batch sizes and ages stepped together equal predict over each one's window (§5.3)", async () => {
      await useBackend()
      const steps = W + 3
      const sessions = [
        { stream: randomTensor(7, [1, steps, latent, D]), start: 0 },
        { stream: randomTensor(8, [batch, steps, latent, D]), start: 0 },
        { stream: randomTensor(9, [1, steps, latent, D]), start: 2 } // joins later: fewer frames of history
      ]
      await withHead(make, config, dimensions, async (head) => {
        const steppers = sessions.map(() => head.stepper())
        for (let k = 0; k < steps; k++) {
          const active = sessions.flatMap((session, s) => (k >= session.start ? [{ ...session, stepper: steppers[s]!, seen: k - session.start + 1 }] : []))
          const got = await run(head.stepMany!(active.map(({ seen, stepper, stream }) => ({ stepper, lrn: positionOf(stream, seen - 1) }))))
          for (const [i, { seen, stream }] of active.entries()) {
            const from = Math.max(0, seen - W)
            const want = await run(head.predict(sliceTime(stream, from, seen)))
            expect(got[i]!.arm.shape).toEqual([stream.shape[0], N, 6])
            expect(maxAbsDiff(got[i]!.arm.data, positionOf(want.arm, seen - from - 1).data)).toBeLessThan(1e-5)
            expect(maxAbsDiff(got[i]!.gripperLogits.data, positionOf(want.gripperLogits, seen - from - 1).data)).toBeLessThan(1e-5)
          }
        }
      })
    })

    it("stepper: reset clears the history; steppers are independent", async () => {
      await useBackend()
      const stream = randomTensor(6, [batch, W + 1, latent, D])
      const probe = positionOf(stream, W)
      await withHead(make, config, dimensions, async (head) => {
        const fresh = await run(head.stepper().step(probe))
        const used = head.stepper()
        const bystander = head.stepper()
        for (let t = 0; t < W; t++) await run(used.step(positionOf(stream, t)))
        used.reset()
        const afterReset = await run(used.step(probe))
        expect(maxAbsDiff(afterReset.arm.data, fresh.arm.data)).toBe(0)
        expect(maxAbsDiff(afterReset.gripperLogits.data, fresh.gripperLogits.data)).toBe(0)
        const untouched = await run(bystander.step(probe))
        expect(maxAbsDiff(untouched.arm.data, fresh.arm.data)).toBe(0)
      })
    })

    it("saves and loads its weights through safetensors", async () => {
      await useBackend()
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `robovla-head-${name}-`))
      const file = path.join(dir, "head.safetensors")
      try {
        const original = await withHead(make, config, dimensions, async (head) => {
          await run(Safetensors.writeSafetensorsFile(file, head.weights()))
          return run(head.predict(window))
        })
        await withHead(make, options.withSeed(config, 4242), dimensions, async (head) => {
          const stored = await run(Safetensors.readSafetensorsFile(file))
          const weights: Record<string, FloatTensor> = {}
          for (const key of stored.tensors.keys()) weights[key] = Safetensors.getFloatTensor(stored, key)
          await run(head.loadWeights(weights))
          const loaded = await run(head.predict(window))
          expect(maxAbsDiff(loaded.arm.data, original.arm.data)).toBe(0)
          expect(maxAbsDiff(loaded.gripperLogits.data, original.gripperLogits.data)).toBe(0)
          const [firstName] = Object.keys(weights)
          const { [firstName!]: dropped, ...missing } = weights
          expect((await failureOf(head.loadWeights(missing))).reason).toBe("WeightsNotFound")
          const wrong = { ...weights, [firstName!]: { data: new Float32Array(dropped!.data.length + 1), shape: [dropped!.data.length + 1] } }
          expect((await failureOf(head.loadWeights(wrong))).reason).toBe("ShapeMismatch")
          const extra = { ...weights, "not.a.weight": { data: new Float32Array(1), shape: [1] } }
          expect((await failureOf(head.loadWeights(extra))).reason).toBe("InvalidInput")
        })
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    })

    it("is trainable: gradients reach every variable and a few SGD steps lower the loss", async () => {
      await useBackend()
      await withHead(make, config, dimensions, (head) => {
        const x = tf.tensor4d(window.data, [batch, W, latent, D])
        const labels = fakeLabels(7, batch, W, N)
        const lossOf = () => head.loss(head.predictTensors(x, { training: false }), labels, labels.mask).loss
        const initial = tf.tidy(() => lossOf().dataSync()[0]!)
        const { grads, value } = tf.variableGrads(lossOf, head.variables() as Array<tf.Variable>)
        expect(Number.isFinite(value.dataSync()[0]!)).toBe(true)
        expect(Object.keys(grads).length).toBe(head.variables().length)
        let nonZero = 0
        for (const grad of Object.values(grads)) {
          const data = grad.dataSync()
          expect(data.every(Number.isFinite)).toBe(true)
          if (data.some((v) => v !== 0)) nonZero++
        }
        expect(nonZero).toBeGreaterThan(head.variables().length / 2)
        tf.dispose([value, ...Object.values(grads)])
        const optimizer = tf.train.adam(1e-2)
        for (let i = 0; i < 10; i++) {
          optimizer.minimize(lossOf, false, head.variables() as Array<tf.Variable>)?.dispose()
        }
        const trained = tf.tidy(() => lossOf().dataSync()[0]!)
        expect(trained).toBeLessThan(initial)
        optimizer.dispose()
        tf.dispose([x, labels.arm, labels.gripper, labels.mask])
      })
    })
  })
}

/**
 * Registers a vitest `bench` of one Adam step (forward, loss, backward, update) on a (batch, W) window, for a
 * head's `bench/train.bench.ts` (`vitest bench --run`).
 *
 * @since 0.1.0
 * @category bench
 */
export const benchTrainStep = <C>(options: {
  readonly label: string
  readonly make: MakeHead<C>
  readonly config: C
  readonly dimensions: HeadDimensions
  readonly batch: number
  readonly iterations: number
}): void => {
  const { batch, dimensions } = options
  const { chunkSize, inputSize, latent, windowSize } = dimensions
  let state: { head: TfPolicyHead; step: () => void } | undefined
  const setup = async () => {
    if (state !== undefined) return
    await useBackend()
    const { head } = await openHead(options.make, options.config, dimensions)
    const x = tf.tensor4d(randomTensor(1, [batch, windowSize, latent, inputSize]).data, [batch, windowSize, latent, inputSize])
    const labels = fakeLabels(2, batch, windowSize, chunkSize)
    const optimizer = tf.train.adam(1e-4)
    const variables = head.variables() as Array<tf.Variable>
    state = {
      head,
      step: () => optimizer.minimize(() => head.loss(head.predictTensors(x, { training: true }), labels, labels.mask).loss, false, variables)?.dispose()
    }
  }
  bench(options.label, () => state!.step(), {
    iterations: options.iterations,
    warmupIterations: 1,
    time: 0,
    setup
  })
}
