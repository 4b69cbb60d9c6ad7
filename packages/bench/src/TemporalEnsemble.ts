/**
 * Temporal ensembling of action chunks (as in ACT): the policy is queried at every step, and the executed action
 * is the mean of what the last K chunks predicted for this step. RoboVLMs' CALVIN evaluation keeps one chunk
 * (no ensembling, reference/robovlms.md §eval); this is an opt-in for policies whose chunks disagree from step to
 * step. The gripper (the 7th value, −1 close / 1 open) takes the sign of the mean, the newest chunk breaking ties.
 *
 * @since 0.1.0
 */
import type { Action7 } from "@robovla/sdk"
import { BenchError } from "./BenchError.ts"

/** @since 0.1.0 @category models */
export interface TemporalEnsemble {
  /** Takes the chunk predicted at this step (element 0 = this step) and returns the action to execute. */
  readonly next: (chunk: ReadonlyArray<Action7>) => Action7
}

/**
 * `size`: how many of the latest chunks to average (1 = execute element 0 of the newest chunk, unchanged). One
 * ensemble per subtask: a new subtask starts from no earlier chunks.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeTemporalEnsemble = (size: number): TemporalEnsemble => {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`a temporal ensemble averages an integer number ≥ 1 of chunks, got ${size}`)
  // Newest first: recent[age] is the chunk predicted `age` steps ago, whose element `age` is for this step.
  let recent: Array<ReadonlyArray<Action7>> = []
  return {
    next: (chunk) => {
      recent = [chunk, ...recent].slice(0, size)
      const sum = [0, 0, 0, 0, 0, 0, 0]
      let count = 0
      // A chunk too short to reach this step is skipped but keeps its place, so the older ones keep their age.
      for (const [age, c] of recent.entries()) {
        if (age >= c.length) continue
        for (let i = 0; i < 7; i++) sum[i]! += c[age]![i]!
        count += 1
      }
      const mean = sum.map((s) => s / count)
      const gripper = mean[6]! > 0 ? 1 : mean[6]! < 0 ? -1 : chunk[0]![6]
      return [mean[0]!, mean[1]!, mean[2]!, mean[3]!, mean[4]!, mean[5]!, gripper]
    }
  }
}

/**
 * Checks a run's acting options before it starts: the ensemble size is an integer ≥ 1, and averaging per step
 * needs a query per step.
 *
 * @since 0.1.0
 * @category validation
 */
export const checkActingOptions = (options: { readonly actionsPerQuery: number; readonly temporalEnsemble?: number | undefined }): void => {
  const size = options.temporalEnsemble ?? 1
  if (!Number.isInteger(size) || size < 1) throw new BenchError({ reason: "InvalidOptions", message: `--ensemble must be an integer ≥ 1, got ${size}` })
  if (size > 1 && options.actionsPerQuery !== 1) {
    throw new BenchError({ reason: "InvalidOptions", message: `--ensemble ${size} averages a new chunk at every step, so it needs --actions-per-query 1, not ${options.actionsPerQuery}` })
  }
}
