/**
 * CALVIN's symbolic world model (reference/calvin.md §6.1): a handful of discrete variables, and per task one
 * or more (condition → effect) branches. The chain generator uses it to keep only feasible 5-task chains, and the
 * benchmark uses it to know which block a chain's task refers to.
 *
 * @since 0.1.0
 */
import type { BlockColor } from "../SimInfo.ts"
import { categoryOf, TASK_NAMES, type TaskName } from "../tasks/Tasks.ts"

/** Where a block is. @since 0.1.0 @category models */
export type BlockLocation =
  | "table"
  | "slider_left"
  | "slider_right"
  | "drawer"
  | "grasped"
  | "stacked_top"
  | "stacked_bottom"

/**
 * One symbolic state. Key order matches CALVIN's dict (and the conformance file), which matters for the reset
 * seed (`stateSeed`).
 *
 * @since 0.1.0
 * @category models
 */
export interface SymbolicState {
  readonly led: 0 | 1
  readonly lightbulb: 0 | 1
  readonly slider: "left" | "right"
  readonly drawer: "open" | "closed"
  readonly red_block: BlockLocation
  readonly blue_block: BlockLocation
  readonly pink_block: BlockLocation
  readonly grasped: 0 | 1
}

/** @since 0.1.0 @category models */
export type StateKey = keyof SymbolicState

/** Key order of a symbolic state. @since 0.1.0 @category constants */
export const STATE_KEYS: ReadonlyArray<StateKey> = [
  "led",
  "lightbulb",
  "slider",
  "drawer",
  "red_block",
  "blue_block",
  "pink_block",
  "grasped"
]

type Value = SymbolicState[StateKey]

/** A condition: each listed variable must equal the value, or be one of the values of a list. @since 0.1.0 @category models */
export type Condition = { readonly [K in StateKey]?: SymbolicState[K] | ReadonlyArray<SymbolicState[K]> }
/** An effect: the listed variables are overwritten. @since 0.1.0 @category models */
export type Effect = { readonly [K in StateKey]?: SymbolicState[K] }

/** @since 0.1.0 @category models */
export interface TaskBranch {
  readonly condition: Condition
  readonly effect: Effect
}

const COLORS: ReadonlyArray<BlockColor> = ["red", "blue", "pink"]
const blockKey = (color: BlockColor) => `${color}_block` as const
const CABINET: ReadonlyArray<BlockLocation> = ["slider_right", "slider_left"]

const buildBranches = (): Record<TaskName, ReadonlyArray<TaskBranch>> => {
  const b: Partial<Record<TaskName, Array<TaskBranch>>> = {}
  for (const color of COLORS) {
    const key = blockKey(color)
    for (const dir of ["right", "left"] as const) {
      b[`rotate_${color}_block_${dir}`] = [{ condition: { [key]: "table", grasped: 0 }, effect: { [key]: "table" } }]
      b[`push_${color}_block_${dir}`] = [{ condition: { [key]: "table", grasped: 0 }, effect: { [key]: "table" } }]
    }
  }
  b.move_slider_left = [{ condition: { slider: "right", grasped: 0 }, effect: { slider: "left" } }]
  b.move_slider_right = [{ condition: { slider: "left", grasped: 0 }, effect: { slider: "right" } }]
  b.open_drawer = [{ condition: { drawer: "closed", grasped: 0 }, effect: { drawer: "open" } }]
  b.close_drawer = [{ condition: { drawer: "open", grasped: 0 }, effect: { drawer: "closed" } }]
  for (const color of COLORS) {
    const key = blockKey(color)
    b[`lift_${color}_block_table`] = [{ condition: { [key]: "table", grasped: 0 }, effect: { [key]: "grasped", grasped: 1 } }]
    b[`lift_${color}_block_slider`] = [
      { condition: { [key]: "slider_left", slider: "right", grasped: 0 }, effect: { [key]: "grasped", grasped: 1 } },
      { condition: { [key]: "slider_right", slider: "left", grasped: 0 }, effect: { [key]: "grasped", grasped: 1 } }
    ]
    b[`lift_${color}_block_drawer`] = [
      { condition: { [key]: "drawer", drawer: "open", grasped: 0 }, effect: { [key]: "grasped", grasped: 1 } }
    ]
  }
  b.place_in_slider = COLORS.flatMap((color) => [
    { condition: { [blockKey(color)]: "grasped", slider: "right", grasped: 1 }, effect: { [blockKey(color)]: "slider_right", grasped: 0 } },
    { condition: { [blockKey(color)]: "grasped", slider: "left", grasped: 1 }, effect: { [blockKey(color)]: "slider_left", grasped: 0 } }
  ])
  b.place_in_drawer = COLORS.map((color) => ({
    condition: { [blockKey(color)]: "grasped", drawer: "open", grasped: 1 },
    effect: { [blockKey(color)]: "drawer", grasped: 0 }
  }))
  b.stack_block = COLORS.flatMap((top) =>
    COLORS.filter((bottom) => bottom !== top).map((bottom) => ({
      condition: { [blockKey(top)]: "grasped", [blockKey(bottom)]: "table", grasped: 1 },
      effect: { [blockKey(top)]: "stacked_top", [blockKey(bottom)]: "stacked_bottom", grasped: 0 }
    }))
  )
  b.unstack_block = COLORS.flatMap((top) =>
    COLORS.filter((bottom) => bottom !== top).map((bottom) => ({
      condition: { [blockKey(top)]: "stacked_top", [blockKey(bottom)]: "stacked_bottom", grasped: 0 },
      effect: { [blockKey(top)]: "table", [blockKey(bottom)]: "table" }
    }))
  )
  b.turn_on_lightbulb = [{ condition: { lightbulb: 0, grasped: 0 }, effect: { lightbulb: 1 } }]
  b.turn_off_lightbulb = [{ condition: { lightbulb: 1, grasped: 0 }, effect: { lightbulb: 0 } }]
  b.turn_on_led = [{ condition: { led: 0, grasped: 0 }, effect: { led: 1 } }]
  b.turn_off_led = [{ condition: { led: 1, grasped: 0 }, effect: { led: 0 } }]
  b.push_into_drawer = COLORS.map((color) => {
    const others = COLORS.filter((c) => c !== color)
    return {
      condition: {
        [blockKey(color)]: "table",
        [blockKey(others[0]!)]: CABINET,
        [blockKey(others[1]!)]: CABINET,
        drawer: "open",
        grasped: 0
      },
      effect: { [blockKey(color)]: "drawer" }
    }
  })
  return b as Record<TaskName, ReadonlyArray<TaskBranch>>
}

/**
 * The (condition → effect) branches of every task.
 *
 * @since 0.1.0
 * @category constants
 */
export const TASK_BRANCHES: Readonly<Record<TaskName, ReadonlyArray<TaskBranch>>> = buildBranches()

/** True when every variable of `condition` holds in `state`. @since 0.1.0 @category predicates */
export const conditionHolds = (state: SymbolicState, condition: Condition): boolean =>
  (Object.keys(condition) as Array<StateKey>).every((key) => {
    const want = condition[key] as Value | ReadonlyArray<Value>
    return Array.isArray(want) ? want.includes(state[key]) : state[key] === want
  })

/** The branches of `task` whose condition holds in `state`. @since 0.1.0 @category predicates */
export const applicableBranches = (task: TaskName, state: SymbolicState): ReadonlyArray<TaskBranch> =>
  TASK_BRANCHES[task].filter((branch) => conditionHolds(state, branch.condition))

/**
 * The state after `task`, or `undefined` when not exactly one branch applies (CALVIN's feasibility rule).
 *
 * @since 0.1.0
 * @category transitions
 */
export const applyTask = (task: TaskName, state: SymbolicState): SymbolicState | undefined => {
  const branches = applicableBranches(task, state)
  if (branches.length !== 1) return undefined
  return { ...state, ...branches[0]!.effect }
}

/**
 * True when every task of `chain` has exactly one applicable branch, simulated in order from `state`, and the
 * tasks' categories are pairwise distinct.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isValidChain = (state: SymbolicState, chain: ReadonlyArray<TaskName>): boolean => {
  if (new Set(chain.map(categoryOf)).size !== chain.length) return false
  let current: SymbolicState | undefined = state
  for (const task of chain) {
    current = applyTask(task, current)
    if (current === undefined) return false
  }
  return true
}

/**
 * The states a chain passes through: `[state, after task 1, …]`; `undefined` when the chain is infeasible.
 *
 * @since 0.1.0
 * @category transitions
 */
export const chainStates = (state: SymbolicState, chain: ReadonlyArray<TaskName>): Array<SymbolicState> | undefined => {
  const states = [state]
  for (const task of chain) {
    const next = applyTask(task, states[states.length - 1]!)
    if (next === undefined) return undefined
    states.push(next)
  }
  return states
}

/** Tasks applicable (exactly one branch) in `state`. @since 0.1.0 @category predicates */
export const applicableTasks = (state: SymbolicState): Array<TaskName> =>
  TASK_NAMES.filter((task) => applicableBranches(task, state).length === 1)

/**
 * The 192 initial states of §6.2 step 1, in `itertools.product` order: led, lightbulb, slider (right, left),
 * drawer (closed, open), each block (table, slider_right, slider_left); kept when 1–2 blocks are on the table and
 * at most one block sits on each cabinet side.
 *
 * @since 0.1.0
 * @category constants
 */
export const INITIAL_STATES: ReadonlyArray<SymbolicState> = (() => {
  const places: ReadonlyArray<BlockLocation> = ["table", "slider_right", "slider_left"]
  const out: Array<SymbolicState> = []
  for (const led of [0, 1] as const) {
    for (const lightbulb of [0, 1] as const) {
      for (const slider of ["right", "left"] as const) {
        for (const drawer of ["closed", "open"] as const) {
          for (const red_block of places) {
            for (const blue_block of places) {
              for (const pink_block of places) {
                const blocks = [red_block, blue_block, pink_block]
                const count = (p: BlockLocation) => blocks.filter((b) => b === p).length
                if (count("table") < 1 || count("table") > 2) continue
                if (count("slider_right") > 1 || count("slider_left") > 1) continue
                out.push({ led, lightbulb, slider, drawer, red_block, blue_block, pink_block, grasped: 0 })
              }
            }
          }
        }
      }
    }
  }
  return out
})()

/**
 * Python's `str(state.values())`, e.g. `dict_values([0, 1, 'right', 'closed', 'table', 'slider_left', 'table', 0])`:
 * the text CALVIN hashes to seed a state's physical reset.
 *
 * @since 0.1.0
 * @category utils
 */
export const pythonDictValuesString = (state: SymbolicState): string =>
  `dict_values([${STATE_KEYS.map((key) => {
    const v = state[key]
    return typeof v === "number" ? String(v) : `'${v}'`
  }).join(", ")}])`

/** Compact stable key of a state, for maps and logs. @since 0.1.0 @category utils */
export const stateKey = (state: SymbolicState): string => STATE_KEYS.map((key) => String(state[key])).join("|")
