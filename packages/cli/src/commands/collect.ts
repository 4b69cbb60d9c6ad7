/**
 * `robovla collect`: record a CALVIN-layout dataset with the scripted experts (training/ from the training scenes,
 * validation/ from the validation scene), resumable and parallel.
 *
 * @since 0.1.0
 */
import { parseArgs } from "node:util"
import { Collect, TrainError } from "@robovla/train"
import { Schema } from "effect"
import type { CliCommand } from "../CliCommand.ts"
import { recordingProgressPrinter } from "../Progress.ts"
import { listenForStop } from "../StopSignal.ts"

const HELP = `usage: robovla collect --scenes A,B,C --episodes N --out DIR [options]

Runs the scripted experts through random valid task sequences (CALVIN's symbolic model, at most one task
per category), records 30 Hz frames (CALVIN .npz keys, rgb_static 200x200, rgb_gripper 84x84) and annotates
every subtask that succeeds with a training paraphrase, from its first frame to the frame where it succeeds. Writes DIR/training and DIR/validation with
ep_start_end_ids.npy, ep_lens.npy, scene_info.npy, lang_annotations/auto_lang_ann.npy and statistics.yaml/json.

options:
  --scenes A,B,C        training scenes (episodes are split among them in contiguous blocks)
  --episodes N          training episodes, all scenes together
  --out DIR             dataset folder
  --val-scene D         also record a validation split in this scene
  --val-episodes N      validation episodes (default: episodes per training scene)
  --workers K           parallel simulators (worker threads; default 1)
  --resume              continue a killed run in DIR (same options), skipping finished episodes
  --cameras / --no-cameras   record the RGB cameras (default on)
  --depth               also record depth_static / depth_gripper
  --tasks a,b,...       only these tasks
  --tasks-per-episode N at most N subtasks per episode (default 5)
  --max-steps N         expert step limit per subtask (default 360)
  --balance             episode e targets task e mod 34 (evens out rare tasks)
  --attempts N          candidate plays per episode, tried without cameras until one works (default 1)
  --annotation-span N   annotate only the last N frames before each success (CALVIN: 64; default: the
                        whole subtask)
  --noise S             DART: add seeded Gaussian noise of std S to the executed arm action while the
                        expert's clean action is recorded (relative-action units: 0.1 = 2 mm / 5 mrad per
                        step; default 0; 0.1 keeps the experts as successful, 0.3 fails a third)
  --seed N              (default 0)
  --quiet               no progress line
`

const Scene = Schema.Literals(["A", "B", "C", "D"])
const Flags = Schema.Struct({
  scenes: Schema.Array(Scene),
  episodes: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  out: Schema.NonEmptyString,
  valScene: Schema.optional(Scene),
  valEpisodes: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  workers: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  tasksPerEpisode: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  maxStepsPerTask: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  attempts: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  annotationSpan: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
  noise: Schema.Number.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(1)),
  seed: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
})

const list = (value: string | undefined): Array<string> =>
  value === undefined ? [] : value.split(",").map((s) => s.trim()).filter((s) => s !== "")
const num = (value: string | undefined, fallback: number): number => (value === undefined ? fallback : Number(value))

export const command: CliCommand = {
  name: "collect",
  summary: "record a CALVIN-format dataset with the scripted experts (resumable, parallel)",
  run: async (args) => {
    let values
    try {
      values = parseArgs({
        args: [...args],
        allowNegative: true,
        options: {
          scenes: { type: "string" },
          episodes: { type: "string" },
          out: { type: "string" },
          "val-scene": { type: "string" },
          "val-episodes": { type: "string" },
          workers: { type: "string" },
          resume: { type: "boolean", default: false },
          cameras: { type: "boolean", default: true },
          depth: { type: "boolean", default: false },
          tasks: { type: "string" },
          "tasks-per-episode": { type: "string" },
          "max-steps": { type: "string" },
          balance: { type: "boolean", default: false },
          attempts: { type: "string" },
          "annotation-span": { type: "string" },
          noise: { type: "string" },
          seed: { type: "string" },
          quiet: { type: "boolean", default: false },
          help: { type: "boolean", short: "h", default: false }
        }
      }).values
    } catch (error) {
      process.stderr.write(`robovla collect: ${(error as Error).message}\n\n${HELP}`)
      return 2
    }
    if (values.help) {
      process.stdout.write(HELP)
      return 0
    }
    let flags: typeof Flags.Type
    try {
      flags = Schema.decodeUnknownSync(Flags)({
        scenes: list(values.scenes),
        episodes: num(values.episodes, Number.NaN),
        out: values.out ?? "",
        ...(values["val-scene"] !== undefined ? { valScene: values["val-scene"] } : {}),
        ...(values["val-episodes"] !== undefined ? { valEpisodes: Number(values["val-episodes"]) } : {}),
        workers: num(values.workers, 1),
        tasksPerEpisode: num(values["tasks-per-episode"], 5),
        maxStepsPerTask: num(values["max-steps"], 360),
        attempts: num(values.attempts, 1),
        ...(values["annotation-span"] !== undefined ? { annotationSpan: Number(values["annotation-span"]) } : {}),
        noise: num(values.noise, 0),
        seed: num(values.seed, 0)
      })
    } catch (error) {
      process.stderr.write(`robovla collect: invalid flags: ${(error as Error).message}\n\n${HELP}`)
      return 2
    }
    const tasks = list(values.tasks)
    // First Ctrl-C / SIGTERM: stop starting episodes and write the indexes of the finished ones; a later one: quit.
    const stop = listenForStop("robovla collect: stopping; writing the indexes of the finished episodes (again to quit)")
    try {
      const summary = await Collect.collect({
        out: flags.out,
        scenes: flags.scenes,
        episodes: flags.episodes,
        valScene: flags.valScene,
        valEpisodes: flags.valEpisodes,
        workers: flags.workers,
        resume: values.resume,
        cameras: values.cameras,
        depth: values.depth,
        seed: flags.seed,
        tasksPerEpisode: flags.tasksPerEpisode,
        maxStepsPerTask: flags.maxStepsPerTask,
        attempts: flags.attempts,
        annotationSpan: flags.annotationSpan,
        noise: flags.noise,
        balance: values.balance,
        tasks: tasks.length === 0 ? undefined : tasks,
        signal: stop.signal,
        ...(values.quiet ? {} : { onProgress: recordingProgressPrinter() })
      })
      if (summary.interrupted) process.stdout.write(`stopped early: the dataset holds the finished episodes; rerun with --resume to complete it\n`)
      for (const [split, s] of Object.entries(summary.splits)) {
        process.stdout.write(`${split}: ${s.episodes} episodes, ${s.frames} frames, ${s.annotations} annotated segments over ${Object.keys(s.perTask).length} tasks\n`)
      }
      process.stdout.write(`recorded ${summary.framesRun} frames in ${summary.wallSeconds.toFixed(0)} s (${summary.framesPerSecond.toFixed(1)} frames/s); summary in ${flags.out}/collect-summary.json\n`)
      return 0
    } catch (error) {
      if (error instanceof TrainError) {
        process.stderr.write(`robovla collect: ${error.reason}: ${error.message}\n`)
        return error.reason === "InvalidInput" ? 2 : 1
      }
      throw error
    } finally {
      stop.dispose()
    }
  }
}
