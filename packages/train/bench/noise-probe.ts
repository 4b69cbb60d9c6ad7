/**
 * Noise probe: expert success and segment lengths without cameras, for a few DART noise scales, on the same plans.
 * `npx tsx bench/noise-probe.ts OUT_DIR EPISODES SCALE...`
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { collect } from "../src/collect/Collector.ts"
import { CalvinSplit } from "../src/data/CalvinDataset.ts"

const [out = "/tmp/noise-probe", episodesArg = "34", ...scalesArg] = process.argv.slice(2)
const scales = scalesArg.length > 0 ? scalesArg.map(Number) : [0, 0.1, 0.2, 0.3]
const quantile = (xs: Array<number>, q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!
for (const noise of scales) {
  const dir = path.join(out, `noise-${noise}`)
  fs.rmSync(dir, { recursive: true, force: true })
  const summary = await collect({ out: dir, scenes: ["A", "B", "C"], episodes: Number(episodesArg), workers: 2, cameras: false, balance: true, attempts: 1, seed: 0, noise })
  const split = CalvinSplit.open(path.join(dir, "training"))
  const lengths = split.annotations.map((a) => a.end - a.start + 1)
  const s = summary.splits.training!
  const failures = Object.values(s.failures).reduce((a, b) => a + b, 0)
  console.log(JSON.stringify({
    noise,
    episodes: s.episodes,
    frames: s.frames,
    segments: s.annotations,
    failures,
    successRate: +(s.annotations / (s.annotations + failures)).toFixed(3),
    segmentFrames: { mean: +(lengths.reduce((a, b) => a + b, 0) / lengths.length).toFixed(1), min: Math.min(...lengths), p50: quantile(lengths, 0.5), p90: quantile(lengths, 0.9), max: Math.max(...lengths), over65: +(lengths.filter((l) => l > 65).length / lengths.length).toFixed(3) },
    framesPerSecond: +summary.framesPerSecond.toFixed(1),
    failedTasks: s.failures
  }))
}
