/**
 * Chains: the unit of work of a benchmark. A chain is an initial symbolic state plus up to 5 tasks, run in one
 * world without reset (reference/calvin.md §6.4). Its outcome depends only on (state, tasks, seed), so chains
 * can run in any worker, in any order, and a resumed run skips finished ones.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** The symbolic initial state, as in CALVIN's eval sequences. @since 0.1.0 @category schemas */
export const SymbolicStateSchema = Schema.Struct({
  led: Schema.Literals([0, 1]),
  lightbulb: Schema.Literals([0, 1]),
  slider: Schema.Literals(["left", "right"]),
  drawer: Schema.Literals(["open", "closed"]),
  red_block: Schema.String,
  blue_block: Schema.String,
  pink_block: Schema.String,
  grasped: Schema.Literals([0, 1])
})

/** @since 0.1.0 @category models */
export type SymbolicStateSpec = typeof SymbolicStateSchema.Type

/** One chain to run. `index` is its position in the suite (stable across runs). @since 0.1.0 @category models */
export interface ChainSpec {
  readonly index: number
  readonly initialState: SymbolicStateSpec
  readonly tasks: ReadonlyArray<string>
}

/** How a subtask ended. @since 0.1.0 @category models */
export const SubtaskOutcome = Schema.Literals(["success", "timeout", "policy_timeout", "policy_error", "malformed_action", "sim_error"])

/** @since 0.1.0 @category schemas */
export const SubtaskResultSchema = Schema.Struct({
  task: Schema.String,
  instruction: Schema.String,
  outcome: SubtaskOutcome,
  steps: Schema.Number,
  error: Schema.optional(Schema.String)
})

/** @since 0.1.0 @category models */
export type SubtaskResult = typeof SubtaskResultSchema.Type

/** One finished chain: a line of the run's `chains.jsonl`. @since 0.1.0 @category schemas */
export const ChainResultSchema = Schema.Struct({
  index: Schema.Number,
  initial_state: SymbolicStateSchema,
  tasks: Schema.Array(Schema.String),
  /** Consecutive successes, 0…tasks.length. */
  completed: Schema.Number,
  subtasks: Schema.Array(SubtaskResultSchema),
  steps: Schema.Number,
  wall_ms: Schema.Number
})

/** @since 0.1.0 @category models */
export type ChainResult = typeof ChainResultSchema.Type
