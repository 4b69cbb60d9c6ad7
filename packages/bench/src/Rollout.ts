/**
 * Runs one chain: reset the world from the chain's symbolic state, then for each task reset the policy, record
 * the start info, and step the policy and the world until the task's predicate holds or the step budget runs
 * out (reference/calvin.md §6.4). A failing subtask ends the chain. Policy failures (timeouts, errors,
 * malformed actions) are recorded as that subtask's outcome, never thrown: one bad answer fails one chain.
 *
 * This is the hot loop, so it is plain async code over a world object rather than Effect services.
 *
 * @since 0.1.0
 */
import { ClientError } from "@robovla/client"
import type { ExportError } from "@robovla/export"
import { Action, SdkError, type Action7, type ObservationFrame, type PolicyService } from "@robovla/sdk"
import type { SimInfo } from "@robovla/sim"
import { Cause, Duration, Effect, Exit, Option, Result } from "effect"
import { BenchError } from "./BenchError.ts"
import type { ChainResult, ChainSpec, SubtaskResult } from "./Chain.ts"
import { makeTemporalEnsemble } from "./TemporalEnsemble.ts"

/** The part of the simulator a rollout needs (PlayTable satisfies it). @since 0.1.0 @category models */
export interface RolloutWorld {
  reset(state: { readonly robotObs?: ArrayLike<number>; readonly sceneObs?: ArrayLike<number> }): void
  step(action: Action7, space?: "relative" | "absolute"): void
  info(): SimInfo
  observe(cameras?: { readonly rgbStatic?: boolean; readonly rgbGripper?: boolean }): ObservationFrame
}

/** Everything a rollout needs besides the world and the policy. @since 0.1.0 @category models */
export interface RolloutOptions {
  /** Steps per subtask (CALVIN: 360). */
  readonly maxSteps: number
  /** Per-call policy time limit. */
  readonly actTimeoutMs: number
  /** Actions executed from each returned chunk before querying again (1 = query every step). */
  readonly actionsPerQuery: number
  /**
   * Average what the last K chunks predicted for each step (ACT's temporal ensembling; needs actionsPerQuery 1).
   * Default 1: the newest chunk's first action, as RoboVLMs evaluates.
   */
  readonly temporalEnsemble?: number | undefined
  readonly resetState: (chain: ChainSpec) => { readonly robotObs?: ArrayLike<number>; readonly sceneObs: ArrayLike<number> }
  readonly instructionFor: (task: string) => string
  readonly checkTask: (task: string, start: SimInfo, now: SimInfo) => boolean
  /**
   * Called at each step when recording a video of this chain. `staticImage()` renders the static camera (or
   * reuses the policy's frame), so a recorder that keeps every k-th frame only pays for those.
   */
  readonly onFrame?: ((frame: { readonly subtask: number; readonly step: number; readonly instruction: string; readonly staticImage: () => ObservationFrame["rgbStatic"] }) => void) | undefined
}

type Failure = { readonly outcome: SubtaskResult["outcome"]; readonly error: string }
type FailureOutcome = Exclude<SubtaskResult["outcome"], "success" | "timeout" | "sim_error">

// Every reason of every error a policy call can fail with, mapped to the recorded outcome. Complete records, so
// that a reason added or renamed in its package fails to compile here instead of silently becoming policy_error.
const SDK_OUTCOMES = {
  InvalidInput: "policy_error",
  ShapeMismatch: "malformed_action",
  NonFinite: "malformed_action",
  PluginNotFound: "policy_error",
  BadManifest: "policy_error",
  IncompatibleContract: "policy_error",
  PluginFailure: "policy_error",
  WeightsNotFound: "policy_error",
  CorruptFile: "policy_error",
  EngineUnavailable: "policy_error",
  Released: "policy_error",
  Timeout: "policy_timeout",
  Unavailable: "policy_error",
  WorkerStartFailed: "policy_error",
  WorkerCrashed: "policy_error",
  WorkerTaskFailed: "policy_error"
} as const satisfies Record<SdkError["reason"], FailureOutcome>

const BENCH_OUTCOMES = {
  InvalidOptions: "policy_error",
  UnknownSuite: "policy_error",
  PolicyUnavailable: "policy_error",
  PolicyTimeout: "policy_timeout",
  PolicyError: "policy_error",
  MalformedAction: "malformed_action",
  CorruptResults: "policy_error",
  WorkerCrashed: "policy_error",
  QueueUnavailable: "policy_error",
  SuiteMismatch: "policy_error",
  UnknownPolicy: "policy_error"
} as const satisfies Record<BenchError["reason"], FailureOutcome>

// Remote and exported policies convert these to SdkError at the Policy contract; kept for a policy that lets one through.
const CLIENT_OUTCOMES = {
  InvalidMsgpack: "policy_error",
  InvalidImage: "policy_error",
  HttpError: "policy_error",
  InvalidReply: "policy_error",
  Timeout: "policy_timeout",
  Unreachable: "policy_error",
  ServerError: "policy_error"
} as const satisfies Record<ClientError["reason"], FailureOutcome>

const EXPORT_OUTCOMES = {
  InvalidInput: "policy_error",
  Unsupported: "policy_error",
  NotFound: "policy_error",
  CorruptFile: "policy_error",
  Mismatch: "policy_error",
  ProviderUnavailable: "policy_error",
  WriteFailed: "policy_error"
} as const satisfies Record<ExportError["reason"], FailureOutcome>

// @robovla/export loads onnxruntime, so bench imports it only when an onnx policy is made: its error is matched by
// its (typed) tag rather than by class.
const EXPORT_TAG: ExportError["_tag"] = "ExportError"
const isExportError = (error: unknown): error is ExportError =>
  typeof error === "object" && error !== null && (error as { readonly _tag?: unknown })._tag === EXPORT_TAG

const outcomeOf = (error: unknown): FailureOutcome => {
  if (error instanceof SdkError) return SDK_OUTCOMES[error.reason]
  if (error instanceof BenchError) return BENCH_OUTCOMES[error.reason]
  if (error instanceof ClientError) return CLIENT_OUTCOMES[error.reason]
  if (isExportError(error)) return EXPORT_OUTCOMES[error.reason]
  return "policy_error"
}

const classify = (cause: Cause.Cause<unknown>): Failure => {
  const error = Option.getOrUndefined(Cause.findErrorOption(cause))
  const message = error === undefined
    ? Cause.pretty(cause)
    : typeof (error as { message?: unknown }).message === "string"
    ? (error as { message: string }).message
    : String(error)
  return { outcome: outcomeOf(error), error: message }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const runChain = async (world: RolloutWorld, policy: PolicyService, chain: ChainSpec, options: RolloutOptions): Promise<ChainResult> => {
  const started = performance.now()
  const inputs = policy.metadata.inputs
  const cameras = { rgbStatic: inputs.rgbStatic, rgbGripper: inputs.rgbGripper }
  const renderStatic = () => world.observe({ rgbStatic: true }).rgbStatic
  const subtasks: Array<SubtaskResult> = []
  let steps = 0
  let completed = 0
  try {
    world.reset(options.resetState(chain))
  } catch (cause) {
    return finish(chain, [{ task: chain.tasks[0] ?? "", instruction: "", outcome: "sim_error", steps: 0, error: String(cause) }], 0, 0, started)
  }
  const ensembleSize = options.temporalEnsemble ?? 1
  for (let s = 0; s < chain.tasks.length; s++) {
    const task = chain.tasks[s]!
    const instruction = options.instructionFor(task)
    const resetExit = await Effect.runPromiseExit(policy.reset())
    if (Exit.isFailure(resetExit)) {
      subtasks.push({ task, instruction, steps: 0, ...classify(resetExit.cause) })
      break
    }
    const start = world.info()
    let result: SubtaskResult | undefined
    let queue: Array<Action7> = []
    const ensemble = ensembleSize > 1 ? makeTemporalEnsemble(ensembleSize) : undefined
    for (let step = 0; step < options.maxSteps && result === undefined; step++) {
      if (queue.length === 0) {
        const observation = world.observe(cameras)
        options.onFrame?.({ subtask: s, step, instruction, staticImage: () => observation.rgbStatic ?? renderStatic() })
        const exit = await Effect.runPromiseExit(
          policy.act(observation, instruction).pipe(
            Effect.timeoutOrElse({
              duration: Duration.millis(options.actTimeoutMs),
              orElse: () => Effect.fail(new BenchError({ reason: "PolicyTimeout", message: `no action within ${options.actTimeoutMs} ms` }))
            })
          )
        )
        if (Exit.isFailure(exit)) {
          result = { task, instruction, steps: step, ...classify(exit.cause) }
          break
        }
        // Through the SDK's boundary Schema: N ≥ 1 rows of 7 finite numbers.
        const chunk = Action.decodeActionChunkResult(exit.value)
        if (Result.isFailure(chunk)) {
          result = { task, instruction, steps: step, outcome: "malformed_action", error: chunk.failure.message }
          break
        }
        queue = ensemble === undefined ? chunk.success.slice(0, Math.max(1, options.actionsPerQuery)) as Array<Action7> : [ensemble.next(chunk.success as ReadonlyArray<Action7>)]
      } else {
        options.onFrame?.({ subtask: s, step, instruction, staticImage: renderStatic })
      }
      const action = queue.shift()!
      try {
        world.step(action, "relative")
      } catch (cause) {
        result = { task, instruction, steps: step + 1, outcome: "sim_error", error: cause instanceof Error ? cause.message : String(cause) }
        break
      }
      steps += 1
      if (options.checkTask(task, start, world.info())) result = { task, instruction, steps: step + 1, outcome: "success" }
    }
    result ??= { task, instruction, steps: options.maxSteps, outcome: "timeout" }
    subtasks.push(result)
    if (result.outcome !== "success") break
    completed += 1
  }
  return finish(chain, subtasks, completed, steps, started)
}

const finish = (chain: ChainSpec, subtasks: ReadonlyArray<SubtaskResult>, completed: number, steps: number, started: number): ChainResult => ({
  index: chain.index,
  initial_state: chain.initialState,
  tasks: chain.tasks,
  completed,
  subtasks,
  steps,
  wall_ms: Math.round(performance.now() - started)
})
