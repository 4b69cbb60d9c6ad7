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
import type { Action7, ObservationFrame, PolicyService, SdkError } from "@robovla/sdk"
import type { SimInfo } from "@robovla/sim"
import { Cause, Duration, Effect, Exit, Option } from "effect"
import { BenchError } from "./BenchError.ts"
import type { ChainResult, ChainSpec, SubtaskResult } from "./Chain.ts"

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
  readonly resetState: (chain: ChainSpec) => { readonly robotObs?: ArrayLike<number>; readonly sceneObs: ArrayLike<number> }
  readonly instructionFor: (task: string) => string
  readonly checkTask: (task: string, start: SimInfo, now: SimInfo) => boolean
  /**
   * Called at each step when recording a video of this chain. `staticImage()` renders the static camera (or
   * reuses the policy's frame), so a recorder that keeps every k-th frame only pays for those.
   */
  readonly onFrame?: ((frame: { readonly subtask: number; readonly step: number; readonly instruction: string; readonly staticImage: () => ObservationFrame["rgbStatic"] }) => void) | undefined
}

const validChunk = (value: unknown): value is ReadonlyArray<Action7> =>
  Array.isArray(value) && value.length > 0 &&
  value.every((row) => Array.isArray(row) && row.length === 7 && row.every((v) => typeof v === "number" && Number.isFinite(v)))

type Failure = { readonly outcome: SubtaskResult["outcome"]; readonly error: string }

const classify = (cause: Cause.Cause<SdkError | unknown>): Failure => {
  const error = Option.getOrUndefined(Cause.findErrorOption(cause))
  const message = error === undefined
    ? Cause.pretty(cause)
    : typeof (error as { message?: unknown }).message === "string"
    ? (error as { message: string }).message
    : String(error)
  const reason = (error as { reason?: string } | undefined)?.reason
  if (reason === "PolicyTimeout" || reason === "Timeout") return { outcome: "policy_timeout", error: message }
  if (reason === "MalformedAction" || reason === "ShapeMismatch" || reason === "NonFinite") return { outcome: "malformed_action", error: message }
  return { outcome: "policy_error", error: message }
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
        if (!validChunk(exit.value)) {
          result = { task, instruction, steps: step, outcome: "malformed_action", error: `expected a non-empty N×7 chunk of finite numbers, got ${JSON.stringify(exit.value).slice(0, 120)}` }
          break
        }
        queue = exit.value.slice(0, Math.max(1, options.actionsPerQuery)) as Array<Action7>
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
