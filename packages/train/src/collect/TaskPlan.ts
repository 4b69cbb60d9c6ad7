/**
 * What one recorded episode does, decided before the simulator runs: a scene, an initial symbolic state, a
 * physical reset seed and a random valid task sequence, like CALVIN's play (reference/calvin.md §6.1): each next
 * task is drawn uniformly among the tasks applicable in the current symbolic state, at most one per category.
 * Everything is derived from (seed, split, episode), so a resumed run re-creates an episode identically.
 *
 * @since 0.1.0
 */
import { deriveSeed, Rng } from "../windows/Random.ts"
import { applicableTasks, applyTask, categoryOf, INITIAL_STATES, TASK_NAMES, type SceneId, type SymbolicState, type TaskName } from "./SimApi.ts"

/** @since 0.1.0 @category models */
export type SplitName = "training" | "validation"

/** One way to play an episode: an initial state, its physical reset seed and a task sequence. @since 0.1.0 @category models */
export interface EpisodeAttempt {
  readonly state: SymbolicState
  /** Seed of the physical reset (block slot order and yaws). */
  readonly resetSeed: number
  /** Seed of the executed-action noise (used only when the plan's `noise` > 0). */
  readonly noiseSeed: number
  readonly tasks: ReadonlyArray<TaskName>
}

/** @since 0.1.0 @category models */
export interface EpisodePlan {
  readonly split: SplitName
  /** Index of the episode within its split. */
  readonly episode: number
  readonly scene: SceneId
  /** First global frame id; the episode owns ids [firstFrameId, firstFrameId + frameBudget). */
  readonly firstFrameId: number
  readonly frameBudget: number
  /** With balancing, the task this episode is for. */
  readonly target?: TaskName
  /**
   * Candidate plays, tried in order without cameras (cheap) until one succeeds at the target (or at every task);
   * only the chosen one is recorded.
   */
  readonly attempts: ReadonlyArray<EpisodeAttempt>
  /** Seed of the instruction paraphrase choice. */
  readonly instructionSeed: number
  readonly maxStepsPerTask: number
  /**
   * Frames kept before a language window's end: `Infinity` (the default) annotates the whole subtask, from the
   * frame where it began to the frame where its predicate first holds; CALVIN's own windows use 64 (65 frames).
   */
  readonly annotationSpan: number
  /** σ of the Gaussian noise added to the executed arm action (DART; 0 = none). See `Noise.ts`. */
  readonly noise: number
  readonly cameras: boolean
  readonly depth: boolean
}

/** @since 0.1.0 @category models */
export interface PlanOptions {
  readonly seed: number
  readonly tasksPerEpisode: number
  readonly maxStepsPerTask: number
  /** Restrict the tasks drawn (default: all 34). */
  readonly taskPool?: ReadonlyArray<TaskName> | undefined
  /** Frames kept before a language window's end (default: the whole subtask; see `EpisodePlan.annotationSpan`). */
  readonly annotationSpan?: number | undefined
  /** σ of the executed-action noise (default 0). */
  readonly noise?: number | undefined
  /**
   * Balance tasks: episode e targets one task (`planSplit`: the least planned so far; `planEpisode` alone: e mod
   * 34) and its sequence is drawn among the valid ones that reach it, ending there. Without it, sequences are CALVIN-like play (uniform among applicable tasks),
   * where rare tasks (rotate/push of one colour, lift from the drawer) need hundreds of episodes.
   */
  readonly balance?: boolean
  /** Candidate plays per episode (default 1; see `EpisodePlan.attempts`). */
  readonly attempts?: number
  readonly cameras: boolean
  readonly depth: boolean
}

/** Frame ids an episode may use: every task at its step limit, plus the final hold frame. @since 0.1.0 @category utils */
export const frameBudget = (options: Pick<PlanOptions, "tasksPerEpisode" | "maxStepsPerTask">): number => options.tasksPerEpisode * options.maxStepsPerTask + 2

/**
 * A random valid task sequence from `state`: at most `count` tasks, distinct categories, each applicable (exactly
 * one branch) when its turn comes.
 *
 * @since 0.1.0
 * @category planning
 */
export const randomTaskSequence = (state: SymbolicState, count: number, rng: Rng, pool?: ReadonlyArray<TaskName>): Array<TaskName> => {
  const allowed = pool === undefined ? undefined : new Set(pool)
  const used = new Set<string>()
  const tasks: Array<TaskName> = []
  let current: SymbolicState | undefined = state
  while (tasks.length < count && current !== undefined) {
    const options = applicableTasks(current).filter((t) => !used.has(categoryOf(t)) && (allowed === undefined || allowed.has(t)))
    if (options.length === 0) break
    const task = options[rng.int(0, options.length - 1)]!
    tasks.push(task)
    used.add(categoryOf(task))
    current = applyTask(task, current)
  }
  return tasks
}

const splitKey = (split: SplitName) => (split === "training" ? 1 : 2)

/**
 * The plan of episode `episode` of a split (targeting `target`, by default task e mod 34 when balancing). Each attempt draws its initial state uniformly from CALVIN's 192 states
 * and a valid sequence from it; with balancing the sequence must reach the target and ends there; with a
 * restricted task pool, up to 64 draws are tried and the longest sequence is kept.
 *
 * @since 0.1.0
 * @category planning
 */
export const planEpisode = (
  split: SplitName,
  episode: number,
  scene: SceneId,
  firstFrameId: number,
  options: PlanOptions,
  target: TaskName | undefined = options.balance === true ? (options.taskPool ?? TASK_NAMES)[episode % (options.taskPool ?? TASK_NAMES).length]! : undefined
): EpisodePlan => {
  const attempts: Array<EpisodeAttempt> = []
  for (let attempt = 0; attempt < Math.max(1, options.attempts ?? 1); attempt++) {
    const rng = new Rng(deriveSeed(options.seed, splitKey(split), episode, attempt))
    let best: { state: SymbolicState; tasks: Array<TaskName> } | undefined
    const draws = target !== undefined ? 4096 : options.taskPool === undefined ? 1 : 64
    for (let d = 0; d < draws; d++) {
      const state = INITIAL_STATES[rng.int(0, INITIAL_STATES.length - 1)]!
      const tasks = randomTaskSequence(state, options.tasksPerEpisode, rng, options.taskPool)
      if (target !== undefined) {
        // End at the target: tasks after it would spend camera frames on already common tasks.
        const at = tasks.indexOf(target)
        if (at < 0) continue
        best = { state, tasks: tasks.slice(0, at + 1) }
        break
      }
      if (best === undefined || tasks.length > best.tasks.length) best = { state, tasks }
      if (tasks.length >= options.tasksPerEpisode) break
    }
    // A target no valid sequence reaches within the task limit: fall back to plain play.
    best ??= (() => {
      const state = INITIAL_STATES[rng.int(0, INITIAL_STATES.length - 1)]!
      return { state, tasks: randomTaskSequence(state, options.tasksPerEpisode, rng, options.taskPool) }
    })()
    attempts.push({
      ...best,
      resetSeed: deriveSeed(options.seed, splitKey(split), episode, attempt, 1),
      noiseSeed: deriveSeed(options.seed, splitKey(split), episode, attempt, 3)
    })
  }
  return {
    split,
    episode,
    scene,
    firstFrameId,
    frameBudget: frameBudget(options),
    ...(target !== undefined ? { target } : {}),
    attempts,
    instructionSeed: deriveSeed(options.seed, splitKey(split), episode, 2),
    maxStepsPerTask: options.maxStepsPerTask,
    annotationSpan: options.annotationSpan ?? Number.POSITIVE_INFINITY,
    noise: options.noise ?? 0,
    cameras: options.cameras,
    depth: options.depth
  }
}

/**
 * The plans of a whole split. Episodes are split among `scenes` in contiguous blocks (so `scene_info` ranges are
 * contiguous) and episode e owns frame ids from `base + e · budget`. With balancing, episode e targets the task
 * with the fewest planned occurrences so far (counting every task of the earlier plans' first attempts; ties go to
 * the earlier task), which gives rare tasks (one-colour rotate/push, lift from the drawer) as many plays as common
 * ones. Plans depend only on the options, never on outcomes, so a resumed run plans the same episodes.
 *
 * @since 0.1.0
 * @category planning
 */
export const planSplit = (split: SplitName, episodes: number, scenes: ReadonlyArray<SceneId>, base: number, options: PlanOptions): Array<EpisodePlan> => {
  const budget = frameBudget(options)
  const pool = options.taskPool ?? TASK_NAMES
  const planned = new Map<TaskName, number>(pool.map((t) => [t, 0]))
  const plans: Array<EpisodePlan> = []
  for (let e = 0; e < episodes; e++) {
    const scene = scenes[Math.floor((e * scenes.length) / episodes)]!
    let target: TaskName | undefined
    if (options.balance === true) {
      for (const task of pool) if (target === undefined || planned.get(task)! < planned.get(target)!) target = task
    }
    const plan = planEpisode(split, e, scene, base + e * budget, options, target)
    for (const task of plan.attempts[0]!.tasks) planned.set(task, (planned.get(task) ?? 0) + 1)
    plans.push(plan)
  }
  return plans
}
