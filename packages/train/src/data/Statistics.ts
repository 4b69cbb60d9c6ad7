/**
 * Dataset statistics written beside the data: per-dimension 1st/99th percentiles of the actions (what
 * RoboVLMs-style normalisation clips to) and the proprioception mean/std, in CALVIN's `statistics.yaml` shape
 * (reference/calvin.md §7.4) plus a `statistics.json` with the same numbers for programs.
 *
 * Accumulation is streaming: values are appended per frame and only the sorted per-dimension columns are kept,
 * 8 bytes per value (7 + 15 + 24 columns; a 500k-frame split needs ~185 MB).
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { TrainError } from "../TrainError.ts"

class Column {
  private values = new Float64Array(1024)
  private count = 0
  push(value: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2)
      grown.set(this.values)
      this.values = grown
    }
    this.values[this.count++] = value
  }
  sorted(): Float64Array {
    return this.values.slice(0, this.count).sort()
  }
  get size(): number {
    return this.count
  }
  mean(): number {
    let s = 0
    for (let i = 0; i < this.count; i++) s += this.values[i]!
    return this.count === 0 ? 0 : s / this.count
  }
  std(): number {
    const m = this.mean()
    let s = 0
    for (let i = 0; i < this.count; i++) s += (this.values[i]! - m) ** 2
    return this.count === 0 ? 0 : Math.sqrt(s / this.count)
  }
}

/** numpy's default (linear) percentile of sorted data. @since 0.1.0 @category utils */
export const percentile = (sorted: ArrayLike<number>, q: number): number => {
  if (sorted.length === 0) return Number.NaN
  const rank = (q / 100) * (sorted.length - 1)
  const lo = Math.floor(rank)
  const hi = Math.min(lo + 1, sorted.length - 1)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo)
}

/** @since 0.1.0 @category models */
export interface DatasetStatistics {
  readonly frames: number
  readonly act_min_bound: ReadonlyArray<number>
  readonly act_max_bound: ReadonlyArray<number>
  readonly robot_obs: { readonly mean: ReadonlyArray<number>; readonly std: ReadonlyArray<number> }
  readonly scene_obs: { readonly mean: ReadonlyArray<number>; readonly std: ReadonlyArray<number> }
}

/**
 * Streams frames in and produces {@link DatasetStatistics}.
 *
 * @since 0.1.0
 * @category constructors
 */
export class StatisticsAccumulator {
  private readonly actions = Array.from({ length: 7 }, () => new Column())
  private readonly robot = Array.from({ length: 15 }, () => new Column())
  private readonly scene = Array.from({ length: 24 }, () => new Column())

  add(frame: { readonly rel_actions: ArrayLike<number>; readonly robot_obs: ArrayLike<number>; readonly scene_obs: ArrayLike<number> }): void {
    if (frame.rel_actions.length !== 7 || frame.robot_obs.length !== 15 || frame.scene_obs.length !== 24) {
      throw new TrainError({ reason: "InvalidInput", message: `statistics need rel_actions 7, robot_obs 15, scene_obs 24; got ${frame.rel_actions.length}, ${frame.robot_obs.length}, ${frame.scene_obs.length}` })
    }
    for (let i = 0; i < 7; i++) this.actions[i]!.push(frame.rel_actions[i]!)
    for (let i = 0; i < 15; i++) this.robot[i]!.push(frame.robot_obs[i]!)
    for (let i = 0; i < 24; i++) this.scene[i]!.push(frame.scene_obs[i]!)
  }

  result(): DatasetStatistics {
    const std = (c: Column) => {
      const s = c.std()
      return s === 0 ? 1 : s // CALVIN replaces zero std by 1
    }
    return {
      frames: this.actions[0]!.size,
      act_min_bound: this.actions.map((c) => percentile(c.sorted(), 1)),
      act_max_bound: this.actions.map((c) => percentile(c.sorted(), 99)),
      robot_obs: { mean: this.robot.map((c) => c.mean()), std: this.robot.map(std) },
      scene_obs: { mean: this.scene.map((c) => c.mean()), std: this.scene.map(std) }
    }
  }
}

const list = (values: ReadonlyArray<number>): string => `[${values.map((v) => Number(v.toPrecision(9))).join(", ")}]`

/**
 * CALVIN's `statistics.yaml` text (Hydra transform overrides).
 *
 * @since 0.1.0
 * @category encoding
 */
export const statisticsYaml = (stats: DatasetStatistics): string =>
  [
    "robot_obs:",
    "  - _target_: calvin_agent.utils.transforms.NormalizeVector",
    `    mean: ${list(stats.robot_obs.mean)}`,
    `    std: ${list(stats.robot_obs.std)}`,
    "scene_obs:",
    "  - _target_: calvin_agent.utils.transforms.NormalizeVector",
    `    mean: ${list(stats.scene_obs.mean)}`,
    `    std: ${list(stats.scene_obs.std)}`,
    `act_min_bound: ${list(stats.act_min_bound)}`,
    `act_max_bound: ${list(stats.act_max_bound)}`,
    ""
  ].join("\n")

/**
 * Writes `statistics.yaml` and `statistics.json` into a split folder.
 *
 * @since 0.1.0
 * @category encoding
 */
export const writeStatistics = (dir: string, stats: DatasetStatistics): void => {
  fs.writeFileSync(path.join(dir, "statistics.yaml"), statisticsYaml(stats))
  fs.writeFileSync(path.join(dir, "statistics.json"), JSON.stringify(stats, null, 2) + "\n")
}
