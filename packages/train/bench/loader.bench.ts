/**
 * Loader throughput: batches/s and window items/s for 0 and N worker threads, on a given split or on a synthetic
 * one (CALVIN-sized images, random pixels so npz inflation costs what it does on real frames).
 *
 *   npx tsx bench/loader.bench.ts [--dir SPLIT] [--batch 8] [--batches 20] [--workers 0,2]
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"
import { CalvinSplitWriter } from "../src/data/CalvinDataset.ts"
import { CalvinLoader } from "../src/loader/CalvinLoader.ts"

const { values } = parseArgs({
  options: { dir: { type: "string" }, batch: { type: "string", default: "8" }, batches: { type: "string", default: "20" }, workers: { type: "string", default: "0,2" } }
})

const synthetic = async (): Promise<string> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-loader-bench-"))
  const writer = new CalvinSplitWriter(dir)
  let seed = 1
  const noise = (n: number) => Uint8Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 0xff)
  for (let id = 0; id < 400; id++) {
    await writer.writeFrame(id, {
      actions: new Array(7).fill(0.1),
      rel_actions: [0.1, -0.2, 0.3, 0, 0, 0.5, id % 2 ? 1 : -1],
      robot_obs: new Array(15).fill(0),
      scene_obs: new Array(24).fill(0),
      rgb_static: { data: noise(200 * 200 * 3), height: 200, width: 200 },
      rgb_gripper: { data: noise(84 * 84 * 3), height: 84, width: 84 }
    })
  }
  writer.endSegment()
  for (let s = 0; s + 65 <= 400; s += 40) writer.annotate({ start: s, end: s + 64, task: "open_drawer", instruction: "open the drawer" })
  writer.finish()
  return dir
}

const dir = values.dir ?? (await synthetic())
const batchSize = Number(values.batch)
const limit = Number(values.batches)
console.log(`split ${values.dir ?? "(synthetic, 400 frames, 200x200 + 84x84 noise images)"}; W=8 N=10, batch ${batchSize}, uint8 images + random shift`)
console.log(`machine: ${os.cpus().length} cores ${os.arch()}, Node ${process.version}, load avg ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`)
for (const workers of values.workers!.split(",").map(Number)) {
  const loader = CalvinLoader.open({ dir, windowSize: 8, fwdPredNextN: 10, batchSize, workers, prefetch: Math.max(2, workers), augment: true, seed: 0 })
  const started = performance.now()
  let first = 0
  let n = 0
  let peakRss = 0
  for await (const _ of loader.epoch(0)) {
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
    if (n === 0) first = performance.now()
    if (++n >= limit) break
  }
  // Steady state: after the first batch (which includes worker start-up).
  const seconds = (performance.now() - first) / 1000
  const m = n - 1
  await loader.close()
  console.log(`workers ${workers}: first batch ${((first - started) / 1000).toFixed(2)} s, then ${m} batches in ${seconds.toFixed(2)} s = ${(m / seconds).toFixed(2)} batches/s, ${((m * batchSize) / seconds).toFixed(1)} windows/s (${((m * batchSize * 8) / seconds).toFixed(0)} input frames/s), peak rss ${(peakRss / 2 ** 20).toFixed(0)} MiB`)
}
if (values.dir === undefined) fs.rmSync(dir, { recursive: true, force: true })
