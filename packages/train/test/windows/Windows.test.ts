import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { ActionMath } from "@robovla/sdk"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { CalvinSplit, CalvinSplitWriter } from "../../src/data/CalvinDataset.ts"
import { TrainError } from "../../src/TrainError.ts"
import { drawShift, shiftHwcInto } from "../../src/windows/Augment.ts"
import { deriveSeed, permutation, Rng } from "../../src/windows/Random.ts"
import { buildBatch } from "../../src/windows/WindowBatch.ts"
import { WindowIndex } from "../../src/windows/WindowIndex.ts"

const repoRoot = path.resolve(import.meta.dirname, "../../../..")
const goldenFile = path.resolve(repoRoot, "../shared/conformance/robovlms-golden.json")
const haveGolden = fs.existsSync(goldenFile)
if (!haveGolden) console.warn(`[train] ${goldenFile} not found: golden window cases are skipped`)

interface GoldenWindows {
  traj_len: number
  window_size: number
  fwd_pred_next_n: number
  window_sample: "sliding" | "range"
  left_pad: boolean
  indices: Array<Array<number>>
  mask: Array<Array<number>>
}

describe.skipIf(!haveGolden)("windowing matches the RoboVLMs golden chunked_episode_windows cases", () => {
  const cases: Array<GoldenWindows> = haveGolden ? JSON.parse(fs.readFileSync(goldenFile, "utf8")).cases.chunked_episode_windows : []
  it.each(cases.map((c, i) => [i, c] as const))("case %i", (_, c) => {
    // Drive the case through a split-level index: one annotated segment at a non-zero base id.
    const base = 1000
    const index = new WindowIndex([{ start: base, end: base + c.traj_len - 1, task: "open_drawer", instruction: "open it" }], {
      windowSize: c.window_size,
      fwdPredNextN: c.fwd_pred_next_n,
      sampling: "chunked",
      windowSample: c.window_sample,
      leftPad: c.left_pad
    })
    expect(index.size).toBe(c.indices.length)
    for (let i = 0; i < index.size; i++) {
      const item = index.item(i)
      expect(item.frames.map((f) => f - base)).toEqual(c.indices[i])
      expect(item.mask).toEqual(c.mask[i])
    }
  })
})

// A tiny hand-written split: frames 0…19 in one recording, one 10-frame annotation [3, 12], a second [14, 19].
const valueOfFrame = (id: number) => ({
  rel_actions: [id / 20, -id / 20, 0.9, -0.9, 0.3, 0, id < 8 ? 1 : -1],
  actions: [id, 0, 0, 0, 0, 0, id < 8 ? 1 : -1],
  robot_obs: Array.from({ length: 15 }, (_, i) => id * 100 + i),
  scene_obs: new Array(24).fill(0)
})
const gradient = (size: number, id: number) => ({
  data: Uint8Array.from({ length: size * size * 3 }, (_, i) => {
    const p = Math.floor(i / 3)
    return (Math.floor(p / size) * 16 + (p % size) + id) % 256
  }),
  height: size,
  width: size
})

let dir: string
let split: CalvinSplit
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-windows-"))
  const writer = new CalvinSplitWriter(dir)
  for (let id = 0; id < 20; id++) await writer.writeFrame(id, { ...valueOfFrame(id), rgb_static: gradient(12, id), rgb_gripper: gradient(6, id) })
  writer.endSegment()
  writer.annotate({ start: 3, end: 12, task: "open_drawer", instruction: "pull the drawer open" })
  writer.annotate({ start: 14, end: 19, task: "turn_on_led", instruction: "light the led" })
  writer.finish()
  split = CalvinSplit.open(dir)
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe("segment windows (DiskCalvinDataset)", () => {
  const W = 3
  const N = 4
  it("enumerates starts s = start … end − W in every annotation", () => {
    const index = new WindowIndex(split.annotations, { windowSize: W, fwdPredNextN: N })
    // [3, 12]: s = 3…9 (7 items); [14, 19]: s = 14…16 (3 items).
    expect(index.size).toBe(10)
    expect(Array.from({ length: 10 }, (_, i) => index.item(i).frames[0])).toEqual([3, 4, 5, 6, 7, 8, 9, 14, 15, 16])
    expect(index.item(7).task).toBe("turn_on_led")
    expect(index.item(7).instruction).toBe("light the led")
  })

  it("pads on the right with the end frame and never supervises frames at or past the end", () => {
    const index = new WindowIndex(split.annotations, { windowSize: W, fwdPredNextN: N })
    expect(index.item(0)).toMatchObject({ frames: [3, 4, 5, 6, 7, 8, 9], mask: [1, 1, 1, 1, 1, 1, 1] })
    // s = 6: r = min(0, 12 − 6 − 4 − 3) = −1.
    expect(index.item(3)).toMatchObject({ frames: [6, 7, 8, 9, 10, 11, 12], mask: [1, 1, 1, 1, 1, 1, 0] })
    // s = 9: r = −4: the last four become frame 12 and are masked.
    expect(index.item(6)).toMatchObject({ frames: [9, 10, 11, 12, 12, 12, 12], mask: [1, 1, 1, 0, 0, 0, 0] })
  })

  it("rejects bad options and out-of-range items with TrainError", () => {
    expect(() => new WindowIndex(split.annotations, { windowSize: 0, fwdPredNextN: 1 })).toThrow(TrainError)
    const index = new WindowIndex(split.annotations, { windowSize: W, fwdPredNextN: N })
    expect(() => index.item(10)).toThrow(TrainError)
  })

  it("builds (B, W, N, 7) normalised action chunks, (B, W, N) masks and 0/1 gripper labels", () => {
    const index = new WindowIndex(split.annotations, { windowSize: W, fwdPredNextN: N })
    const batch = buildBatch(split, index, [6, 0], { images: "none" })
    expect(batch.actions.shape).toEqual([2, W, N, 7])
    expect(batch.chunkMask.shape).toEqual([2, W, N])
    expect(batch.frameMask.data).toEqual(Float32Array.from([1, 1, 1, 1, 1, 1]))
    expect(batch.rgbStatic).toBeUndefined()
    const item = index.item(6)
    for (let t = 0; t < W; t++) {
      for (let k = 0; k < N; k++) {
        const frame = item.frames[t + k]!
        const expected = ActionMath.normalizeAction(valueOfFrame(frame).rel_actions)
        const at = (t * N + k) * 7
        for (let d = 0; d < 6; d++) expect(batch.actions.data[at + d]).toBeCloseTo(expected[d]!, 6)
        expect(batch.actions.data[at + 6]).toBe(frame < 8 ? 1 : 0)
        expect(batch.gripperLabels.data[t * N + k]).toBe(frame < 8 ? 1 : 0)
        expect(batch.chunkMask.data[t * N + k]).toBe(item.mask[t + k])
      }
    }
    // ±0.65 clipping: 0.9 → 1, −0.9 → −1.
    expect(batch.actions.data[2]).toBeCloseTo(1, 6)
    expect(batch.actions.data[3]).toBeCloseTo(-1, 6)
    expect(Array.from(batch.robotObs.data.subarray(0, 2))).toEqual([900, 901])
    expect(batch.instructions).toEqual(["pull the drawer open", "pull the drawer open"])
  })

  it("keeps raw actions with normalize: false and reads absolute actions on request", () => {
    const index = new WindowIndex(split.annotations, { windowSize: W, fwdPredNextN: N })
    const batch = buildBatch(split, index, [0], { images: "none", normalize: false, actionKey: "actions" })
    expect(batch.actions.data[0]).toBe(3)
  })

  it("returns the W input frames' images as uint8 (B, W, H, W, 3) and as preprocessed floats", () => {
    const index = new WindowIndex(split.annotations, { windowSize: W, fwdPredNextN: N })
    const batch = buildBatch(split, index, [1])
    expect(batch.rgbStatic!.shape).toEqual([1, W, 12, 12, 3])
    expect(batch.rgbGripper!.shape).toEqual([1, W, 6, 6, 3])
    expect(Array.from(batch.rgbStatic!.data.subarray(0, 12 * 12 * 3))).toEqual(Array.from(gradient(12, 4).data))
    const pre = buildBatch(split, index, [1], { images: { preprocessing: { size: 8, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], resample: "bilinear" } }, cameras: ["static"] })
    expect(pre.rgbStatic!.shape).toEqual([1, W, 3, 8, 8])
    expect(pre.rgbGripper).toBeUndefined()
    expect(pre.rgbStatic!.data).toBeInstanceOf(Float32Array)
  })

  it("random shift: each frame is its image shifted by an offset in {1…2p} − p with edge replication, seeded", () => {
    const index = new WindowIndex(split.annotations, { windowSize: W, fwdPredNextN: N })
    const augment = { staticPad: 3, gripperPad: 2 }
    const a = buildBatch(split, index, [2, 5], { augment }, [11, 12])
    const again = buildBatch(split, index, [2, 5], { augment }, [11, 12])
    const other = buildBatch(split, index, [2, 5], { augment }, [99, 98])
    expect(a.rgbStatic!.data).toEqual(again.rgbStatic!.data)
    expect(a.rgbStatic!.data).not.toEqual(other.rgbStatic!.data)
    const size = 12
    const per = size * size * 3
    const shifts = new Set<string>()
    for (let b = 0; b < 2; b++) {
      for (let t = 0; t < W; t++) {
        const id = index.item([2, 5][b]!).frames[t]!
        const src = gradient(size, id).data
        const got = a.rgbStatic!.data.subarray((b * W + t) * per, (b * W + t + 1) * per)
        let match: string | undefined
        for (let sy = 1; sy <= 6 && match === undefined; sy++) {
          for (let sx = 1; sx <= 6 && match === undefined; sx++) {
            const out = new Uint8Array(per)
            shiftHwcInto(src, size, size, 3, 3, { sx, sy }, out, 0)
            if (out.every((v, i) => v === got[i])) match = `${sx},${sy}`
          }
        }
        expect(match).toBeDefined()
        shifts.add(match!)
      }
    }
    expect(shifts.size).toBeGreaterThan(1)
  })
})

describe("augmentation and randomness primitives", () => {
  it("shiftHwcInto replicates the edge", () => {
    // 1×4 single-channel row [10, 20, 30, 40], pad 2, sx = 4 → shift right by +2 in source index.
    const out = new Uint8Array(4)
    shiftHwcInto([10, 20, 30, 40], 1, 4, 1, 2, { sx: 4, sy: 2 }, out, 0)
    expect(Array.from(out)).toEqual([30, 40, 40, 40])
    shiftHwcInto([10, 20, 30, 40], 1, 4, 1, 2, { sx: 1, sy: 2 }, out, 0)
    expect(Array.from(out)).toEqual([10, 10, 20, 30])
  })

  it("drawShift stays in {1…2p}", () => {
    const rng = new Rng(5)
    for (let i = 0; i < 500; i++) {
      const { sx, sy } = drawShift(rng, 4)
      expect(sx >= 1 && sx <= 8 && sy >= 1 && sy <= 8).toBe(true)
    }
    expect(drawShift(rng, 0)).toEqual({ sx: 0, sy: 0 })
  })

  it("permutation is a seeded permutation", () => {
    const p = permutation(100, deriveSeed(1, 2))
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(permutation(100, deriveSeed(1, 2))).toEqual(p)
    expect(permutation(100, deriveSeed(1, 3))).not.toEqual(p)
  })
})

describe("whole-subtask segments (collector spans of any length)", () => {
  // Adjacent subtask spans as `robovla collect` writes them: each begins where the previous one succeeded.
  const lengths = [5, 12, 65, 143, 361]
  const W = 8
  const N = 10
  let longDir: string
  let longSplit: CalvinSplit
  beforeAll(async () => {
    longDir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-windows-long-"))
    const writer = new CalvinSplitWriter(longDir)
    let start = 100
    const total = lengths.reduce((n, l) => n + l - 1, 1)
    for (let id = 100; id < 100 + total; id++) await writer.writeFrame(id, valueOfFrame(id % 20))
    writer.endSegment()
    lengths.forEach((length, k) => {
      writer.annotate({ start, end: start + length - 1, task: `task_${k}`, instruction: `do ${k}` })
      start += length - 1
    })
    writer.finish()
    longSplit = CalvinSplit.open(longDir)
  })
  afterAll(() => fs.rmSync(longDir, { recursive: true, force: true }))

  it("every start from the subtask's first frame to end − W is an item; frames stay inside the span; the end is never supervised", () => {
    const index = new WindowIndex(longSplit.annotations, { windowSize: W, fwdPredNextN: N })
    // A span of L frames gives max(0, L − W) items: the 5-frame one none, the 361-frame one 353.
    expect(index.size).toBe(lengths.reduce((n, l) => n + Math.max(0, l - W), 0))
    const starts = new Map<number, Array<number>>()
    for (let i = 0; i < index.size; i++) {
      const item = index.item(i)
      const a = longSplit.annotations[item.annotation]!
      expect(item.frames.length).toBe(W + N)
      for (let j = 0; j < W + N; j++) {
        expect(item.frames[j]).toBeGreaterThanOrEqual(a.start)
        expect(item.frames[j]).toBeLessThanOrEqual(a.end)
        expect(item.mask[j]).toBe(item.frames[0]! + j < a.end ? 1 : 0)
      }
      starts.set(item.annotation, [...(starts.get(item.annotation) ?? []), item.frames[0]!])
    }
    for (const [k, s] of starts) {
      const a = longSplit.annotations[k]!
      expect(s).toEqual(Array.from({ length: a.end - a.start + 1 - W }, (_, i) => a.start + i))
    }
  })

  it("batches windows from the approach and the end of a 361-frame span", () => {
    const index = new WindowIndex(longSplit.annotations, { windowSize: W, fwdPredNextN: N })
    const last = index.size - 1
    const first = last - (361 - W) + 1
    expect(index.item(first).frames[0]).toBe(longSplit.annotations[4]!.start)
    const batch = buildBatch(longSplit, index, [first, last], { images: "none" })
    expect(batch.actions.shape).toEqual([2, W, N, 7])
    expect(batch.instructions).toEqual(["do 4", "do 4"])
    // The first window is fully supervised; the last one only up to the span's end.
    expect(Array.from(batch.chunkMask.data.slice(0, W * N)).every((m) => m === 1)).toBe(true)
    expect(Array.from(batch.frameMask.data)).toEqual(new Array(2 * W).fill(1))
  })
})
