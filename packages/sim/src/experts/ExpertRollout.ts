/**
 * Rollouts of the scripted experts on the real PlayTable, shared by the expert tests, `npm run experts` and data
 * collection.
 * A task that needs a held or stacked block first runs the experts of a short setup prefix
 * (e.g. lift_red_block_table before place_in_drawer) from a symbolic initial state where the whole chain is valid.
 */
import { NumpyRandomState } from "../chains/NumpyRandom.ts"
import { makeExpert } from "./Experts.ts"
import { PlayTable } from "../PlayTable.ts"
import type { SceneId } from "../scene/SceneLayout.ts"
import { EVAL_ROBOT_OBS, sceneObsForState } from "../symbolic/SceneReset.ts"
import { INITIAL_STATES, isValidChain, type SymbolicState } from "../symbolic/SymbolicState.ts"
import { checkTask, taskId, type TaskName } from "../tasks/Tasks.ts"

/** CALVIN's per-subtask step budget. @since 0.1.0 @category constants */
export const EPISODE_STEPS = 360

export interface StartCase {
  readonly state: SymbolicState
  /** Tasks run (by their experts) before the task under test. */
  readonly prefix: ReadonlyArray<TaskName>
}

const COLORS = ["red", "blue", "pink"] as const
const prefixesFor = (task: TaskName): ReadonlyArray<ReadonlyArray<TaskName>> => {
  const lifts = COLORS.map((c) => `lift_${c}_block_table` as TaskName)
  switch (task) {
    case "place_in_slider":
    case "place_in_drawer":
    case "stack_block":
      return lifts.map((l) => [l])
    case "unstack_block":
      return lifts.map((l) => [l, "stack_block" as TaskName])
    case "lift_red_block_drawer":
    case "lift_blue_block_drawer":
    case "lift_pink_block_drawer":
      return [[`lift_${task.split("_")[1]}_block_table` as TaskName, "place_in_drawer"]]
    default:
      return [[]]
  }
}

/** Every (initial state, prefix) from which `[...prefix, task]` is a valid chain. */
export const startCases = (task: TaskName): Array<StartCase> =>
  INITIAL_STATES.flatMap((state) =>
    prefixesFor(task)
      .filter((prefix) => isValidChain(state, [...prefix, task]))
      .map((prefix) => ({ state, prefix }))
  )

/** `n` start cases for `task`, drawn without replacement by a seeded numpy RNG (deterministic). */
export const sampleStartCases = (task: TaskName, n: number, seed = 0): Array<StartCase> => {
  const all = startCases(task)
  const rng = new NumpyRandomState((seed * 1000 + taskId(task)) >>> 0)
  return rng.permutation(all.length).slice(0, Math.min(n, all.length)).map((i) => all[i]!)
}

export interface SubtaskResult {
  readonly task: TaskName
  readonly success: boolean
  readonly steps: number
  /** The expert phase when it stopped. */
  readonly phase: string
}

/** Run one subtask's expert until the oracle says success or the budget runs out. */
export const runSubtask = (table: PlayTable, task: TaskName, steps = EPISODE_STEPS, scene: SceneId = "D"): SubtaskResult => {
  const expert = makeExpert(task, scene)
  expert.reset()
  const start = table.info()
  for (let i = 0; i < steps; i++) {
    const robotObs = table.robotObs()
    const sceneObs = table.sceneObs()
    table.step(expert.act(robotObs, sceneObs))
    if (checkTask(task, start, table.info())) return { task, success: true, steps: i + 1, phase: expert.phase() }
  }
  return { task, success: false, steps, phase: expert.phase() }
}

export interface RolloutResult {
  readonly task: TaskName
  readonly start: StartCase
  /** False when a setup prefix failed (the task itself was then not attempted). */
  readonly setupOk: boolean
  readonly result?: SubtaskResult
  readonly failedSetup?: SubtaskResult
}

/** Reset to the start case, run the prefix experts, then the task's expert. */
export const runStartCase = (table: PlayTable, task: TaskName, start: StartCase, scene: SceneId = "D"): RolloutResult => {
  table.reset({ robotObs: EVAL_ROBOT_OBS, sceneObs: sceneObsForState(start.state, scene) })
  for (const pre of start.prefix) {
    const r = runSubtask(table, pre, EPISODE_STEPS, scene)
    if (!r.success) return { task, start, setupOk: false, failedSetup: r }
  }
  return { task, start, setupOk: true, result: runSubtask(table, task, EPISODE_STEPS, scene) }
}

/** Zero actions (gripper open) for `steps` steps: the oracle must not report success. */
export const runIdle = (table: PlayTable, task: TaskName, start: StartCase, steps = 60, scene: SceneId = "D"): boolean => {
  table.reset({ robotObs: EVAL_ROBOT_OBS, sceneObs: sceneObsForState(start.state, scene) })
  const begin = table.info()
  for (let i = 0; i < steps; i++) {
    table.step([0, 0, 0, 0, 0, 0, 1])
    if (checkTask(task, begin, table.info())) return true
  }
  return false
}

