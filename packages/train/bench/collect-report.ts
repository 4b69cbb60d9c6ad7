/**
 * Summarises a collection folder from its episode records: frames, annotated segments per task, expert failures,
 * frames per segment, recording time and disk footprint; and how many more balanced episodes would bring every task
 * to `--target` segments at the observed per-episode rates.
 *
 *   npx tsx bench/collect-report.ts data/calvin-abc-d [--target 20]
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { parseArgs } from "node:util"
import type { EpisodeRecord } from "../src/collect/Episode.ts"
import { TASK_NAMES } from "../src/collect/SimApi.ts"

const { values, positionals } = parseArgs({ allowPositionals: true, options: { target: { type: "string", default: "20" } } })
const out = positionals[0] ?? "data/calvin-abc-d"
const target = Number(values.target)
for (const split of ["training", "validation"]) {
  const dir = path.join(out, split, ".collect")
  if (!fs.existsSync(dir)) continue
  const records: Array<EpisodeRecord> = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")))
  const perTask = new Map<string, number>(TASK_NAMES.map((t) => [t, 0]))
  const failures = new Map<string, number>(TASK_NAMES.map((t) => [t, 0]))
  let frames = 0
  let wallMs = 0
  let diverged = 0
  for (const r of records) {
    frames += r.frames
    wallMs += r.wallMs
    if (r.diverged) diverged++
    for (const a of r.annotations) perTask.set(a.task, perTask.get(a.task)! + 1)
    for (const t of r.failures) failures.set(t, failures.get(t)! + 1)
  }
  const segments = [...perTask.values()].reduce((a, b) => a + b, 0)
  const du = execFileSync("du", ["-sh", path.join(out, split)], { encoding: "utf8" }).split("\t")[0]
  const kib = Number(execFileSync("du", ["-sk", path.join(out, split)], { encoding: "utf8" }).split("\t")[0])
  console.log(`## ${split}: ${records.length} episodes, ${frames} frames (${(frames / 30 / 60).toFixed(1)} min at 30 Hz), ${segments} annotated segments, ${(frames / Math.max(segments, 1)).toFixed(1)} frames/segment, ${du} on disk (${(kib / Math.max(frames, 1)).toFixed(1)} KiB/frame)`)
  console.log(`   per-episode wall time (one simulator, dry + camera pass): mean ${(wallMs / Math.max(records.length, 1) / 1000).toFixed(1)} s → ${((frames / wallMs) * 1000).toFixed(1)} recorded frames/s per simulator; diverged episodes: ${diverged}`)
  const rows = TASK_NAMES.map((t) => ({ task: t, segments: perTask.get(t)!, failures: failures.get(t)! }))
  // Annotated window lengths (frames, both ends inclusive): whole subtasks since manifest v2, ≤ 65 before.
  const lengths = records.flatMap((r) => r.annotations.map((a) => a.end - a.start + 1)).sort((a, b) => a - b)
  if (lengths.length > 0) {
    const q = (p: number) => lengths[Math.min(lengths.length - 1, Math.floor(p * lengths.length))]!
    const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length
    console.log(`   annotated window frames: mean ${mean.toFixed(1)}, min ${lengths[0]}, p10 ${q(0.1)}, median ${q(0.5)}, p90 ${q(0.9)}, max ${lengths.at(-1)}; longer than CALVIN's 65: ${((100 * lengths.filter((l) => l > 65).length) / lengths.length).toFixed(1)} %; shorter than W + 1 = 9 (no window): ${lengths.filter((l) => l < 9).length}`)
  }
  console.log("   task | segments | expert failures (all attempts)")
  for (const r of rows) console.log(`   ${r.task} | ${r.segments} | ${r.failures}`)
  const short = rows.filter((r) => r.segments < target)
  console.log(`   tasks below ${target}: ${short.length}${short.length ? ` (${short.map((r) => `${r.task} ${r.segments}`).join(", ")})` : ""}`)
  if (short.length > 0 && records.length > 0) {
    const need = Math.max(...short.map((r) => (r.segments === 0 ? Number.POSITIVE_INFINITY : (target * records.length) / r.segments)))
    console.log(`   at the observed rates every task reaches ${target} after ≈ ${Number.isFinite(need) ? Math.ceil(need) : "∞ (some task never succeeded)"} episodes`)
  }
}
