import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { ActionMath } from "@robovla/sdk"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { collect, type CollectOptions, type CollectProgress, type CollectSummary } from "../../src/collect/Collector.ts"
import type { EpisodeRecord } from "../../src/collect/Episode.ts"
import { DartNoise } from "../../src/collect/Noise.ts"
import { checkTask, instructionFor, makeExpert, NEUTRAL_ROBOT_OBS, PlayTable, sceneObsForState, type TaskName } from "../../src/collect/SimApi.ts"
import { planEpisode, planSplit, randomTaskSequence } from "../../src/collect/TaskPlan.ts"
import { CalvinSplit, frameFileName } from "../../src/data/CalvinDataset.ts"
import { TrainError } from "../../src/TrainError.ts"
import { Rng } from "../../src/windows/Random.ts"
import { applicableTasks, categoryOf, INITIAL_STATES, TASK_NAMES } from "../../src/collect/SimApi.ts"

// Tasks whose experts are short and whose predicates depend on doors and lights only, so a replay from the
// recorded scene_obs reproduces them exactly.
const TASKS: ReadonlyArray<TaskName> = ["open_drawer", "close_drawer", "turn_on_led", "turn_off_led", "move_slider_left", "move_slider_right"]

let out: string
let first: CollectSummary
const progress: Array<CollectProgress> = []
const options = (): CollectOptions => ({
  out,
  scenes: ["A"],
  episodes: 2,
  tasksPerEpisode: 2,
  tasks: TASKS,
  workers: 1,
  seed: 3,
  cameras: true,
  onProgress: (p) => progress.push(p)
})

beforeAll(async () => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-collect-"))
  first = await collect(options())
})
afterAll(() => fs.rmSync(out, { recursive: true, force: true }))

describe("task plans", () => {
  it("draws valid sequences, one task per category, deterministic per (seed, split, episode)", () => {
    for (let i = 0; i < 50; i++) {
      const state = INITIAL_STATES[i]!
      const tasks = randomTaskSequence(state, 5, new Rng(i))
      expect(new Set(tasks.map(categoryOf)).size).toBe(tasks.length)
      expect(applicableTasks(state)).toContain(tasks[0])
    }
    const a = planEpisode("training", 4, "B", 0, { seed: 1, tasksPerEpisode: 5, maxStepsPerTask: 360, cameras: false, depth: false })
    const b = planEpisode("training", 4, "B", 0, { seed: 1, tasksPerEpisode: 5, maxStepsPerTask: 360, cameras: false, depth: false })
    expect(b).toEqual(a)
    expect(a.attempts[0]!.tasks.length).toBeGreaterThan(0)
  })

  it("balancing: each attempt's sequence ends at the target; planSplit targets the least planned task", () => {
    for (const episode of [0, 22, 25, 29, 33]) {
      const plan = planEpisode("training", episode, "A", 0, { seed: 1, tasksPerEpisode: 5, maxStepsPerTask: 360, cameras: false, depth: false, balance: true, attempts: 3 })
      expect(plan.target).toBe(TASK_NAMES[episode])
      expect(plan.attempts.length).toBe(3)
      for (const attempt of plan.attempts) {
        expect(attempt.tasks.at(-1)).toBe(plan.target)
        expect(new Set(attempt.tasks.map(categoryOf)).size).toBe(attempt.tasks.length)
      }
    }
    const plans = planSplit("training", 102, ["A", "B", "C"], 0, { seed: 0, tasksPerEpisode: 5, maxStepsPerTask: 360, cameras: false, depth: false, balance: true })
    expect(plans.map((p) => p.scene).join("")).toBe("A".repeat(34) + "B".repeat(34) + "C".repeat(34))
    expect(plans[1]!.firstFrameId).toBe(plans[0]!.frameBudget)
    const counts = new Map<string, number>()
    for (const p of plans) for (const t of p.attempts[0]!.tasks) counts.set(t, (counts.get(t) ?? 0) + 1)
    // Every task is planned, and the rarest is within one play of the balanced share of the targets alone.
    expect(counts.size).toBe(34)
    expect(Math.min(...counts.values())).toBeGreaterThanOrEqual(Math.floor(102 / 34))
  })
})

describe("robovla collect (2 episodes × 2 tasks, cameras, 1 worker)", () => {
  it("writes a CALVIN split with frames, segments, annotations, scene_info and statistics", () => {
    const split = CalvinSplit.open(path.join(out, "training"))
    expect(split.segments.length).toBe(2)
    expect(first.splits.training!.episodes).toBe(2)
    expect(first.splits.training!.frames).toBe(split.frameCount)
    expect(split.annotations.length).toBeGreaterThanOrEqual(2)
    expect(first.splits.training!.annotations).toBe(split.annotations.length)
    expect(split.sceneInfo["calvin_scene_A"]).toEqual([split.segments[0]![0], split.segments[1]![1]])
    for (const file of ["statistics.yaml", "statistics.json"]) expect(fs.existsSync(path.join(out, "training", file))).toBe(true)
    const stats = JSON.parse(fs.readFileSync(path.join(out, "training", "statistics.json"), "utf8"))
    expect(stats.frames).toBe(split.frameCount)
    expect(fs.existsSync(path.join(out, "validation"))).toBe(false)
    for (const [start, end] of split.segments) {
      for (let id = start; id <= end; id++) expect(fs.existsSync(path.join(out, "training", frameFileName(id)))).toBe(true)
    }
    const frame = split.frame(split.segments[0]![0])
    expect(frame.rgb_static!.shape).toEqual([200, 200, 3])
    expect(frame.rgb_gripper!.shape).toEqual([84, 84, 3])
    expect(frame.robot_obs!.shape).toEqual([15])
    expect(frame.scene_obs!.shape).toEqual([24])
    expect([progress.at(-1)?.episodesDone, progress.at(-1)?.episodesTotal]).toEqual([2, 2])
    for (const name of fs.readdirSync(path.join(out, "training", ".collect"))) {
      const record: EpisodeRecord = JSON.parse(fs.readFileSync(path.join(out, "training", ".collect", name), "utf8"))
      expect(record.diverged).toBeUndefined()
    }
  })

  it("stores actions = next frame's TCP pose + gripper and rel_actions = toRelativeAction(actions, robot_obs)", () => {
    const split = CalvinSplit.open(path.join(out, "training"))
    const [start, end] = split.segments[0]!
    const frames = [...split.frames(start, end, ["actions", "rel_actions", "robot_obs"])]
    for (let t = 0; t < frames.length; t++) {
      const actions = Array.from(frames[t]!.actions!.data as Float64Array)
      const expected = ActionMath.toRelativeAction(actions, frames[t]!.robot_obs!.data as Float64Array)
      expect(Array.from(frames[t]!.rel_actions!.data as Float64Array)).toEqual(expected)
      expect(Math.abs(actions[6]!)).toBe(1)
      if (t + 1 < frames.length) {
        const next = frames[t + 1]!.robot_obs!.data as Float64Array
        for (let d = 0; d < 6; d++) expect(actions[d]).toBeCloseTo(next[d]!, 12)
      }
    }
  })

  it("annotates each success with a training paraphrase; the predicate first holds at the window's end frame (replayed)", async () => {
    const split = CalvinSplit.open(path.join(out, "training"))
    const table = await PlayTable.load("A")
    try {
      const infoAt = (id: number) => {
        const f = split.frame(id, ["robot_obs", "scene_obs"])
        table.reset({ robotObs: f.robot_obs!.data as Float64Array, sceneObs: f.scene_obs!.data as Float64Array })
        return table.info()
      }
      for (const a of split.annotations) {
        const task = a.task as TaskName
        expect(TASKS).toContain(task)
        expect(a.instruction).not.toBe(instructionFor(task, "eval"))
        expect(split.segments.some(([s, e]) => a.start >= s && a.end <= e)).toBe(true)
        const start = infoAt(a.start)
        expect(checkTask(task, start, infoAt(a.end))).toBe(true)
        expect(checkTask(task, start, infoAt(a.end - 1))).toBe(false)
      }
    } finally {
      table.dispose()
    }
  })

  it("annotates each subtask from its first frame: a segment's windows tile it from its start", () => {
    const split = CalvinSplit.open(path.join(out, "training"))
    for (const [s, e] of split.segments) {
      const inside = split.annotations.filter((a) => a.start >= s && a.end <= e).sort((a, b) => a.start - b.start)
      expect(inside.length).toBeGreaterThan(0)
      expect(inside[0]!.start).toBe(s)
      // The next subtask begins at the frame where the previous one succeeded; the last success ends the recording.
      for (let k = 1; k < inside.length; k++) expect(inside[k]!.start).toBe(inside[k - 1]!.end)
      expect(inside.at(-1)!.end).toBe(e)
    }
  })

  it("never touches a folder with frames that it did not create", async () => {
    const foreign = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-collect-foreign-"))
    try {
      fs.mkdirSync(path.join(foreign, "training"))
      fs.writeFileSync(path.join(foreign, "training", frameFileName(0)), "not ours")
      await expect(collect({ ...options(), out: foreign, resume: true })).rejects.toSatisfy((e: unknown) => e instanceof TrainError && e.reason === "InvalidInput")
      expect(fs.readFileSync(path.join(foreign, "training", frameFileName(0)), "utf8")).toBe("not ours")
    } finally {
      fs.rmSync(foreign, { recursive: true, force: true })
    }
  })

  it("refuses to overwrite without --resume, and refuses a resume with other options", async () => {
    await expect(collect(options())).rejects.toSatisfy((e: unknown) => e instanceof TrainError && e.reason === "InvalidInput")
    await expect(collect({ ...options(), resume: true, seed: 4 })).rejects.toSatisfy((e: unknown) => e instanceof TrainError && /different options/.test(e.message))
  })

  it("resume re-creates only the episode whose record is missing and cleans its partial files", async () => {
    const dir = path.join(out, "training")
    const records = fs.readdirSync(path.join(dir, ".collect")).filter((f) => f.endsWith(".json")).sort()
    expect(records.length).toBe(2)
    const last: EpisodeRecord = JSON.parse(fs.readFileSync(path.join(dir, ".collect", records[1]!), "utf8"))
    const kept: EpisodeRecord = JSON.parse(fs.readFileSync(path.join(dir, ".collect", records[0]!), "utf8"))
    // Simulate a run killed inside the last episode: no record, some of its frames gone, a half-written file left.
    fs.rmSync(path.join(dir, ".collect", records[1]!))
    const [ls, le] = last.segment!
    for (let id = ls + 5; id <= le; id++) fs.rmSync(path.join(dir, frameFileName(id)))
    fs.writeFileSync(path.join(dir, `${frameFileName(ls + 5)}.tmp`), "partial")
    const stray = path.join(dir, frameFileName(le + 1)) // a frame past the old end, as a longer killed run could leave
    fs.copyFileSync(path.join(dir, frameFileName(ls)), stray)
    const keptTimes = Array.from({ length: kept.segment![1] - kept.segment![0] + 1 }, (_, i) => fs.statSync(path.join(dir, frameFileName(kept.segment![0] + i))).mtimeMs)

    const again = await collect({ ...options(), resume: true })
    expect(again.episodesRun).toBe(1)
    const redone: EpisodeRecord = JSON.parse(fs.readFileSync(path.join(dir, ".collect", records[1]!), "utf8"))
    expect(redone.segment).toEqual(last.segment)
    expect(redone.annotations).toEqual(last.annotations)
    expect(again.splits.training).toEqual(first.splits.training)
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([])
    expect(fs.existsSync(stray)).toBe(false)
    const keptAfter = keptTimes.map((_, i) => fs.statSync(path.join(dir, frameFileName(kept.segment![0] + i))).mtimeMs)
    expect(keptAfter).toEqual(keptTimes)
    expect(CalvinSplit.open(dir).annotations.length).toBe(first.splits.training!.annotations)
  })

  it("an aborted run writes the indexes of the finished episodes and drops the rest", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-collect-abort-"))
    try {
      const controller = new AbortController()
      const summary = await collect({
        out: dir,
        scenes: ["A", "B"],
        episodes: 4,
        tasksPerEpisode: 1,
        tasks: TASKS,
        cameras: false,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.episodesDone >= 2) controller.abort()
        }
      })
      expect(summary.interrupted).toBe(true)
      const split = CalvinSplit.open(path.join(dir, "training"))
      expect(summary.splits.training!.episodes).toBe(2)
      // Scenes are interleaved: the first two episodes run are one of A and one of B.
      expect(Object.keys(split.sceneInfo).sort()).toEqual(["calvin_scene_A", "calvin_scene_B"])
      expect(split.frameCount).toBe(summary.splits.training!.frames)
      const files = fs.readdirSync(path.join(dir, "training")).filter((f) => f.endsWith(".npz"))
      expect(files.length).toBe(split.frameCount)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("2 worker threads record the same episodes; aborting them drops their in-flight episodes and frames", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-collect-threads-"))
    try {
      const threaded = await collect({ ...options(), out: dir, workers: 2, onProgress: () => undefined })
      expect(threaded.splits.training).toEqual(first.splits.training)
      const recordsOf = (root: string) =>
        fs.readdirSync(path.join(root, "training", ".collect")).sort().map((f) => {
          const { wallMs: _timing, ...record } = JSON.parse(fs.readFileSync(path.join(root, "training", ".collect", f), "utf8")) as EpisodeRecord & { wallMs: number }
          return record
        })
      expect(recordsOf(dir)).toEqual(recordsOf(out))

      const aborted = path.join(dir, "aborted")
      const controller = new AbortController()
      const summary = await collect({
        out: aborted,
        scenes: ["A", "B"],
        episodes: 6,
        tasksPerEpisode: 1,
        tasks: TASKS,
        cameras: false,
        workers: 2,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.episodesDone >= 1) controller.abort()
        }
      })
      expect(summary.interrupted).toBe(true)
      const split = CalvinSplit.open(path.join(aborted, "training"))
      expect(summary.splits.training!.episodes).toBeLessThan(6)
      expect(fs.readdirSync(path.join(aborted, "training")).filter((f) => f.endsWith(".npz")).length).toBe(split.frameCount)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe("robovla collect --noise (DART)", () => {
  const NOISE = 0.3
  const noisyOptions = (dir: string, noise: number): CollectOptions => ({
    out: dir,
    scenes: ["A"],
    episodes: 1,
    tasksPerEpisode: 2,
    tasks: TASKS,
    seed: 3,
    cameras: false,
    noise
  })
  const vectors = (split: CalvinSplit, key: "robot_obs" | "scene_obs" | "actions" | "rel_actions") => {
    const [start, end] = split.segments[0]!
    return [...split.frames(start, end, [key])].map((f) => Array.from(f[key]!.data as Float64Array))
  }
  let noisyDir: string
  let cleanDir: string
  beforeAll(async () => {
    noisyDir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-collect-noise-"))
    cleanDir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-collect-clean-"))
    await collect(noisyOptions(noisyDir, NOISE))
    await collect(noisyOptions(cleanDir, 0))
  })
  afterAll(() => {
    fs.rmSync(noisyDir, { recursive: true, force: true })
    fs.rmSync(cleanDir, { recursive: true, force: true })
  })

  it("labels every frame with the expert's clean action at the visited state (replayed), while the executed actions differ", async () => {
    const split = CalvinSplit.open(path.join(noisyDir, "training"))
    const record: EpisodeRecord = JSON.parse(fs.readFileSync(path.join(noisyDir, "training", ".collect", "episode_0000000.json"), "utf8"))
    const plan = planEpisode("training", 0, "A", 0, { seed: 3, tasksPerEpisode: 2, maxStepsPerTask: 360, taskPool: TASKS, cameras: false, depth: false, noise: NOISE })
    const attempt = plan.attempts[record.attempt]!
    const robotObs = vectors(split, "robot_obs")
    const sceneObs = vectors(split, "scene_obs")
    const actions = vectors(split, "actions")
    const relActions = vectors(split, "rel_actions")
    const [first] = split.segments[0]!
    const table = await PlayTable.load("A")
    try {
      // Replay independently: the same reset and the same seeded noise, the expert acting on what the table shows.
      table.reset({ robotObs: NEUTRAL_ROBOT_OBS, sceneObs: sceneObsForState(attempt.state, "A", attempt.resetSeed) })
      const noise = new DartNoise(NOISE, attempt.noiseSeed)
      let executedDiffers = 0
      let labelVsMotion = 0
      const anns = [...split.annotations].sort((a, b) => a.start - b.start)
      expect(anns.map((a) => a.task)).toEqual(attempt.tasks.slice(0, anns.length))
      for (const a of anns) {
        const expert = makeExpert(a.task as TaskName, "A")
        expert.reset()
        for (let id = a.start; id < a.end; id++) {
          const t = id - first
          const now = table.robotObs()
          expect(robotObs[t]).toEqual(now) // the visited state is the recorded one
          expect(sceneObs[t]).toEqual(table.sceneObs())
          const clean = Array.from(expert.act(now, table.sceneObs()))
          const snapshot = table.saveState()
          table.step(clean, "relative")
          const reached = table.robotObs()
          table.restoreState(snapshot)
          // The label: the pose the clean action reaches from here, and the clean gripper command.
          expect(actions[t]!.slice(0, 6)).toEqual(reached.slice(0, 6))
          expect(actions[t]![6]).toBe(clean[6]! > 0 ? 1 : -1)
          expect(relActions[t]).toEqual(ActionMath.toRelativeAction(actions[t]!, robotObs[t]!))
          const executed = noise.execute(clean)
          if (executed.some((x, d) => x !== clean[d])) executedDiffers++
          table.step(executed, "relative")
          // What was executed is not what the label says: the next recorded pose is not the labelled pose.
          if (Math.hypot(...[0, 1, 2].map((d) => robotObs[t + 1]![d]! - actions[t]![d]!)) > 1e-4) labelVsMotion++
        }
      }
      const steps = anns.at(-1)!.end - anns[0]!.start
      expect(executedDiffers).toBe(steps)
      expect(labelVsMotion).toBeGreaterThan(steps / 2)
    } finally {
      table.dispose()
    }
  })

  it("the noisy trajectory leaves the clean one; without noise the label is the next frame's pose", () => {
    const noisy = vectors(CalvinSplit.open(path.join(noisyDir, "training")), "robot_obs")
    const clean = vectors(CalvinSplit.open(path.join(cleanDir, "training")), "robot_obs")
    const cleanActions = vectors(CalvinSplit.open(path.join(cleanDir, "training")), "actions")
    expect(noisy[0]).toEqual(clean[0]) // same plan, same reset
    const n = Math.min(noisy.length, clean.length)
    const gap = Math.max(...Array.from({ length: n }, (_, t) => Math.hypot(...[0, 1, 2].map((d) => noisy[t]![d]! - clean[t]![d]!))))
    expect(gap).toBeGreaterThan(0.005)
    for (let t = 0; t + 1 < clean.length; t++) expect(cleanActions[t]!.slice(0, 6)).toEqual(clean[t + 1]!.slice(0, 6))
  })

  it("noise options are checked and recorded: a resume with another scale is refused; a v1 collection resumes as span 64, no noise", async () => {
    await expect(collect({ ...noisyOptions(noisyDir, 0.1), resume: true })).rejects.toSatisfy((e: unknown) => e instanceof TrainError && /different options/.test(e.message))
    await expect(collect({ ...noisyOptions(cleanDir, 2), out: path.join(cleanDir, "x") })).rejects.toSatisfy((e: unknown) => e instanceof TrainError && e.reason === "InvalidInput")
    const manifest = JSON.parse(fs.readFileSync(path.join(cleanDir, "collect.json"), "utf8"))
    expect(manifest).toMatchObject({ version: 2, annotationSpan: null, noise: 0 })
    const { annotationSpan: _span, noise: _noise, ...v1 } = manifest
    fs.writeFileSync(path.join(cleanDir, "collect.json"), JSON.stringify({ ...v1, version: 1 }))
    await expect(collect({ ...noisyOptions(cleanDir, 0), resume: true })).rejects.toSatisfy((e: unknown) => e instanceof TrainError && /different options/.test(e.message))
    const resumed = await collect({ ...noisyOptions(cleanDir, 0), annotationSpan: 64, resume: true })
    expect(resumed.episodesRun).toBe(0)
  })

  it("DartNoise: seeded, zero-mean, σ as asked, gripper untouched, clipped to [−1, 1]", () => {
    const a = new DartNoise(0.2, 7)
    const b = new DartNoise(0.2, 7)
    const draws: Array<number> = []
    for (let i = 0; i < 2000; i++) {
      const x = a.execute([0, 0, 0, 0, 0, 0.95, -1])
      expect(x).toEqual(b.execute([0, 0, 0, 0, 0, 0.95, -1]))
      expect(x[6]).toBe(-1)
      expect(x[5]).toBeLessThanOrEqual(1)
      draws.push(...x.slice(0, 5))
    }
    const mean = draws.reduce((s, x) => s + x, 0) / draws.length
    const std = Math.sqrt(draws.reduce((s, x) => s + (x - mean) ** 2, 0) / draws.length)
    expect(Math.abs(mean)).toBeLessThan(0.01)
    expect(std).toBeGreaterThan(0.19)
    expect(std).toBeLessThan(0.21)
    expect(new DartNoise(0, 1).execute([0.5, 0, 0, 0, 0, 0, 1])).toEqual([0.5, 0, 0, 0, 0, 0, 1])
    expect(() => new DartNoise(-1, 1)).toThrow(RangeError)
  })
})
