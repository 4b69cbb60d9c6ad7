import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { CalvinSplitWriter, frameFileName } from "../../src/data/CalvinDataset.ts"
import { CalvinLoader, type LoaderOptions } from "../../src/loader/CalvinLoader.ts"
import { TrainError } from "../../src/TrainError.ts"
import type { WindowBatch } from "../../src/windows/WindowBatch.ts"

const image = (size: number, id: number) => ({
  data: Uint8Array.from({ length: size * size * 3 }, (_, i) => (i * 7 + id * 13) % 256),
  height: size,
  width: size
})

let dir: string
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-loader-"))
  const writer = new CalvinSplitWriter(dir)
  // Two recordings: 0…39 and 100…139, four annotations of 12 frames.
  for (const base of [0, 100]) {
    for (let id = base; id < base + 40; id++) {
      await writer.writeFrame(id, {
        actions: new Array(7).fill(0),
        rel_actions: [Math.sin(id), Math.cos(id), 0.1, 0, 0, 0, id % 5 === 0 ? -1 : 1],
        robot_obs: Array.from({ length: 15 }, (_, i) => id + i),
        scene_obs: new Array(24).fill(0),
        rgb_static: image(16, id),
        rgb_gripper: image(8, id)
      })
    }
    writer.endSegment()
    writer.annotate({ start: base + 2, end: base + 13, task: "open_drawer", instruction: `open ${base}` })
    writer.annotate({ start: base + 20, end: base + 31, task: "close_drawer", instruction: `close ${base}` })
  }
  writer.finish()
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const base = (): LoaderOptions => ({ dir, windowSize: 3, fwdPredNextN: 2, batchSize: 4, seed: 7, augment: true })

const collect = async (loader: CalvinLoader, epoch: number): Promise<Array<WindowBatch>> => {
  const out: Array<WindowBatch> = []
  for await (const batch of loader.epoch(epoch)) out.push(batch)
  return out
}

const comparable = (b: WindowBatch) => ({
  items: Array.from(b.items),
  actions: Array.from(b.actions.data),
  chunkMask: Array.from(b.chunkMask.data),
  rgbStatic: Buffer.from(b.rgbStatic!.data.buffer).toString("base64"),
  rgbGripper: Buffer.from(b.rgbGripper!.data.buffer).toString("base64"),
  instructions: b.instructions
})

describe("CalvinLoader", () => {
  it("visits every window item exactly once per epoch in a seeded order that changes per epoch", async () => {
    const loader = CalvinLoader.open({ ...base(), dropLast: false, augment: false })
    // 4 annotations × (12 − 3) windows = 36 items → 9 batches of 4.
    expect(loader.index.size).toBe(36)
    expect(loader.batchesPerEpoch).toBe(9)
    const epoch0 = (await collect(loader, 0)).flatMap((b) => Array.from(b.items))
    const epoch1 = (await collect(loader, 1)).flatMap((b) => Array.from(b.items))
    expect([...epoch0].sort((a, b) => a - b)).toEqual(Array.from({ length: 36 }, (_, i) => i))
    expect(epoch1).not.toEqual(epoch0)
    expect(CalvinLoader.open({ ...base(), dropLast: false }).order(0)).toEqual(loader.order(0))
    expect(Array.from(CalvinLoader.open({ ...base(), seed: 8 }).order(0))).not.toEqual(Array.from(loader.order(0)))
    await loader.close()
  })

  it("drops the remainder batch by default", () => {
    expect(CalvinLoader.open({ ...base(), batchSize: 5 }).batchesPerEpoch).toBe(7)
    expect(CalvinLoader.open({ ...base(), batchSize: 5, dropLast: false }).batchesPerEpoch).toBe(8)
  })

  it("gives identical batches for the same seed with 0 or 2 worker threads (augmentation on)", async () => {
    const inline = CalvinLoader.open(base())
    const threaded = CalvinLoader.open({ ...base(), workers: 2, prefetch: 3 })
    try {
      const a = (await collect(inline, 3)).map(comparable)
      const b = (await collect(threaded, 3)).map(comparable)
      expect(a.length).toBe(9)
      expect(b).toEqual(a)
      const other = (await collect(CalvinLoader.open({ ...base(), seed: 8 }), 3)).map(comparable)
      expect(other).not.toEqual(a)
    } finally {
      await threaded.close()
    }
    const batch = (await collect(inline, 0))[0]!
    expect(batch.rgbStatic!.shape).toEqual([4, 3, 16, 16, 3])
    expect(batch.actions.shape).toEqual([4, 3, 2, 7])
  })

  it("keeps at most `prefetch` batches in flight", async () => {
    const loader = CalvinLoader.open({ ...base(), prefetch: 2 })
    let inFlight = 0
    let peak = 0
    const load = loader.load.bind(loader)
    loader.load = (plan) => {
      inFlight++
      peak = Math.max(peak, inFlight)
      return load(plan).finally(() => inFlight--)
    }
    for await (const _ of loader.epoch(0)) {
      await new Promise((r) => setTimeout(r, 5)) // a slow trainer step
    }
    expect(peak).toBeLessThanOrEqual(2)
    expect(peak).toBeGreaterThanOrEqual(1)
  })

  it("reports a missing frame as a TrainError, from the calling thread and from a worker", async () => {
    const broken = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-loader-broken-"))
    try {
      for (const f of fs.readdirSync(dir, { recursive: true }) as Array<string>) {
        const from = path.join(dir, f)
        if (fs.statSync(from).isFile()) {
          fs.mkdirSync(path.dirname(path.join(broken, f)), { recursive: true })
          fs.copyFileSync(from, path.join(broken, f))
        }
      }
      for (let id = 2; id < 14; id++) fs.rmSync(path.join(broken, frameFileName(id)))
      for (const workers of [0, 1]) {
        const loader = CalvinLoader.open({ ...base(), dir: broken, workers, shuffle: false })
        try {
          await expect(collect(loader, 0)).rejects.toSatisfy((e: unknown) => e instanceof TrainError && e.reason === "MissingFile")
        } finally {
          await loader.close()
        }
      }
    } finally {
      fs.rmSync(broken, { recursive: true, force: true })
    }
  })

  it("rejects bad options and works as a scoped Effect resource", async () => {
    expect(() => CalvinLoader.open({ ...base(), batchSize: 0 })).toThrow(TrainError)
    const size = await Effect.runPromise(Effect.scoped(Effect.map(CalvinLoader.make({ ...base(), workers: 1 }), (l) => l.index.size)))
    expect(size).toBe(36)
  })

  it("a plain script using worker threads runs to completion (busy workers keep the process alive, idle ones do not)", () => {
    const script = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "..", "src", "loader", "CalvinLoader.ts")
    const code = `import { CalvinLoader } from ${JSON.stringify(script)}
const loader = CalvinLoader.open({ dir: ${JSON.stringify(dir)}, windowSize: 3, fwdPredNextN: 2, batchSize: 4, workers: 1 })
let n = 0
for await (const _ of loader.epoch(0)) n++
console.log("batches", n)`
    const file = path.join(dir, "script.tmp.mts")
    fs.writeFileSync(file, code)
    try {
      const output = execFileSync(process.execPath, ["--import", "tsx", file], { encoding: "utf8", timeout: 60_000 })
      expect(output.trim()).toBe("batches 9")
    } finally {
      fs.rmSync(file)
    }
  })
})
