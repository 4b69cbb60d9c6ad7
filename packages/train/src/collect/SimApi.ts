/**
 * The one seam between data collection and the simulator package: everything `collect/` uses from @robovla/sim
 * comes through here.
 *
 * TODO(sim index): the task oracle, symbolic model, instructions and experts are imported from their modules
 * because @robovla/sim's index does not export them yet; switch these to `from "@robovla/sim"` once it does.
 *
 * @since 0.1.0
 */
export { NEUTRAL_ROBOT_OBS, PlayTable } from "@robovla/sim"
export type { SceneId, SimInfo } from "@robovla/sim"
export { makeExpert } from "../../../sim/src/experts/Experts.ts"
export type { Expert } from "../../../sim/src/experts/Experts.ts"
export { instructionFor } from "../../../sim/src/instructions/Instructions.ts"
export { sceneObsForState } from "../../../sim/src/symbolic/SceneReset.ts"
export { applicableTasks, applyTask, INITIAL_STATES } from "../../../sim/src/symbolic/SymbolicState.ts"
export type { SymbolicState } from "../../../sim/src/symbolic/SymbolicState.ts"
export { categoryOf, checkTask, isTaskName, TASK_NAMES } from "../../../sim/src/tasks/Tasks.ts"
export type { TaskName } from "../../../sim/src/tasks/Tasks.ts"
