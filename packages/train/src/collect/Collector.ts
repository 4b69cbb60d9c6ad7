/**
 * Expert data collection into a CALVIN-layout dataset: `training/` from the training scenes, `validation/` from the
 * validation scene, with frames, segments, language annotations, `scene_info.npy` and `statistics.yaml/json`.
 *
 * Episodes run in parallel (one PlayTable per worker thread) and are the unit of progress: an episode's record
 * (`<split>/.collect/episode_XXXXXXX.json`) is written only after all its frames, so a killed run loses at most the
 * episodes in flight. Resuming skips recorded episodes and first deletes the frame files (and `.tmp` leftovers) of
 * unrecorded ones; plans derive from (seed, split, episode), so a re-run episode is the same episode. Each episode
 * owns a fixed block of frame ids, which keeps ids global, contiguous per recording and independent of timing.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { makeWorkerPool, SdkError } from "@robovla/sdk"
import { CalvinSplit, CalvinSplitWriter, frameFileName } from "../data/CalvinDataset.ts"
import { StatisticsAccumulator, writeStatistics } from "../data/Statistics.ts"
import { TrainError } from "../TrainError.ts"
import { type EpisodeRecord, runEpisode } from "./Episode.ts"
import { PlayTable, type SceneId, TASK_NAMES, type TaskName } from "./SimApi.ts"
import { type EpisodePlan, frameBudget, type PlanOptions, planSplit, type SplitName } from "./TaskPlan.ts"

/** @since 0.1.0 @category models */
export interface CollectOptions {
  readonly out: string
  /** Training scenes; episodes are split among them in contiguous blocks. */
  readonly scenes: ReadonlyArray<SceneId>
  /** Training episodes (all scenes together). */
  readonly episodes: number
  readonly valScene?: SceneId | undefined
  /** Validation episodes (default: episodes per training scene). */
  readonly valEpisodes?: number | undefined
  /** Parallel simulators; 1 runs in the calling thread (default 1). */
  readonly workers?: number
  readonly resume?: boolean
  /** Record rgb_static / rgb_gripper (default true). */
  readonly cameras?: boolean
  /** Also record depth_static / depth_gripper (default false). */
  readonly depth?: boolean
  readonly seed?: number
  /** Tasks per episode, at most one per category (default 5). */
  readonly tasksPerEpisode?: number
  /** Expert step limit per subtask (default 360, CALVIN's EP_LEN). */
  readonly maxStepsPerTask?: number
  /** Candidate plays per episode, tried without cameras until one works (default 1). */
  readonly attempts?: number
  /** Restrict the tasks played (default all 34); names are checked. */
  readonly tasks?: ReadonlyArray<string> | undefined
  /** Each episode targets the task least planned so far (see `planSplit`); default false (CALVIN-like play). */
  readonly balance?: boolean
  /**
   * Frames annotated before the frame where a subtask succeeds. Default: the whole subtask, from its first frame
   * (CALVIN's own windows are 64 frames back, which drops the approach of long subtasks).
   */
  readonly annotationSpan?: number | undefined
  /**
   * σ of seeded Gaussian noise added to the executed arm action while the expert's clean action is recorded
   * (DART; relative-action units, 0.1 = 2 mm / 5 mrad per step). Default 0.
   */
  readonly noise?: number | undefined
  readonly onProgress?: (progress: CollectProgress) => void
  /**
   * Stops the run early: no new episode starts, in-flight worker episodes are dropped, and the index files and
   * statistics are written for the episodes completed so far (a usable partial dataset; `--resume` continues it).
   */
  readonly signal?: AbortSignal
}

/** @since 0.1.0 @category models */
export interface CollectProgress {
  readonly episodesDone: number
  readonly episodesTotal: number
  /** Frames recorded by this run (resumed episodes not counted). */
  readonly frames: number
  readonly elapsedMs: number
  /** Annotated segments per task so far (including resumed episodes). */
  readonly annotated: Readonly<Record<string, number>>
}

/** @since 0.1.0 @category models */
export interface SplitSummary {
  readonly scenes: ReadonlyArray<SceneId>
  readonly episodes: number
  readonly frames: number
  readonly annotations: number
  /** Annotated segments per task. */
  readonly perTask: Readonly<Record<string, number>>
  /** Subtasks whose expert ran out of steps (over all attempts played, recorded or not), per task. */
  readonly failures: Readonly<Record<string, number>>
}

/** @since 0.1.0 @category models */
export interface CollectSummary {
  readonly splits: Partial<Record<SplitName, SplitSummary>>
  /** Episodes recorded by this run (the others were already on disk). */
  readonly episodesRun: number
  readonly framesRun: number
  readonly wallSeconds: number
  readonly framesPerSecond: number
  /** True when the run was stopped before every episode was recorded. */
  readonly interrupted: boolean
}

/** An episode for a collection worker thread. @since 0.1.0 @category models */
export interface CollectRequest {
  readonly plan: EpisodePlan
  readonly dir: string
}

/** The options that decide the episodes; a resumed run must match them. */
interface Manifest {
  readonly version: 2
  readonly seed: number
  readonly scenes: ReadonlyArray<SceneId>
  readonly episodes: number
  readonly valScene: SceneId | null
  readonly valEpisodes: number
  readonly tasksPerEpisode: number
  readonly maxStepsPerTask: number
  readonly tasks: ReadonlyArray<string> | null
  /** "planned-counts": episode e targets the task least planned so far (see `planSplit`). */
  readonly balance: "planned-counts" | false
  readonly attempts: number
  readonly cameras: boolean
  readonly depth: boolean
  /** null: each subtask annotated from its first frame. */
  readonly annotationSpan: number | null
  readonly noise: number
}

/** Version 1 collections annotated the last 64 frames of a subtask and had no noise. */
const upgradeManifest = (m: Omit<Manifest, "version" | "annotationSpan" | "noise"> & { readonly version: number }): Manifest =>
  m.version === 1 ? { ...m, version: 2, annotationSpan: 64, noise: 0 } : (m as Manifest)

const invalid = (message: string) => new TrainError({ reason: "InvalidInput", message })
const recordFile = (dir: string, episode: number) => path.join(dir, ".collect", `episode_${String(episode).padStart(7, "0")}.json`)

const writeJsonAtomic = (file: string, value: unknown): void => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(value, null, 1) + "\n")
  fs.renameSync(`${file}.tmp`, file)
}

const readRecord = (file: string): EpisodeRecord | undefined => {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as EpisodeRecord
  } catch {
    return undefined // absent, or cut short by a kill: the episode is re-run
  }
}

interface SplitJob {
  readonly split: SplitName
  readonly dir: string
  readonly plans: ReadonlyArray<EpisodePlan>
}

const manifestOf = (o: CollectOptions, valEpisodes: number): Manifest => ({
  version: 2,
  seed: o.seed ?? 0,
  scenes: [...o.scenes],
  episodes: o.episodes,
  valScene: o.valScene ?? null,
  valEpisodes: o.valScene === undefined ? 0 : valEpisodes,
  tasksPerEpisode: o.tasksPerEpisode ?? 5,
  maxStepsPerTask: o.maxStepsPerTask ?? 360,
  tasks: o.tasks === undefined ? null : [...o.tasks],
  balance: o.balance === true ? "planned-counts" : false,
  attempts: o.attempts ?? 1,
  cameras: o.cameras ?? true,
  depth: o.depth ?? false,
  annotationSpan: o.annotationSpan ?? null,
  noise: o.noise ?? 0
})

const validate = (o: CollectOptions): void => {
  if (o.scenes.length === 0 && o.valScene === undefined) throw invalid("give at least one training scene or a validation scene")
  for (const s of [...o.scenes, ...(o.valScene !== undefined ? [o.valScene] : [])]) {
    if (!["A", "B", "C", "D"].includes(s)) throw invalid(`unknown scene ${JSON.stringify(s)} (expected A, B, C or D)`)
  }
  const positive = (name: string, v: number | undefined, min: number) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw invalid(`${name} must be an integer ≥ ${min}, got ${v}`)
  }
  positive("episodes", o.episodes, 0)
  positive("valEpisodes", o.valEpisodes, 0)
  positive("workers", o.workers, 1)
  positive("tasksPerEpisode", o.tasksPerEpisode, 1)
  positive("maxStepsPerTask", o.maxStepsPerTask, 1)
  positive("seed", o.seed, 0)
  positive("attempts", o.attempts, 1)
  positive("annotationSpan", o.annotationSpan, 1)
  if (o.noise !== undefined && !(Number.isFinite(o.noise) && o.noise >= 0 && o.noise <= 1)) throw invalid(`noise must be a number in [0, 1] (relative-action units), got ${o.noise}`)
  for (const t of o.tasks ?? []) if (!(TASK_NAMES as ReadonlyArray<string>).includes(t)) throw invalid(`unknown task ${JSON.stringify(t)}`)
}

/** Deletes frame files of unrecorded episodes and `.tmp` leftovers of a killed run. */
const cleanPartial = (job: SplitJob, done: ReadonlySet<number>): number => {
  if (!fs.existsSync(job.dir)) return 0
  const byEpisode = new Map<number, EpisodePlan>()
  let removed = 0
  for (const plan of job.plans) byEpisode.set(plan.episode, plan)
  const budget = job.plans[0]?.frameBudget ?? 1
  const base = job.plans[0]?.firstFrameId ?? 0
  for (const name of fs.readdirSync(job.dir)) {
    if (name.endsWith(".tmp")) {
      fs.rmSync(path.join(job.dir, name), { force: true })
      removed++
      continue
    }
    const match = /^episode_(\d+)\.npz$/.exec(name)
    if (match === null) continue
    const episode = Math.floor((Number(match[1]) - base) / budget)
    if (!done.has(episode)) {
      fs.rmSync(path.join(job.dir, name), { force: true })
      removed++
    }
  }
  const recordDir = path.join(job.dir, ".collect")
  if (fs.existsSync(recordDir)) for (const name of fs.readdirSync(recordDir)) if (name.endsWith(".tmp")) fs.rmSync(path.join(recordDir, name), { force: true })
  return removed
}

/**
 * Runs episodes in worker threads, or in this thread for one worker. After `signal` aborts no episode starts;
 * worker threads are stopped at once (their in-flight episodes are lost), the calling thread finishes its episode.
 */
const runAll = async (
  work: ReadonlyArray<{ plan: EpisodePlan; dir: string }>,
  workers: number,
  onFrames: (n: number) => void,
  onDone: (record: EpisodeRecord, dir: string) => void,
  signal: AbortSignal | undefined
): Promise<void> => {
  if (workers <= 1) {
    const tables = new Map<SceneId, PlayTable>()
    try {
      for (const { plan, dir } of work) {
        if (signal?.aborted === true) break
        let table = tables.get(plan.scene)
        if (table === undefined) {
          table = await PlayTable.load(plan.scene)
          tables.set(plan.scene, table)
        }
        let reported = 0
        const record = runEpisode(table, plan, dir, (frames) => {
          onFrames(frames - reported)
          reported = frames
        })
        onDone(record, dir)
        // Let signal handlers and timers run between episodes.
        await new Promise((r) => setImmediate(r))
      }
    } finally {
      for (const table of tables.values()) table.dispose()
    }
    return
  }
  const pool = makeWorkerPool<Record<string, never>, CollectRequest, EpisodeRecord, number>(new URL("./CollectWorker.ts", import.meta.url), workers)
  const queue = [...work]
  // Aborting closes the pool: busy threads are terminated, and their lanes end quietly.
  const onAbort = () => void pool.close()
  signal?.addEventListener("abort", onAbort, { once: true })
  const lane = async (): Promise<void> => {
    for (let job = queue.shift(); job !== undefined && signal?.aborted !== true; job = queue.shift()) {
      const { plan, dir } = job
      const record = await pool.run({}, { plan, dir }, onFrames).catch((error: unknown) => {
        if (signal?.aborted === true) return undefined
        const why = error instanceof SdkError && error.reason === "WorkerTaskFailed" ? `episode ${plan.episode} failed in a worker: ${error.message}` : `collection worker crashed during episode ${plan.episode}: ${(error as Error).message}`
        throw new TrainError({ reason: "Interrupted", message: why, cause: error })
      })
      if (record === undefined) return
      onDone(record, dir)
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(workers, queue.length) }, lane))
  } finally {
    signal?.removeEventListener("abort", onAbort)
    queue.length = 0
    await pool.close()
  }
}

/** Index files, scene_info and statistics of one split from its episode records. */
const finishSplit = (job: SplitJob, records: ReadonlyArray<EpisodeRecord>): SplitSummary => {
  const writer = new CalvinSplitWriter(job.dir)
  const sceneInfo: Record<string, [number, number]> = {}
  const perTask: Record<string, number> = {}
  const failures: Record<string, number> = {}
  let frames = 0
  let annotations = 0
  for (const record of [...records].sort((a, b) => a.episode - b.episode)) {
    for (const task of record.failures) failures[task] = (failures[task] ?? 0) + 1
    if (record.segment === undefined) continue
    const [start, end] = record.segment
    writer.addSegment(start, end)
    frames += end - start + 1
    const key = `calvin_scene_${record.scene}`
    const range = sceneInfo[key]
    sceneInfo[key] = range === undefined ? [start, end] : [Math.min(range[0], start), Math.max(range[1], end)]
    for (const a of record.annotations) {
      writer.annotate(a)
      perTask[a.task] = (perTask[a.task] ?? 0) + 1
      annotations++
    }
  }
  writer.finish({ sceneInfo })
  // Statistics stream the small vector keys back from disk, so resumed episodes count too.
  const split = CalvinSplit.open(job.dir)
  const stats = new StatisticsAccumulator()
  for (const [start, end] of split.segments) {
    for (const frame of split.frames(start, end, ["rel_actions", "robot_obs", "scene_obs"])) {
      stats.add({ rel_actions: frame.rel_actions!.data as Float64Array, robot_obs: frame.robot_obs!.data as Float64Array, scene_obs: frame.scene_obs!.data as Float64Array })
    }
  }
  if (frames > 0) writeStatistics(job.dir, stats.result())
  return { scenes: [...new Set(records.map((r) => r.scene))], episodes: records.length, frames, annotations, perTask, failures }
}

/**
 * Collects (or resumes collecting) a dataset. Fails with TrainError "InvalidInput" for bad options or a resume
 * against different options, "Interrupted" when a worker fails.
 *
 * @since 0.1.0
 * @category collection
 */
export const collect = async (options: CollectOptions): Promise<CollectSummary> => {
  validate(options)
  const started = Date.now()
  const valEpisodes = options.valEpisodes ?? Math.ceil(options.episodes / Math.max(1, options.scenes.length))
  const manifest = manifestOf(options, valEpisodes)
  const manifestFile = path.join(options.out, "collect.json")
  if (fs.existsSync(manifestFile)) {
    if (options.resume !== true) throw invalid(`${options.out} already holds a collection; pass --resume to continue it or choose another --out`)
    const previous = upgradeManifest(JSON.parse(fs.readFileSync(manifestFile, "utf8")))
    if (JSON.stringify(previous) !== JSON.stringify(manifest)) {
      throw invalid(`${options.out} was collected with different options (${JSON.stringify(previous)}); resume with the same scenes, episodes, seed, tasks and cameras`)
    }
  } else {
    // Never clean up a folder this collector did not create (e.g. a downloaded CALVIN split).
    for (const split of ["training", "validation"]) {
      const dir = path.join(options.out, split)
      if (fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.endsWith(".npz"))) {
        throw invalid(`${dir} holds frames but ${manifestFile} is missing: not a robovla collection; choose another --out`)
      }
    }
  }
  writeJsonAtomic(manifestFile, manifest)

  const planOptions: PlanOptions = {
    seed: manifest.seed,
    tasksPerEpisode: manifest.tasksPerEpisode,
    maxStepsPerTask: manifest.maxStepsPerTask,
    taskPool: (manifest.tasks ?? undefined) as ReadonlyArray<TaskName> | undefined,
    balance: manifest.balance !== false,
    attempts: manifest.attempts,
    cameras: manifest.cameras,
    depth: manifest.depth,
    annotationSpan: manifest.annotationSpan ?? undefined,
    noise: manifest.noise
  }
  const budget = frameBudget(planOptions)
  const jobs: Array<SplitJob> = []
  if (options.scenes.length > 0 && options.episodes > 0) {
    jobs.push({ split: "training", dir: path.join(options.out, "training"), plans: planSplit("training", options.episodes, options.scenes, 0, planOptions) })
  }
  if (options.valScene !== undefined && valEpisodes > 0) {
    // Validation ids follow the training block, so ids are unique across the dataset (as in CALVIN).
    const base = options.episodes * budget
    jobs.push({ split: "validation", dir: path.join(options.out, "validation"), plans: planSplit("validation", valEpisodes, [options.valScene], base, planOptions) })
  }

  const records = new Map<SplitName, Array<EpisodeRecord>>()
  const work: Array<{ plan: EpisodePlan; dir: string }> = []
  const annotated: Record<string, number> = {}
  for (const job of jobs) {
    fs.mkdirSync(path.join(job.dir, ".collect"), { recursive: true })
    const done: Array<EpisodeRecord> = []
    for (const plan of job.plans) {
      const record = readRecord(recordFile(job.dir, plan.episode))
      if (record !== undefined) done.push(record)
      else work.push({ plan, dir: job.dir })
    }
    cleanPartial(job, new Set(done.map((r) => r.episode)))
    for (const r of done) for (const a of r.annotations) annotated[a.task] = (annotated[a.task] ?? 0) + 1
    records.set(job.split, done)
  }

  // Interleave scenes and splits (episode k of each scene block, then k + 1, …), so a run stopped early still
  // covers every scene and both splits in proportion.
  const blockPosition = new Map<EpisodePlan, number>()
  for (const job of jobs) {
    const byScene = new Map<SceneId, Array<EpisodePlan>>()
    for (const plan of job.plans) byScene.set(plan.scene, [...(byScene.get(plan.scene) ?? []), plan])
    for (const plans of byScene.values()) plans.forEach((plan, i) => blockPosition.set(plan, i / plans.length))
  }
  work.sort((a, b) => blockPosition.get(a.plan)! - blockPosition.get(b.plan)!)
  const total = jobs.reduce((n, j) => n + j.plans.length, 0)
  let episodesDone = total - work.length
  let framesRun = 0
  const report = () =>
    options.onProgress?.({ episodesDone, episodesTotal: total, frames: framesRun, elapsedMs: Date.now() - started, annotated })
  report()
  await runAll(
    work,
    options.workers ?? 1,
    (n) => {
      framesRun += n
      report()
    },
    (record, dir) => {
      writeJsonAtomic(recordFile(dir, record.episode), record)
      records.get(record.split)!.push(record)
      for (const a of record.annotations) annotated[a.task] = (annotated[a.task] ?? 0) + 1
      episodesDone++
      report()
    },
    options.signal
  )

  // After an early stop, drop the frames of episodes that did not finish (a resume would too).
  for (const job of jobs) cleanPartial(job, new Set(records.get(job.split)!.map((r) => r.episode)))
  const splits: Partial<Record<SplitName, SplitSummary>> = {}
  for (const job of jobs) splits[job.split] = finishSplit(job, records.get(job.split)!)
  const wallSeconds = (Date.now() - started) / 1000
  const summary: CollectSummary = {
    splits,
    episodesRun: work.length,
    framesRun,
    wallSeconds,
    framesPerSecond: framesRun / Math.max(wallSeconds, 1e-9),
    interrupted: episodesDone < total
  }
  writeJsonAtomic(path.join(options.out, "collect-summary.json"), summary)
  return summary
}

/** Frame file of an id, for callers that inspect a collection. @since 0.1.0 @category utils */
export { frameFileName }
