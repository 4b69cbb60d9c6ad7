/**
 * Benchmark suites: which chains a run contains.
 * - `calvin`: CALVIN's 1000 long-horizon chains of 5 tasks (the published order), scene D by default.
 * - `calvin-single`: each task alone, from valid initial states (`--per-task` starts each): the 27 of 34 tasks
 *   that some CALVIN initial state allows ({@link singleTaskCoverage}).
 * - `smoke`: a few short chains for a quick end-to-end check.
 * Any suite takes a subset (`chains`: the first N, or an explicit index list) and a seed.
 *
 * @since 0.1.0
 */
import { mulberry32 } from "@robovla/sdk"
import { applicableTasks, generateEvalSequences, INITIAL_STATES, TASK_NAMES } from "@robovla/sim"
import { BenchError } from "./BenchError.ts"
import type { ChainSpec } from "./Chain.ts"

/** @since 0.1.0 @category models */
export type SuiteName = "calvin" | "calvin-single" | "smoke"

/** @since 0.1.0 @category constants */
export const SUITES: ReadonlyArray<SuiteName> = ["calvin", "calvin-single", "smoke"]

/** @since 0.1.0 @category models */
export interface SuiteOptions {
  /** Keep the first N chains. */
  readonly chains?: number | undefined
  /** Keep only these chain indices (after `chains`). */
  readonly only?: ReadonlyArray<number> | undefined
  /** Seed for suites that sample (calvin-single). */
  readonly seed?: number | undefined
  /** Starts per task for calvin-single (default 10). */
  readonly perTask?: number | undefined
}

let evalChainsCache: ReadonlyArray<ChainSpec> | undefined

const calvinChains = (): ReadonlyArray<ChainSpec> =>
  (evalChainsCache ??= generateEvalSequences(1000).map((c, index) => ({ index, initialState: { ...c.state }, tasks: [...c.tasks] })))

/**
 * The tasks calvin-single can start: those some CALVIN initial state allows. The other seven (a block in the
 * drawer to lift, a held block to place, a stack to undo or build) only arise mid-chain, after an earlier subtask,
 * so they have no valid start here (sampling one from an empty set gave an empty, NaN-valued reset).
 *
 * @since 0.1.0
 * @category constructors
 */
export const singleTaskCoverage = (): { readonly startable: ReadonlyArray<string>; readonly midChainOnly: ReadonlyArray<string> } => {
  const startable = TASK_NAMES.filter((task) => INITIAL_STATES.some((s) => applicableTasks(s).includes(task)))
  return { startable, midChainOnly: TASK_NAMES.filter((task) => !startable.includes(task)) }
}

const singleTaskChains = (perTask: number, seed: number): Array<ChainSpec> => {
  const rng = mulberry32(seed * 2654435761 + 17)
  const out: Array<ChainSpec> = []
  for (const task of TASK_NAMES) {
    const starts = INITIAL_STATES.filter((s) => applicableTasks(s).includes(task))
    if (starts.length === 0) {
      // Still draw, so every startable task keeps the starts it had before these were skipped.
      for (let k = 0; k < perTask; k++) rng()
      continue
    }
    for (let k = 0; k < perTask; k++) {
      const state = starts[Math.floor(rng() * starts.length)]!
      out.push({ index: out.length, initialState: { ...state }, tasks: [task] })
    }
  }
  return out
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const suiteChains = (suite: string, options: SuiteOptions = {}): Array<ChainSpec> => {
  let chains: Array<ChainSpec>
  switch (suite) {
    case "calvin":
      chains = [...calvinChains()]
      break
    case "calvin-single":
      chains = singleTaskChains(options.perTask ?? 10, options.seed ?? 0)
      break
    case "smoke":
      // three short chains from the published set: 2 tasks each
      chains = calvinChains().slice(0, 3).map((c) => ({ ...c, tasks: c.tasks.slice(0, 2) }))
      break
    default:
      throw new BenchError({ reason: "UnknownSuite", message: `unknown suite ${JSON.stringify(suite)}; available: ${SUITES.join(", ")}` })
  }
  if (options.chains !== undefined) {
    if (!Number.isInteger(options.chains) || options.chains < 1) throw new BenchError({ reason: "InvalidOptions", message: `--chains must be a positive integer, got ${options.chains}` })
    chains = chains.slice(0, options.chains)
  }
  if (options.only !== undefined) {
    const keep = new Set(options.only)
    chains = chains.filter((c) => keep.has(c.index))
  }
  return chains
}
