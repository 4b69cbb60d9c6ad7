import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { CalvinSplit, CalvinSplitWriter, frameFileName } from "../../src/data/CalvinDataset.ts"
import { ndarray } from "../../src/data/NdArray.ts"
import { objectScalar, parseNpy, parseNpz, writeNpy, writeNpz } from "../../src/data/Npy.ts"
import { PyTuple, unpickle } from "../../src/data/Pickle.ts"
import { TrainError } from "../../src/TrainError.ts"

const pythonWithNumpy = (() => {
  try {
    execFileSync("python3", ["-c", "import numpy"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()
if (!pythonWithNumpy) console.warn("[train] python3 with numpy not found: numpy interoperability tests are skipped")

const python = (script: string): string => execFileSync("python3", ["-c", script], { encoding: "utf8" })

const image = (h: number, w: number, seed: number) => ({
  data: Uint8Array.from({ length: h * w * 3 }, (_, i) => (i * 31 + seed * 7) % 256),
  height: h,
  width: w
})

const frameValues = (id: number) => ({
  actions: Array.from({ length: 7 }, (_, i) => id * 0.01 + i),
  rel_actions: Array.from({ length: 7 }, (_, i) => ((id + i) % 3) - 1),
  robot_obs: Array.from({ length: 15 }, (_, i) => Math.sin(id + i)),
  scene_obs: Array.from({ length: 24 }, (_, i) => Math.cos(id * i)),
  rgb_static: image(20, 20, id),
  rgb_gripper: image(8, 8, id + 1),
  depth_static: { data: Float32Array.from({ length: 400 }, (_, i) => i / 100 + id), height: 20, width: 20 }
})

describe("npy / npz / pickle", () => {
  it("round-trips every numeric dtype CALVIN uses", () => {
    const arrays = [
      ndarray(Float32Array.from([1.5, -2, 3e-8]), [3]),
      ndarray(Float64Array.from([Math.PI, -1, 0, 1e300]), [2, 2]),
      ndarray(Uint8Array.from([0, 128, 255]), [1, 3]),
      ndarray(BigInt64Array.from([0n, -5n, 2n ** 40n]), [3]),
      ndarray(Int32Array.from([7, -7]), [2])
    ]
    for (const a of arrays) {
      const back = parseNpy(writeNpy(a))
      expect(back.dtype).toBe(a.dtype)
      expect(back.shape).toEqual(a.shape)
      expect(Array.from(back.data as ArrayLike<unknown>)).toEqual(Array.from(a.data as ArrayLike<unknown>))
    }
  })

  it("round-trips a pickled dict with arrays, tuples and strings", () => {
    const value = { a: [1, 2.5, "x", null, true], t: new PyTuple(3, 4), emb: ndarray(Float32Array.from([1, 2]), [2, 1, 1]) }
    const back = parseNpy(writeNpy(objectScalar(value)))
    expect(back.dtype).toBe("|O")
    const dict = (back.data as Array<Record<string, unknown>>)[0]!
    expect(dict["a"]).toEqual([1, 2.5, "x", null, true])
    expect(dict["t"]).toEqual([3, 4])
    expect(Array.from((dict["emb"] as { data: Float32Array }).data)).toEqual([1, 2])
  })

  it("refuses pickles that name other Python globals instead of running them", () => {
    // protocol 2: GLOBAL os.system, then a call (REDUCE)
    const evil = new Uint8Array([0x80, 0x02, ...Buffer.from("cos\nsystem\n"), 0x58, 2, 0, 0, 0, ...Buffer.from("ls"), 0x85, 0x52, 0x2e])
    expect(() => unpickle(evil, "evil.pkl")).toThrowError(/os\.system/)
  })

  it("names the file in errors on corrupt and truncated data", () => {
    const good = writeNpy(ndarray(Float64Array.from([1, 2, 3, 4])))
    expect(() => parseNpy(good.subarray(0, good.length - 8), "x.npy")).toThrowError(/x\.npy: truncated data/)
    expect(() => parseNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), "y.npy")).toThrowError(/y\.npy: not a \.npy file/)
    expect(() => parseNpz(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]), "z.npz")).toThrowError(TrainError)
    const npz = writeNpz({ a: ndarray(Float64Array.from([1])) })
    expect(() => parseNpz(npz.subarray(0, npz.length - 30), "t.npz")).toThrowError(/t\.npz/)
  })
})

describe("CALVIN split layout", () => {
  let dir: string
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-calvin-"))
    const writer = new CalvinSplitWriter(dir)
    for (let id = 100; id <= 105; id++) await writer.writeFrame(id, frameValues(id))
    writer.endSegment()
    for (let id = 200; id <= 203; id++) await writer.writeFrame(id, frameValues(id))
    writer.endSegment()
    writer.annotate({ start: 100, end: 105, task: "open_drawer", instruction: "pull the drawer open" })
    writer.annotate({ start: 200, end: 203, task: "turn_on_led", instruction: "switch the led on" })
    writer.finish({ sceneInfo: { calvin_scene_D: [100, 203] } })
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it("reads back exactly what was written (write → read → identical arrays)", () => {
    const split = CalvinSplit.open(dir)
    expect(split.segments).toEqual([[100, 105], [200, 203]])
    expect(split.frameCount).toBe(10)
    expect(split.sceneInfo).toEqual({ calvin_scene_D: [100, 203] })
    expect(split.annotations).toEqual([
      { start: 100, end: 105, task: "open_drawer", instruction: "pull the drawer open" },
      { start: 200, end: 203, task: "turn_on_led", instruction: "switch the led on" }
    ])
    for (const frame of split.frames(100, 105)) {
      const expected = frameValues(frame.id)
      expect(Array.from(frame.actions!.data as Float64Array)).toEqual(expected.actions)
      expect(Array.from(frame.robot_obs!.data as Float64Array)).toEqual(expected.robot_obs)
      expect(frame.rgb_static!.shape).toEqual([20, 20, 3])
      expect(Array.from(frame.rgb_static!.data as Uint8Array)).toEqual(Array.from(expected.rgb_static.data))
      expect(Array.from(frame.depth_static!.data as Float32Array)).toEqual(Array.from(expected.depth_static.data))
    }
  })

  it("reads only the keys asked for", () => {
    const frame = CalvinSplit.open(dir).frame(201, ["rel_actions", "rgb_gripper"])
    expect(Object.keys(frame).sort()).toEqual(["id", "rel_actions", "rgb_gripper"])
    expect(() => CalvinSplit.open(dir).frame(201, ["rgb_tactile"])).toThrowError(/missing key\(s\) rgb_tactile/)
  })

  it("gives a clear error naming the file for a missing or truncated frame", () => {
    expect(() => CalvinSplit.open(dir).frame(999)).toThrowError(/episode_0000999\.npz: cannot read/)
    const file = path.join(dir, frameFileName(105))
    const copy = path.join(dir, "bad")
    fs.mkdirSync(copy, { recursive: true })
    for (const f of ["ep_start_end_ids.npy"]) fs.copyFileSync(path.join(dir, f), path.join(copy, f))
    const bytes = fs.readFileSync(file)
    fs.writeFileSync(path.join(copy, frameFileName(105)), bytes.subarray(0, bytes.length >> 1))
    expect(() => CalvinSplit.open(copy).frame(105)).toThrowError(/episode_0000105\.npz/)
  })

  it.skipIf(!pythonWithNumpy)("loads in numpy exactly as CALVIN's loaders do", () => {
    const out = python(`
import numpy as np, json, os
d = ${JSON.stringify(dir)}
ann = np.load(os.path.join(d, "lang_annotations/auto_lang_ann.npy"), allow_pickle=True).item()
ids = np.load(os.path.join(d, "ep_start_end_ids.npy"))
scene = np.load(os.path.join(d, "scene_info.npy"), allow_pickle=True).item()
f = np.load(os.path.join(d, "episode_0000102.npz"))
print(json.dumps({"ann": ann["language"]["ann"], "task": ann["language"]["task"], "indx": [list(map(int, p)) for p in ann["info"]["indx"]],
  "ids": ids.tolist(), "dtype": str(ids.dtype), "scene": {k: list(map(int, v)) for k, v in scene.items()},
  "actions": f["actions"].tolist(), "rgb": list(f["rgb_static"].shape), "rgb_sum": int(f["rgb_static"].astype(np.int64).sum())}))
`)
    const result = JSON.parse(out)
    expect(result.ann).toEqual(["pull the drawer open", "switch the led on"])
    expect(result.task).toEqual(["open_drawer", "turn_on_led"])
    expect(result.indx).toEqual([[100, 105], [200, 203]])
    expect(result.ids).toEqual([[100, 105], [200, 203]])
    expect(result.dtype).toBe("int64")
    expect(result.scene).toEqual({ calvin_scene_D: [100, 203] })
    expect(result.actions).toEqual(frameValues(102).actions)
    expect(result.rgb).toEqual([20, 20, 3])
    expect(result.rgb_sum).toBe(frameValues(102).rgb_static.data.reduce((a, b) => a + b, 0))
  })

  it.skipIf(!pythonWithNumpy)("reads a split written by numpy (CALVIN's own format)", () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-numpy-"))
    python(`
import numpy as np, os
d = ${JSON.stringify(d)}
os.makedirs(os.path.join(d, "lang_annotations"))
np.save(os.path.join(d, "ep_start_end_ids.npy"), np.array([[5, 7]]))
np.save(os.path.join(d, "scene_info.npy"), {"calvin_scene_A": [5, 7]})
np.save(os.path.join(d, "lang_annotations/auto_lang_ann.npy"), {"language": {"ann": ["lift it"], "task": ["lift_red_block_table"], "emb": np.zeros((1, 1, 384), np.float32)}, "info": {"indx": [(np.int64(5), np.int64(7))], "episodes": []}})
for i in range(5, 8):
    np.savez_compressed(os.path.join(d, "episode_%07d.npz" % i), actions=np.arange(7.0) + i, rel_actions=np.zeros(7), robot_obs=np.ones(15), scene_obs=np.zeros(24), rgb_static=np.full((200, 200, 3), i, np.uint8), depth_static=np.full((200, 200), 0.5, np.float32))
`)
    const split = CalvinSplit.open(d)
    expect(split.segments).toEqual([[5, 7]])
    expect(split.sceneInfo).toEqual({ calvin_scene_A: [5, 7] })
    expect(split.annotations).toEqual([{ start: 5, end: 7, task: "lift_red_block_table", instruction: "lift it" }])
    const frame = split.frame(6)
    expect(Array.from(frame.actions!.data as Float64Array)).toEqual([6, 7, 8, 9, 10, 11, 12])
    expect(frame.rgb_static!.shape).toEqual([200, 200, 3])
    expect(frame.rgb_static!.data[1234]).toBe(6)
    expect((frame.depth_static!.data as Float32Array)[7]).toBe(0.5)
    fs.rmSync(d, { recursive: true, force: true })
  })
})
