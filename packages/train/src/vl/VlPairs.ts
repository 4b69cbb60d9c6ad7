/**
 * Image–text pairs from the play table, for pre-training a backbone as a vision-language model before it becomes
 * a VLA (issue 13 §2) and for vision-language co-training.
 *
 * The scripted experts play CALVIN-like random task sequences (the collector's plans); every `stride` steps (with a
 * seeded jitter) both cameras are rendered and the frame's facts are read from the simulator (`SceneFacts.ts`).
 * Each frame gives one caption and `questions` question/answer pairs (`Language.ts`).
 *
 * Layout of `out/`:
 * - `frames/<scene>_<episode>_<step>.png` (static camera, 200×200) and `…_gripper.png` (84×84);
 * - `train.jsonl`, `val.jsonl`: one `VlPair` per line (see `VlPair`);
 * - `vl-pairs.json`: the options and counts; `.parts/`: per-episode lines, the unit of resuming.
 *
 * The validation split is held out by arrangement: a frame goes to `val` when the hash of its symbolic arrangement
 * (`arrangementKey`: lights, doors and where each block is; not the arm, not the scene) falls in the held-out
 * fraction, so no validation arrangement is ever seen in training. Validation prompts and captions may also use
 * the held-out phrasings (marked `phrasing: "held-out"`), which training never does.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Schemas } from "@robovla/sdk"
import { Result, Schema } from "effect"
import { encodePng, makeExpert, NEUTRAL_ROBOT_OBS, PlayTable, type SceneId, sceneObsForState, checkTask, type TaskName } from "@robovla/sim"
import { planEpisode } from "../collect/TaskPlan.ts"
import { TrainError } from "../TrainError.ts"
import { deriveSeed, Rng } from "../windows/Random.ts"
import { captionFacts, makeCaption, makeQuestions } from "./Language.ts"
import { arrangementKey, sceneFacts } from "./SceneFacts.ts"

/** One line of `train.jsonl` / `val.jsonl`. @since 0.1.0 @category schemas */
export const VlPair = Schema.Struct({
  id: Schema.String,
  split: Schema.Literals(["train", "val"]),
  /** Static camera PNG, relative to the dataset folder. */
  image: Schema.String,
  /** Gripper camera PNG, relative to the dataset folder. */
  gripperImage: Schema.String,
  scene: Schema.Literals(["A", "B", "C", "D"]),
  episode: Schema.Number,
  step: Schema.Number,
  kind: Schema.Literals(["caption", "qa"]),
  /** `caption`, or the question's attribute (e.g. `where.red`, `drawer`). */
  attribute: Schema.String,
  prompt: Schema.String,
  /** The caption, or the canonical answer. */
  target: Schema.String,
  phrasing: Schema.Literals(["seen", "held-out"]),
  /** Every decidable fact of the frame (`captionFacts`): what a generated caption is judged against. */
  facts: Schema.Record(Schema.String, Schema.String),
  /** Captions: the attributes this caption states. */
  stated: Schema.optionalKey(Schema.Array(Schema.String)),
  arrangement: Schema.String
})
/** @since 0.1.0 @category models */
export type VlPair = typeof VlPair.Type

/** @since 0.1.0 @category models */
export interface VlPairsOptions {
  readonly out: string
  readonly scenes: ReadonlyArray<SceneId>
  /** Expert episodes per scene. */
  readonly episodes: number
  /** Steps between sampled frames (default 12; each sample is jittered by up to ±stride/3). */
  readonly stride?: number
  /** Question/answer pairs per frame, besides its caption (default 4). */
  readonly questions?: number
  /** Facts a caption states (default 5; 0 = all, about a dozen). */
  readonly captionFacts?: number
  /** Fraction of arrangements held out for `val` (default 0.15). */
  readonly heldOut?: number
  readonly seed?: number
  /** Tasks per episode (default 5). */
  readonly tasksPerEpisode?: number
  readonly resume?: boolean
  readonly onProgress?: (p: { readonly episodesDone: number; readonly episodesTotal: number; readonly frames: number; readonly elapsedMs: number }) => void
  readonly signal?: AbortSignal
}

/** @since 0.1.0 @category models */
export interface VlPairsSummary {
  readonly frames: Readonly<Record<"train" | "val", number>>
  readonly pairs: Readonly<Record<"train" | "val", number>>
  readonly arrangements: Readonly<Record<"train" | "val", number>>
  readonly heldOutPhrasingPairs: number
  readonly wallSeconds: number
  readonly framesPerSecond: number
  readonly interrupted: boolean
}

const invalid = (message: string) => new TrainError({ reason: "InvalidInput", message })
const MAX_STEPS = 360

/** True when `arrangement` belongs to the held-out (val) arrangements. @since 0.1.0 @category utils */
export const isHeldOutArrangement = (arrangement: string, fraction: number, seed: number): boolean => {
  let h = 0x811c9dc5
  for (let i = 0; i < arrangement.length; i++) h = Math.imul(h ^ arrangement.charCodeAt(i), 0x01000193) >>> 0
  return deriveSeed(h, seed, 17) / 4294967296 < fraction
}

interface Manifest {
  readonly version: 1
  readonly scenes: ReadonlyArray<SceneId>
  readonly episodes: number
  readonly stride: number
  readonly questions: number
  readonly captionFacts: number
  readonly heldOut: number
  readonly seed: number
  readonly tasksPerEpisode: number
}

const partFile = (out: string, scene: SceneId, episode: number) => path.join(out, ".parts", `${scene}_${String(episode).padStart(5, "0")}.jsonl`)

/**
 * Plays one expert episode and writes its frames; returns its pairs.
 */
const runEpisode = (table: PlayTable, m: Manifest, scene: SceneId, episode: number, out: string): Array<VlPair> => {
  const sceneKey = ["A", "B", "C", "D"].indexOf(scene)
  const plan = planEpisode("training", episode, scene, 0, { seed: deriveSeed(m.seed, sceneKey), tasksPerEpisode: m.tasksPerEpisode, maxStepsPerTask: MAX_STEPS, cameras: false, depth: false })
  const attempt = plan.attempts[0]!
  const rng = new Rng(deriveSeed(m.seed, sceneKey, episode, 7))
  const u = () => rng.next()
  table.reset({ robotObs: NEUTRAL_ROBOT_OBS, sceneObs: sceneObsForState(attempt.state, scene, attempt.resetSeed) })
  const pairs: Array<VlPair> = []
  let step = 0
  let nextSample = 0
  const jitter = Math.floor(m.stride / 3)
  const sample = () => {
    const facts = sceneFacts(table.info(), scene)
    const arrangement = arrangementKey(facts)
    const split = isHeldOutArrangement(arrangement, m.heldOut, m.seed) ? "val" : "train"
    const o = table.observe({ rgbStatic: true, rgbGripper: true })
    const name = `${scene}_${String(episode).padStart(5, "0")}_${String(step).padStart(4, "0")}`
    const image = `frames/${name}.png`
    const gripperImage = `frames/${name}_gripper.png`
    fs.writeFileSync(path.join(out, image), encodePng(o.rgbStatic!.data, o.rgbStatic!.width, o.rgbStatic!.height))
    fs.writeFileSync(path.join(out, gripperImage), encodePng(o.rgbGripper!.data, o.rgbGripper!.width, o.rgbGripper!.height))
    const heldOutPhrasing = split === "val"
    const base = { split, image, gripperImage, scene, episode, step, arrangement } as const
    const all = captionFacts(facts)
    const caption = makeCaption(facts, heldOutPhrasing, u, m.captionFacts)
    pairs.push({ ...base, id: `${name}_c`, kind: "caption", attribute: "caption", prompt: caption.prompt, target: caption.text, phrasing: caption.phrasing, facts: all, stated: Object.keys(caption.stated) })
    makeQuestions(facts, m.questions, heldOutPhrasing, u).forEach((q, k) => {
      pairs.push({ ...base, id: `${name}_q${k}`, kind: "qa", attribute: q.attribute, prompt: q.prompt, target: q.answer, phrasing: q.phrasing, facts: all })
    })
    nextSample = step + m.stride + (jitter > 0 ? Math.floor(u() * (2 * jitter + 1)) - jitter : 0)
  }
  sample()
  for (const task of attempt.tasks as ReadonlyArray<TaskName>) {
    const expert = makeExpert(task, scene)
    expert.reset()
    const start = table.info()
    let succeeded = false
    for (let s = 0; s < MAX_STEPS && !succeeded; s++) {
      table.step(expert.act(table.robotObs(), table.sceneObs()), "relative")
      step++
      if (step >= nextSample) sample()
      succeeded = checkTask(task, start, table.info())
    }
    if (!succeeded) break // the symbolic plan no longer holds; the frames so far are still true
  }
  return pairs
}

/**
 * Generates (or resumes generating) a pair set. Fails with TrainError "InvalidInput" for bad options or a resume
 * against different ones.
 *
 * @since 0.1.0
 * @category generation
 */
export const generateVlPairs = async (options: VlPairsOptions): Promise<VlPairsSummary> => {
  const started = Date.now()
  const m: Manifest = {
    version: 1,
    scenes: [...options.scenes],
    episodes: options.episodes,
    stride: options.stride ?? 12,
    questions: options.questions ?? 4,
    captionFacts: options.captionFacts ?? 5,
    heldOut: options.heldOut ?? 0.15,
    seed: options.seed ?? 0,
    tasksPerEpisode: options.tasksPerEpisode ?? 5
  }
  if (m.scenes.length === 0) throw invalid("give at least one scene")
  for (const s of m.scenes) if (!["A", "B", "C", "D"].includes(s)) throw invalid(`unknown scene ${JSON.stringify(s)} (expected A, B, C or D)`)
  const int = (name: string, v: number, min: number) => {
    if (!(Number.isInteger(v) && v >= min)) throw invalid(`${name} must be an integer ≥ ${min}, got ${v}`)
  }
  int("episodes", m.episodes, 1)
  int("stride", m.stride, 1)
  int("questions", m.questions, 0)
  int("captionFacts", m.captionFacts, 0)
  int("seed", m.seed, 0)
  int("tasksPerEpisode", m.tasksPerEpisode, 1)
  if (!(m.heldOut >= 0 && m.heldOut < 1)) throw invalid(`heldOut must be in [0, 1), got ${m.heldOut}`)

  const manifestFile = path.join(options.out, "vl-pairs.json")
  if (fs.existsSync(manifestFile)) {
    if (options.resume !== true) throw invalid(`${options.out} already holds a pair set; pass --resume to continue it or choose another --out`)
    const previous = JSON.parse(fs.readFileSync(manifestFile, "utf8")).options
    if (JSON.stringify(previous) !== JSON.stringify(m)) throw invalid(`${options.out} was generated with different options (${JSON.stringify(previous)})`)
  } else if (fs.existsSync(options.out) && fs.readdirSync(options.out).length > 0) {
    throw invalid(`${options.out} is not empty and holds no vl-pairs.json; choose another --out`)
  }
  fs.mkdirSync(path.join(options.out, "frames"), { recursive: true })
  fs.mkdirSync(path.join(options.out, ".parts"), { recursive: true })
  fs.writeFileSync(manifestFile, JSON.stringify({ options: m }, null, 1) + "\n")

  // Interleave scenes so a stopped run covers all of them.
  const work: Array<{ scene: SceneId; episode: number }> = []
  for (let e = 0; e < m.episodes; e++) for (const scene of m.scenes) work.push({ scene, episode: e })
  const todo = work.filter((w) => !fs.existsSync(partFile(options.out, w.scene, w.episode)))
  let done = work.length - todo.length
  let frames = 0
  const tables = new Map<SceneId, PlayTable>()
  try {
    for (const w of todo) {
      if (options.signal?.aborted === true) break
      let table = tables.get(w.scene)
      if (table === undefined) tables.set(w.scene, (table = await PlayTable.load(w.scene)))
      const pairs = runEpisode(table, m, w.scene, w.episode, options.out)
      const file = partFile(options.out, w.scene, w.episode)
      fs.writeFileSync(`${file}.tmp`, pairs.map((p) => JSON.stringify(p)).join("\n") + "\n")
      fs.renameSync(`${file}.tmp`, file)
      frames += new Set(pairs.map((p) => p.image)).size
      done++
      options.onProgress?.({ episodesDone: done, episodesTotal: work.length, frames, elapsedMs: Date.now() - started })
      await new Promise((r) => setImmediate(r))
    }
  } finally {
    for (const t of tables.values()) t.dispose()
  }

  // Assemble the splits from the finished episodes, in episode order.
  const lines = { train: [] as Array<string>, val: [] as Array<string> }
  const frameSets = { train: new Set<string>(), val: new Set<string>() }
  const arrangements = { train: new Set<string>(), val: new Set<string>() }
  let heldOutPhrasingPairs = 0
  for (const w of work) {
    const file = partFile(options.out, w.scene, w.episode)
    if (!fs.existsSync(file)) continue
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      if (line === "") continue
      const pair = JSON.parse(line) as VlPair
      lines[pair.split].push(line)
      frameSets[pair.split].add(pair.image)
      arrangements[pair.split].add(pair.arrangement)
      if (pair.phrasing === "held-out") heldOutPhrasingPairs++
    }
  }
  for (const split of ["train", "val"] as const) fs.writeFileSync(path.join(options.out, `${split}.jsonl`), lines[split].join("\n") + (lines[split].length > 0 ? "\n" : ""))
  const wallSeconds = (Date.now() - started) / 1000
  const summary: VlPairsSummary = {
    frames: { train: frameSets.train.size, val: frameSets.val.size },
    pairs: { train: lines.train.length, val: lines.val.length },
    arrangements: { train: arrangements.train.size, val: arrangements.val.size },
    heldOutPhrasingPairs,
    wallSeconds,
    framesPerSecond: frames / Math.max(wallSeconds, 1e-9),
    interrupted: done < work.length
  }
  fs.writeFileSync(manifestFile, JSON.stringify({ options: m, summary }, null, 1) + "\n")
  return summary
}

/**
 * Reads and checks a split file (`train.jsonl` / `val.jsonl`). Fails with TrainError "CorruptFile" naming the line.
 *
 * @since 0.1.0
 * @category decoding
 */
export const readVlPairs = (file: string): Array<VlPair> => {
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch (cause) {
    throw new TrainError({ reason: "MissingFile", message: `${file}: cannot read`, file, cause })
  }
  const decode = Schemas.decodeUnknownResult(Schema.fromJsonString(VlPair), "vl pair", { strict: false })
  return text.split("\n").flatMap((line, i) => {
    if (line.trim() === "") return []
    const pair = decode(line)
    if (Result.isFailure(pair)) throw new TrainError({ reason: "CorruptFile", message: `${file}:${i + 1}: ${pair.failure.message}`, file, cause: pair.failure })
    return [pair.success]
  })
}
