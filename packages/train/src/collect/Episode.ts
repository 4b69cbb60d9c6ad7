/**
 * Records one episode: the scripted experts play the planned task sequence in one PlayTable at 30 Hz, each frame is
 * written as a CALVIN `episode_XXXXXXX.npz`, and every subtask that succeeds gets a language annotation.
 *
 * Frame t holds the observation before step t and, as in CALVIN (reference/calvin.md §7.2), `actions[t]` = the
 * measured TCP pose of frame t + 1 plus the gripper command, `rel_actions[t]` = the SDK's `toRelativeAction` of that
 * target from `robot_obs[t]`. So frame t is written once step t has run. A language window ends at the first frame
 * where the task's predicate holds (checked against the snapshot taken when the subtask began) and starts where the
 * subtask began (or `annotationSpan` frames before its end, if that is later). After the last success one hold
 * step is recorded so that the window's end frame exists; the episode's final observation has no file.
 *
 * With executed-action noise (`plan.noise` > 0, DART) the robot executes the perturbed action, while the frame is
 * labelled with the expert's clean action at the visited state: `actions[t]` is the TCP pose that the clean action
 * would have reached, found by a look-ahead step from a snapshot of the table that is then restored (the physics
 * is deterministic, so the executed trajectory is unaffected).
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { ActionMath } from "@robovla/sdk"
import { encodeFrame, type FrameToWrite, frameFileName, type LanguageAnnotation } from "../data/CalvinDataset.ts"
import { Rng } from "../windows/Random.ts"
import { driverFor } from "./Noise.ts"
import { checkTask, instructionFor, makeExpert, NEUTRAL_ROBOT_OBS, type PlayTable, sceneObsForState, type TaskName } from "./SimApi.ts"
import type { EpisodeAttempt, EpisodePlan } from "./TaskPlan.ts"

/** What an episode left on disk; written as JSON once all its frames are. @since 0.1.0 @category models */
export interface EpisodeRecord {
  readonly split: EpisodePlan["split"]
  readonly episode: number
  readonly scene: EpisodePlan["scene"]
  /** Inclusive frame ids, or undefined when no frame was recorded. */
  readonly segment: readonly [number, number] | undefined
  readonly frames: number
  readonly tasks: ReadonlyArray<TaskName>
  readonly annotations: ReadonlyArray<LanguageAnnotation>
  /** Which of the plan's attempts was recorded. */
  readonly attempt: number
  /** The subtask of the recorded attempt whose expert ran out of steps (the recording stops before it). */
  readonly failedTask?: TaskName
  /** Failed subtasks over all attempts played (for success-rate reports). */
  readonly failures: ReadonlyArray<TaskName>
  /** Set when the recorded (camera) pass ended with fewer successes than its dry pass (should not happen: the physics is deterministic). */
  readonly diverged?: true
  readonly wallMs: number
}

/** Called after every written frame. @since 0.1.0 @category models */
export type FrameListener = (frames: number) => void

interface Observed {
  readonly robotObs: Array<number>
  readonly sceneObs: Array<number>
  readonly rgbStatic?: { data: Uint8Array; height: number; width: number } | undefined
  readonly rgbGripper?: { data: Uint8Array; height: number; width: number } | undefined
  readonly depthStatic?: Float32Array | undefined
  readonly depthGripper?: Float32Array | undefined
}

const observe = (table: PlayTable, plan: EpisodePlan): Observed => {
  if (!plan.cameras) return { robotObs: table.robotObs(), sceneObs: table.sceneObs() }
  const o = table.observe({ rgbStatic: true, rgbGripper: true, depth: plan.depth })
  return {
    robotObs: Array.from(o.robotObs),
    sceneObs: Array.from(o.sceneObs),
    rgbStatic: o.rgbStatic,
    rgbGripper: o.rgbGripper,
    depthStatic: o.depthStatic,
    depthGripper: o.depthGripper
  }
}

/** Writes a frame file atomically (temporary name, then rename). @since 0.1.0 @category encoding */
export const writeFrameFile = (dir: string, id: number, frame: FrameToWrite): void => {
  const file = path.join(dir, frameFileName(id))
  fs.writeFileSync(`${file}.tmp`, encodeFrame(frame))
  fs.renameSync(`${file}.tmp`, file)
}

/** `reached`: the robot_obs whose TCP pose is the frame's absolute action (the next frame's, without noise). */
const toFrame = (now: Observed, reached: ArrayLike<number>, gripper: number): FrameToWrite => {
  const grip = gripper > 0 ? 1 : -1 // CALVIN rewrites a 0 gripper to −1
  const actions = [reached[0]!, reached[1]!, reached[2]!, reached[3]!, reached[4]!, reached[5]!, grip]
  const image = (img: Observed["rgbStatic"]) => (img === undefined ? undefined : { data: img.data, height: img.height, width: img.width })
  const depth = (data: Float32Array | undefined, img: Observed["rgbStatic"]) => (data === undefined || img === undefined ? undefined : { data, height: img.height, width: img.width })
  return {
    actions,
    rel_actions: ActionMath.toRelativeAction(actions, now.robotObs),
    robot_obs: now.robotObs,
    scene_obs: now.sceneObs,
    rgb_static: image(now.rgbStatic),
    rgb_gripper: image(now.rgbGripper),
    depth_static: depth(now.depthStatic, now.rgbStatic),
    depth_gripper: depth(now.depthGripper, now.rgbGripper)
  }
}

interface Played {
  readonly frames: number
  readonly annotations: Array<LanguageAnnotation>
  readonly failedTask: TaskName | undefined
}

/**
 * Plays `tasks` from the attempt's reset. With `dir`, frames are written (with cameras when the plan asks); without,
 * nothing is rendered or written (the cheap dry pass).
 */
const play = (table: PlayTable, plan: EpisodePlan, attempt: EpisodeAttempt, tasks: ReadonlyArray<TaskName>, dir: string | undefined, onFrame?: FrameListener): Played => {
  const rng = new Rng(plan.instructionSeed)
  const render: EpisodePlan = dir === undefined ? { ...plan, cameras: false } : plan
  table.reset({ robotObs: NEUTRAL_ROBOT_OBS, sceneObs: sceneObsForState(attempt.state, plan.scene, attempt.resetSeed) })
  let id = plan.firstFrameId
  const lastAllowed = plan.firstFrameId + plan.frameBudget - 1
  let now = observe(table, render)
  let frames = 0
  const driver = driverFor(plan.noise, attempt.noiseSeed)
  /** Executes `clean` (through the driver when `drive`) and writes frame `id` labelled with `clean`. */
  const record = (action: ArrayLike<number>, drive = true): void => {
    if (id > lastAllowed) throw new RangeError(`episode ${plan.episode} exceeded its frame budget ${plan.frameBudget}`)
    const clean = Array.from(action)
    const executed = drive ? driver.execute(clean) : clean
    let reached: Array<number> | undefined
    if (executed !== clean) {
      // Label look-ahead: where the clean action would have taken the TCP from this very state.
      const snapshot = table.saveState()
      table.step(clean, "relative")
      reached = table.robotObs()
      table.restoreState(snapshot)
    }
    table.step(executed, "relative")
    const next = observe(table, render)
    if (dir !== undefined) writeFrameFile(dir, id, toFrame(now, reached ?? next.robotObs, clean[6]!))
    id++
    frames++
    now = next
    if (dir !== undefined) onFrame?.(frames)
  }
  const annotations: Array<LanguageAnnotation> = []
  let failedTask: TaskName | undefined
  for (const task of tasks) {
    const expert = makeExpert(task, plan.scene)
    expert.reset()
    const start = table.info()
    const taskStart = id
    let succeeded = false
    for (let step = 0; step < plan.maxStepsPerTask; step++) {
      record(expert.act(now.robotObs, now.sceneObs))
      if (checkTask(task, start, table.info())) {
        succeeded = true
        break
      }
    }
    if (!succeeded) {
      failedTask = task
      break
    }
    // `id` is the frame whose observation first satisfies the predicate.
    annotations.push({ start: Math.max(taskStart, id - plan.annotationSpan), end: id, task, instruction: instructionFor(task, "train", () => rng.next()) })
  }
  // The last window's end frame needs a file: record one hold step (no motion, same gripper, never perturbed).
  if (annotations.length > 0 && annotations[annotations.length - 1]!.end === id) record([0, 0, 0, 0, 0, 0, now.robotObs[14]! > 0 ? 1 : -1], false)
  return { frames, annotations, failedTask }
}

/**
 * Runs one planned episode in `table` (already loaded for `plan.scene`) and writes its frames into `dir`.
 *
 * Each attempt is first played without cameras or files. The first attempt that reaches the target (with
 * balancing) or succeeds at every task is recorded, else the one with the most successes; only its successful
 * prefix is replayed with cameras and written, so no rendering is spent on subtasks the expert fails. An episode
 * without any success writes nothing.
 *
 * @since 0.1.0
 * @category recording
 */
export const runEpisode = (table: PlayTable, plan: EpisodePlan, dir: string, onFrame?: FrameListener): EpisodeRecord => {
  const started = Date.now()
  const failures: Array<TaskName> = []
  let best: { attempt: number; successes: number; failedTask: TaskName | undefined } | undefined
  for (let a = 0; a < plan.attempts.length; a++) {
    const attempt = plan.attempts[a]!
    const dry = play(table, plan, attempt, attempt.tasks, undefined)
    if (dry.failedTask !== undefined) failures.push(dry.failedTask)
    const successes = dry.annotations.length
    if (best === undefined || successes > best.successes) best = { attempt: a, successes, failedTask: dry.failedTask }
    const reached = plan.target !== undefined ? dry.annotations.some((x) => x.task === plan.target) : dry.failedTask === undefined
    if (reached) break
  }
  const chosen = plan.attempts[best!.attempt]!
  const live = best!.successes === 0 ? { frames: 0, annotations: [], failedTask: undefined } : play(table, plan, chosen, chosen.tasks.slice(0, best!.successes), dir, onFrame)
  return {
    split: plan.split,
    episode: plan.episode,
    scene: plan.scene,
    segment: live.frames === 0 ? undefined : [plan.firstFrameId, plan.firstFrameId + live.frames - 1],
    frames: live.frames,
    tasks: chosen.tasks,
    annotations: live.annotations,
    attempt: best!.attempt,
    ...(best!.failedTask !== undefined ? { failedTask: best!.failedTask } : {}),
    failures,
    ...(live.annotations.length !== best!.successes ? { diverged: true as const } : {}),
    wallMs: Date.now() - started
  }
}
