import { describe, expect, it } from "vitest"
import { percentile, StatisticsAccumulator, statisticsYaml } from "../../src/data/Statistics.ts"

describe("dataset statistics", () => {
  it("computes numpy-style linear percentiles", () => {
    const sorted = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    expect(percentile(sorted, 1)).toBeCloseTo(0.1, 12)
    expect(percentile(sorted, 99)).toBeCloseTo(9.9, 12)
    expect(percentile(sorted, 50)).toBe(5)
  })

  it("gives per-dimension action bounds, proprio mean/std, and std 1 for constant dims", () => {
    const acc = new StatisticsAccumulator()
    for (let t = 0; t <= 100; t++) {
      acc.add({
        rel_actions: [t / 100, -t / 100, 0, 0, 0, 0, t % 2 === 0 ? 1 : -1],
        robot_obs: Array.from({ length: 15 }, (_, i) => (i === 0 ? t : 2)),
        scene_obs: new Array(24).fill(0)
      })
    }
    const stats = acc.result()
    expect(stats.frames).toBe(101)
    expect(stats.act_min_bound[0]).toBeCloseTo(0.01, 6)
    expect(stats.act_max_bound[0]).toBeCloseTo(0.99, 6)
    expect(stats.act_min_bound[1]).toBeCloseTo(-0.99, 6)
    expect(stats.act_min_bound[6]).toBe(-1)
    expect(stats.robot_obs.mean[0]).toBeCloseTo(50, 9)
    expect(stats.robot_obs.std[0]).toBeCloseTo(Math.sqrt((101 * 101 - 1) / 12), 6)
    expect(stats.robot_obs.std[1]).toBe(1)
    expect(statisticsYaml(stats)).toMatch(/act_min_bound: \[0\.01/)
  })

  it("rejects frames with the wrong vector sizes", () => {
    expect(() => new StatisticsAccumulator().add({ rel_actions: [1], robot_obs: [], scene_obs: [] })).toThrowError(/rel_actions 7/)
  })
})
