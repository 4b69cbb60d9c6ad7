/**
 * The policy-head contract (reference/robovlms.md §6): [LRN] hidden states in, a chunk of N actions per
 * window position out. Continuous heads return the arm in tanh range and gripper logits; the discrete head
 * also returns per-dimension bin logits (its arm is the decoded bin centres).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import type { ParameterGroup } from "./Backbone.ts"
import type { ExpectedDimension, HookResult } from "./internal/pluginCalls.ts"
import { callHook, checkArgument, copyOutput, makeReleaseGuard, withWeightHooks } from "./internal/pluginCalls.ts"
import { SdkError } from "./SdkError.ts"
import type { FloatTensor } from "./Tensor.ts"

/**
 * @since 0.1.0
 * @category constants
 */
export const HEAD_CONTRACT_VERSION = "robovla.head/v1" as const

/**
 * The dimensions a head is built for. The assembly fills `inputSize` from the backbone and `windowSize` /
 * `chunkSize` / `latent` from the VLA configuration (the top-level values override the head block's own).
 *
 * @since 0.1.0
 * @category models
 */
export interface HeadDimensions {
  /** D_in, the backbone width. */
  readonly inputSize: number
  /** W, history window. */
  readonly windowSize: number
  /** N, actions predicted per step (`fwd_pred_next_n`). */
  readonly chunkSize: number
  /** Number of [LRN] tokens read out per frame. */
  readonly latent: number
}

/**
 * What a head predicts for every window position.
 *
 * @since 0.1.0
 * @category models
 */
export interface HeadOutput {
  /** (B, W, N, 6) in [−1, 1]. */
  readonly arm: FloatTensor<"B W N 6">
  /** (B, W, N, 1) logits; sigmoid > 0.5 means open (label 1 = open = env +1, reference/robovlms.md §1.5). */
  readonly gripperLogits: FloatTensor<"B W N 1">
  /** Discrete heads only: (B, W, N, 7, bins) logits over the action tokenizer's bins. */
  readonly binLogits?: FloatTensor<"B W N 7 bins">
}

/**
 * What a head predicts for the newest step at evaluation.
 *
 * @since 0.1.0
 * @category models
 */
export interface HeadStepOutput {
  readonly arm: FloatTensor<"B N 6">
  readonly gripperLogits: FloatTensor<"B N 1">
}

/**
 * The stateful evaluation API (reference/robovlms.md §5.3): feed the newest frame's [LRN] features one step
 * at a time; `reset()` at the start of every subtask clears the history.
 *
 * @since 0.1.0
 * @category models
 */
export interface HeadStepper {
  readonly reset: () => void
  readonly step: (lrn: FloatTensor<"B latent D">) => Effect.Effect<HeadStepOutput, SdkError>
}

/**
 * One policy's step in a batched call: its stepper and its newest frame.
 *
 * @since 0.1.0
 * @category models
 */
export interface HeadStepperStep {
  readonly stepper: HeadStepper
  readonly lrn: FloatTensor<"B latent D">
}

/**
 * A loaded policy head.
 *
 * @since 0.1.0
 * @category models
 */
export interface PolicyHead {
  readonly specificationVersion: typeof HEAD_CONTRACT_VERSION
  readonly name: string
  readonly kind: "continuous" | "discrete"
  readonly dimensions: HeadDimensions
  /** Whole-window prediction (training and `pre`/one-step inference): (B, W, latent, D) → per position chunks. */
  readonly predict: (lrn: FloatTensor<"B W latent D">) => Effect.Effect<HeadOutput, SdkError>
  /** A fresh stepper with its own history; several may exist at once (one per session). */
  readonly stepper: () => HeadStepper
  /**
   * Steps several steppers of this head at once (the policies of one `actBatch`); equals each one's `step` in
   * turn up to float rounding. Heads built with `make` have it: one engine call when the plugin has a `stepMany`
   * hook, else the steps in turn. Optional so that a head written by hand stays valid.
   */
  readonly stepMany?: (steps: ReadonlyArray<HeadStepperStep>) => Effect.Effect<ReadonlyArray<HeadStepOutput>, SdkError>
  readonly parameterGroups: () => ReadonlyArray<ParameterGroup>
  /** Optional, for trainable heads: every weight by name (`head.<name>` in a checkpoint) and loading them back. */
  readonly weights?: () => Record<string, FloatTensor>
  readonly loadWeights?: (weights: Readonly<Record<string, FloatTensor>>) => Effect.Effect<void, SdkError>
}

/**
 * A head's own stepper: `make` has checked every frame (float32, (B, latent, D), finite, the same B as the steps
 * since the last `reset()`) and hands the hook a copy it may keep in its history.
 *
 * @since 0.1.0
 * @category models
 */
export interface StepperHooks {
  readonly reset: () => void
  readonly step: (lrn: FloatTensor<"B latent D">) => HookResult<HeadStepOutput>
}

/**
 * One item of a plugin's `stepMany` hook: one of the plugin's own steppers (as its `stepper` hook made it) and a
 * checked copy of its newest frame.
 *
 * @since 0.1.0
 * @category models
 */
export interface StepperHooksStep {
  readonly stepper: StepperHooks
  readonly lrn: FloatTensor<"B latent D">
}

/**
 * What a head plugin writes: its model. `predict` receives a checked (B, T, latent, D) window (float32, finite,
 * 1 ≤ T ≤ `maxWindow`) and may return views into engine memory; `make` copies and checks the outputs.
 * Without a `stepper` hook, the SDK's window stepper is used: it keeps the last W frames and reads the last
 * position of `predict` over them, which equals `predict` on the window by construction.
 *
 * @since 0.1.0
 * @category models
 */
export interface PolicyHeadHooks {
  readonly name: string
  readonly kind: "continuous" | "discrete"
  readonly dimensions: HeadDimensions
  /** Longest window `predict` accepts (e.g. learned positions); unbounded when absent. */
  readonly maxWindow?: number
  readonly predict: (lrn: FloatTensor<"B W latent D">) => HookResult<HeadOutput>
  readonly stepper?: () => StepperHooks
  /**
   * Steps several of this plugin's steppers in one engine call (distinct steppers, frames checked like `step`'s),
   * returning one output per item in order; must equal each one's `step` in turn up to float rounding. Used only
   * with a `stepper` hook; without it the SDK steps them in turn.
   */
  readonly stepMany?: (steps: ReadonlyArray<StepperHooksStep>) => HookResult<ReadonlyArray<HeadStepOutput>>
  /** Default: none. */
  readonly parameterGroups?: () => ReadonlyArray<ParameterGroup>
  readonly weights?: () => Record<string, FloatTensor>
  /** Gets only maps whose tensors are float32, of consistent length and finite; checks names and shapes itself. */
  readonly loadWeights?: (weights: Readonly<Record<string, FloatTensor>>) => HookResult<void>
}

/**
 * Fails with `InvalidInput` unless every dimension is a positive integer. `make` checks this too; a plugin that
 * sizes buffers from the dimensions calls it first.
 *
 * @since 0.1.0
 * @category validation
 */
export const checkDimensions = (plugin: string, dimensions: HeadDimensions): Effect.Effect<void, SdkError> => {
  const bad = (["inputSize", "windowSize", "chunkSize", "latent"] as const).filter(
    (key) => !Number.isInteger(dimensions[key]) || dimensions[key] < 1
  )
  return bad.length === 0 ? Effect.void : Effect.fail(
    new SdkError({
      reason: "InvalidInput",
      message: `${plugin}: dimensions ${bad.map((key) => `${key} = ${dimensions[key]}`).join(", ")} must be positive integers`,
      subject: `dimensions.${bad[0]}`
    })
  )
}

/** Position `time − 1` of a (B, T, N, k) output as (B, N, k). */
const lastPosition = (tensor: FloatTensor): FloatTensor => {
  const [batch, time, chunk, width] = tensor.shape as [number, number, number, number]
  const out = new Float32Array(batch * chunk * width)
  const perPosition = chunk * width
  for (let b = 0; b < batch; b++) {
    const from = (b * time + time - 1) * perPosition
    out.set(tensor.data.subarray(from, from + perPosition), b * perPosition)
  }
  return { data: out, shape: [batch, chunk, width] }
}

/** The default stepper: the last W frames (copies), `predict` over them, the last position. */
const windowStepper = (hooks: PolicyHeadHooks): StepperHooks => {
  const { inputSize, latent, windowSize } = hooks.dimensions
  const frames: Array<Float32Array> = []
  return {
    reset: () => void (frames.length = 0),
    step: (lrn) => {
      frames.push(lrn.data)
      if (frames.length > windowSize) frames.shift()
      const batch = lrn.shape[0]!
      const time = frames.length
      const perFrame = latent * inputSize
      const window = new Float32Array(batch * time * perFrame)
      frames.forEach((frame, t) => {
        for (let b = 0; b < batch; b++) window.set(frame.subarray(b * perFrame, (b + 1) * perFrame), (b * time + t) * perFrame)
      })
      const output = hooks.predict({ data: window, shape: [batch, time, latent, inputSize] })
      const last = (o: HeadOutput): HeadStepOutput => ({
        arm: lastPosition(o.arm) as FloatTensor<"B N 6">,
        gripperLogits: lastPosition(o.gripperLogits) as FloatTensor<"B N 1">
      })
      return Effect.isEffect(output) ? Effect.map(output, last) : last(output)
    }
  }
}

/**
 * Builds the contract's `PolicyHead` around a plugin's hooks, in the plugin's Scope. It owns what every head must
 * do the same way: the dimension check (`InvalidInput`), argument checks (`InvalidInput` for a wrong dtype,
 * `ShapeMismatch`, `NonFinite`, a batch size that changes between steps without `reset()`), `Released` after the
 * Scope closes, a span per call (`PolicyHead.predict`, `PolicyHead.step`, … with the plugin's name), copies of
 * the frames a stepper keeps, and fresh output buffers checked against the promised shapes. Call it after
 * acquiring the model's resources, so that the release guard flips before they are freed.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (hooks: PolicyHeadHooks): Effect.Effect<PolicyHead, SdkError, Scope.Scope> =>
  Effect.gen(function*() {
    const { dimensions, name } = hooks
    yield* checkDimensions(name, dimensions)
    const guard = yield* makeReleaseGuard
    const { chunkSize: N, inputSize: D, latent } = dimensions
    const maxWindow = hooks.maxWindow ?? Number.POSITIVE_INFINITY
    const call = <A>(method: string, check: () => SdkError | undefined, hook: () => HookResult<A>) =>
      callHook(name, `PolicyHead.${method}`, guard, check, hook)

    const checkWindow = (lrn: FloatTensor) => {
      const invalid = checkArgument(name, "[LRN] window", lrn, "float32", ["B", "W", latent, D])
      if (invalid !== undefined || lrn.shape[1]! <= maxWindow) return invalid
      return new SdkError({
        reason: "ShapeMismatch",
        message: `${name}: [LRN] window has ${lrn.shape[1]} positions, at most ${maxWindow} allowed`,
        subject: "[LRN] window"
      })
    }

    const copyChunks = (output: HeadOutput, lead: ReadonlyArray<ExpectedDimension>) =>
      Effect.all({
        arm: copyOutput<"B W N 6">(name, "arm", output.arm, [...lead, N, 6]),
        gripperLogits: copyOutput<"B W N 1">(name, "gripperLogits", output.gripperLogits, [...lead, N, 1]),
        binLogits: output.binLogits === undefined
          ? Effect.succeed(undefined)
          : copyOutput<"B W N 7 bins">(name, "binLogits", output.binLogits, [...lead, N, 7, "bins"])
      }).pipe(Effect.map(({ binLogits, ...rest }): HeadOutput => binLogits === undefined ? rest : { ...rest, binLogits }))

    /** A stepper's session: the plugin's hooks and the batch size fixed since the last reset. */
    interface Session {
      readonly own: StepperHooks
      batch: number | undefined
    }
    const sessions = new WeakMap<HeadStepper, Session>()
    const checkFrame = (session: Session, lrn: FloatTensor) => {
      const invalid = checkArgument(name, "step features", lrn, "float32", ["B", latent, D])
      if (invalid !== undefined || session.batch === undefined || lrn.shape[0] === session.batch) return invalid
      return new SdkError({
        reason: "ShapeMismatch",
        message: `${name}: step batch size ${lrn.shape[0]} differs from this session's ${session.batch}; call reset() first`,
        subject: "step features"
      })
    }
    const copyStep = (output: HeadStepOutput, batch: number) =>
      Effect.all({
        arm: copyOutput<"B N 6">(name, "step arm", output.arm, [batch, N, 6]),
        gripperLogits: copyOutput<"B N 1">(name, "step gripperLogits", output.gripperLogits, [batch, N, 1])
      })
    const copyFrame = (lrn: FloatTensor<"B latent D">): FloatTensor<"B latent D"> => ({ data: lrn.data.slice(), shape: [...lrn.shape] })

    const stepper = (): HeadStepper => {
      const session: Session = { own: hooks.stepper?.() ?? windowStepper(hooks), batch: undefined }
      const contract: HeadStepper = {
        reset: () => {
          session.batch = undefined
          session.own.reset()
        },
        step: (lrn) =>
          call("step", () => checkFrame(session, lrn), () => {
            session.batch = lrn.shape[0]!
            return session.own.step(copyFrame(lrn))
          }).pipe(Effect.flatMap((output) => copyStep(output, lrn.shape[0]!)))
      }
      sessions.set(contract, session)
      return contract
    }

    /** Every item a distinct stepper of this head, every frame valid for its session; the first problem. */
    const checkSteps = (steps: ReadonlyArray<HeadStepperStep>): SdkError | undefined => {
      const seen = new Set<Session>()
      for (const [i, step] of steps.entries()) {
        const session = sessions.get(step.stepper)
        const subject = `steps[${i}].stepper`
        if (session === undefined) return new SdkError({ reason: "InvalidInput", message: `${name}: stepMany item ${i} is not a stepper of this head`, subject })
        if (seen.has(session)) return new SdkError({ reason: "InvalidInput", message: `${name}: stepMany item ${i} repeats a stepper`, subject })
        seen.add(session)
        const invalid = checkFrame(session, step.lrn)
        if (invalid !== undefined) return invalid
      }
      return undefined
    }
    const stepManyHook = hooks.stepper === undefined ? undefined : hooks.stepMany
    const stepMany = (steps: ReadonlyArray<HeadStepperStep>): Effect.Effect<ReadonlyArray<HeadStepOutput>, SdkError> => {
      if (steps.length === 0) return Effect.succeed([])
      if (stepManyHook === undefined) {
        // Checked up front, so that a bad item fails the call before any stepper has advanced.
        return Effect.suspend(() => {
          const invalid = checkSteps(steps)
          return invalid === undefined ? Effect.forEach(steps, ({ lrn, stepper }) => stepper.step(lrn)) : Effect.fail(invalid)
        })
      }
      return call("stepMany", () => checkSteps(steps), () => {
        const own = steps.map(({ lrn, stepper }) => {
          const session = sessions.get(stepper)!
          session.batch = lrn.shape[0]!
          return { stepper: session.own, lrn: copyFrame(lrn) }
        })
        return stepManyHook(own)
      }).pipe(
        Effect.flatMap((outputs) =>
          outputs.length === steps.length
            ? Effect.forEach(outputs, (output, i) => copyStep(output, steps[i]!.lrn.shape[0]!))
            : Effect.fail(
              new SdkError({ reason: "ShapeMismatch", message: `${name}: stepMany returned ${outputs.length} outputs for ${steps.length} steps`, subject: "stepMany" })
            )
        )
      )
    }

    const head: PolicyHead = {
      specificationVersion: HEAD_CONTRACT_VERSION,
      name,
      kind: hooks.kind,
      dimensions,
      predict: (lrn) =>
        call("predict", () => checkWindow(lrn), () => hooks.predict(lrn))
          .pipe(Effect.flatMap((output) => copyChunks(output, [lrn.shape[0]!, lrn.shape[1]!]))),
      stepper,
      stepMany,
      parameterGroups: hooks.parameterGroups ?? (() => [])
    }
    return withWeightHooks(name, head, hooks, call)
  })
