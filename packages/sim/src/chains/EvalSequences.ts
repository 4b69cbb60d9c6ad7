/**
 * CALVIN's long-horizon evaluation chains (reference/calvin.md §6.2), regenerated bit-exactly: for each of the
 * 192 initial states, seeded draws of 5 distinct tasks kept when feasible, then one global shuffle.
 *
 * @since 0.1.0
 */
import {
  INITIAL_STATES,
  STATE_KEYS,
  type StateKey,
  type SymbolicState,
  TASK_BRANCHES
} from "../symbolic/SymbolicState.ts"
import { categoryOf, TASK_CATEGORIES, TASK_NAMES, type TaskName } from "../tasks/Tasks.ts"
import { arraySplitSizes, NumpyRandomState } from "./NumpyRandom.ts"

/**
 * One evaluation chain: the initial symbolic state and its 5 tasks.
 *
 * @since 0.1.0
 * @category models
 */
export interface EvalChain {
  readonly state: SymbolicState
  readonly tasks: ReadonlyArray<TaskName>
}

const CATEGORY_BITS: ReadonlyArray<number> = TASK_NAMES.map((task) => 1 << TASK_CATEGORIES.indexOf(categoryOf(task)))

// A compiled form of the symbolic model for the generator's inner loop (millions of candidate chains): states are
// small int arrays, conditions are per-variable bit masks of allowed values. `isValidChain` is the readable spec;
// a test checks both agree on every reference chain.
const VALUE_CODES: Record<string, number> = {
  "0": 0, "1": 1, left: 0, right: 1, open: 0, closed: 1,
  table: 0, slider_left: 1, slider_right: 2, drawer: 3, grasped: 4, stacked_top: 5, stacked_bottom: 6
}
const encodeState = (state: SymbolicState): Int8Array =>
  Int8Array.from(STATE_KEYS, (key) => VALUE_CODES[String(state[key])]!)
interface CompiledBranch {
  readonly masks: ReadonlyArray<readonly [number, number]>
  readonly effects: ReadonlyArray<readonly [number, number]>
}
const COMPILED: ReadonlyArray<ReadonlyArray<CompiledBranch>> = TASK_NAMES.map((task) =>
  TASK_BRANCHES[task].map((branch) => ({
    masks: (Object.keys(branch.condition) as Array<StateKey>).map((key) => {
      const want = branch.condition[key]
      const values = Array.isArray(want) ? want : [want]
      return [STATE_KEYS.indexOf(key), values.reduce((m: number, v) => m | (1 << VALUE_CODES[String(v)]!), 0)] as const
    }),
    effects: (Object.keys(branch.effect) as Array<StateKey>).map((key) =>
      [STATE_KEYS.indexOf(key), VALUE_CODES[String(branch.effect[key])]!] as const
    )
  }))
)
const scratch = new Int8Array(STATE_KEYS.length)
const fastValid = (initial: Int8Array, perm: Int32Array): boolean => {
  scratch.set(initial)
  for (let k = 0; k < CHAIN_LENGTH; k++) {
    let chosen: CompiledBranch | undefined
    for (const branch of COMPILED[perm[k]!]!) {
      if (branch.masks.every(([key, mask]) => (mask >> scratch[key]!) & 1)) {
        if (chosen !== undefined) return false
        chosen = branch
      }
    }
    if (chosen === undefined) return false
    for (const [key, value] of chosen.effects) scratch[key] = value
  }
  return true
}

/** Tasks per chain. @since 0.1.0 @category constants */
export const CHAIN_LENGTH = 5

/**
 * CALVIN's `get_sequences_for_state2`: seed numpy with the state's index, then draw 5 distinct tasks
 * (`choice(34, 5, replace=False)`) until `count` feasible chains are found (duplicates kept).
 *
 * @since 0.1.0
 * @category generation
 */
export const sequencesForState = (state: SymbolicState, count: number, seed: number): Array<Array<TaskName>> => {
  const rng = new NumpyRandomState(seed)
  const out: Array<Array<TaskName>> = []
  const perm = new Int32Array(TASK_NAMES.length)
  const initial = encodeState(state)
  while (out.length < count) {
    // choice(34, 5, replace=False) = permutation(34)[:5]; most draws fail the cheap category test.
    rng.permutationInto(perm)
    let seen = 0
    let distinct = true
    for (let k = 0; k < CHAIN_LENGTH; k++) {
      const bit = CATEGORY_BITS[perm[k]!]!
      if (seen & bit) {
        distinct = false
        break
      }
      seen |= bit
    }
    if (!distinct) continue
    if (fastValid(initial, perm)) out.push(Array.from(perm.subarray(0, CHAIN_LENGTH), (i) => TASK_NAMES[i]!))
  }
  return out
}

/**
 * CALVIN's `get_sequences(n)`: the evaluation chains in the published order. `generateEvalSequences(1000)`
 * equals `conformance/calvin-eval-sequences.json`.
 *
 * @since 0.1.0
 * @category generation
 */
export const generateEvalSequences = (n = 1000): Array<EvalChain> => {
  const quotas = arraySplitSizes(n, INITIAL_STATES.length)
  const all: Array<EvalChain> = []
  INITIAL_STATES.forEach((state, i) => {
    for (const tasks of sequencesForState(state, quotas[i]!, i)) all.push({ state, tasks })
  })
  new NumpyRandomState(0).shuffle(all)
  return all
}
