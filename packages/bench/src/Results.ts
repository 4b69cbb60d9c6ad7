/**
 * Aggregation of chain results into CALVIN's `results.json` shape (reference/calvin.md §6.4): average sequence
 * length, k-in-a-row success rates for k = 1…5, and per-task {success, total} where every subtask completed
 * before the failure counts as a success and the failing one as a failure; later subtasks are not counted.
 *
 * @since 0.1.0
 */
import type { ChainResult } from "./Chain.ts"

/** @since 0.1.0 @category models */
export interface TaskTally {
  success: number
  total: number
}

/** @since 0.1.0 @category models */
export interface BenchSummary {
  readonly chains: number
  readonly avg_seq_len: number
  readonly chain_sr: Readonly<Record<"1" | "2" | "3" | "4" | "5", number>>
  readonly task_info: Readonly<Record<string, TaskTally>>
  readonly task_success_rate: Readonly<Record<string, number>>
  /** Subtask failures by outcome other than a plain timeout (policy errors, malformed actions…). */
  readonly failures_by_outcome: Readonly<Record<string, number>>
  readonly steps: number
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const summarize = (results: ReadonlyArray<ChainResult>): BenchSummary => {
  const n = results.length
  const chain_sr = { "1": 0, "2": 0, "3": 0, "4": 0, "5": 0 }
  const task_info: Record<string, TaskTally> = {}
  const failures: Record<string, number> = {}
  let total = 0
  let steps = 0
  for (const r of results) {
    total += r.completed
    steps += r.steps
    for (let k = 1; k <= 5; k++) if (r.completed >= k) chain_sr[String(k) as "1"] += 1
    for (const sub of r.subtasks) {
      const tally = (task_info[sub.task] ??= { success: 0, total: 0 })
      tally.total += 1
      if (sub.outcome === "success") tally.success += 1
      else failures[sub.outcome] = (failures[sub.outcome] ?? 0) + 1
    }
  }
  for (const k of Object.keys(chain_sr) as Array<"1">) chain_sr[k] = n === 0 ? 0 : chain_sr[k] / n
  const task_success_rate: Record<string, number> = {}
  for (const [task, t] of Object.entries(task_info).sort(([a], [b]) => a.localeCompare(b))) task_success_rate[task] = t.total === 0 ? 0 : t.success / t.total
  return { chains: n, avg_seq_len: n === 0 ? 0 : total / n, chain_sr, task_info, task_success_rate, failures_by_outcome: failures, steps }
}

/** The "1/5: 93.2% | 2/5: …" line CALVIN's progress bar shows. @since 0.1.0 @category formatting */
export const formatRates = (summary: BenchSummary): string =>
  (["1", "2", "3", "4", "5"] as const).map((k) => `${k}/5 ${(summary.chain_sr[k] * 100).toFixed(1)}%`).join(" | ") +
  ` | avg len ${summary.avg_seq_len.toFixed(3)}`
