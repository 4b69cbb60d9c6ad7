/**
 * The one seam between data collection and the simulator package: everything `collect/` uses from @robovla/sim
 * comes through here, so tests and the collector agree on one surface.
 *
 * @since 0.1.0
 */
export {
  applicableTasks,
  applyTask,
  categoryOf,
  checkTask,
  INITIAL_STATES,
  instructionFor,
  isTaskName,
  makeExpert,
  NEUTRAL_ROBOT_OBS,
  PlayTable,
  sceneObsForState,
  TASK_NAMES
} from "@robovla/sim"
export type { Expert, SceneId, SimInfo, SymbolicState, TaskName } from "@robovla/sim"
