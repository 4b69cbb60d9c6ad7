/**
 * `robovla vl-pairs`: image–text pairs from the play table (captions and questions/answers about the scene) for
 * pre-training a backbone as a vision-language model, with a held-out split by arrangement.
 *
 * @since 0.1.0
 */
import { TrainError, Vl } from "@robovla/train"
import { Schema } from "effect"
import type { CliCommand } from "../CliCommand.ts"
import { recordingProgressPrinter } from "../Progress.ts"
import { parseFlags } from "../Flags.ts"
import { listenForStop } from "../StopSignal.ts"

const HELP = `usage: robovla vl-pairs --scenes A,B,C --episodes N --out DIR [options]

The scripted experts play random task sequences; every --stride steps both cameras are rendered and the
frame's facts (where each block is, drawer, sliding door, lights, button, switch, gripper, arm) are read
from the simulator. Each frame gives one caption and --questions question/answer pairs. Writes
DIR/frames/*.png, DIR/train.jsonl, DIR/val.jsonl (one pair per line) and DIR/vl-pairs.json. Frames whose
arrangement (lights, doors, block places) hashes into the held-out fraction go to val; val also uses
phrasings that train never sees.

options:
  --scenes A,B,C        scenes (default A,B,C)
  --episodes N          expert episodes per scene
  --out DIR             output folder
  --stride N            steps between sampled frames (default 12, jittered)
  --questions N         question/answer pairs per frame (default 4)
  --caption-facts N     facts per caption (default 5; 0 = all)
  --held-out F          fraction of arrangements held out for val (default 0.15)
  --seed N              (default 0)
  --resume              continue a stopped run in DIR (same options)
  --quiet               no progress line
`

const Scene = Schema.Literals(["A", "B", "C", "D"])
const Int = (min: number) => Schema.Int.check(Schema.isGreaterThanOrEqualTo(min))
const Flags = Schema.Struct({
  scenes: Schema.Array(Scene),
  episodes: Int(1),
  out: Schema.NonEmptyString,
  stride: Int(1),
  questions: Int(0),
  captionFacts: Int(0),
  heldOut: Schema.Number.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThan(1)),
  seed: Int(0)
})

const list = (value: string | undefined, fallback: string) => (value ?? fallback).split(",").map((s) => s.trim()).filter((s) => s !== "")
const num = (value: string | undefined, fallback: number) => (value === undefined ? fallback : Number(value))

export const command: CliCommand = {
  name: "vl-pairs",
  summary: "generate image-text pairs (captions, questions/answers) from the play table for VLM pre-training",
  run: async (args) => {
    const parsed = parseFlags("vl-pairs", HELP, args, {
      scenes: { type: "string" },
      episodes: { type: "string" },
      out: { type: "string" },
      stride: { type: "string" },
      questions: { type: "string" },
      "caption-facts": { type: "string" },
      "held-out": { type: "string" },
      seed: { type: "string" },
      resume: { type: "boolean" },
      quiet: { type: "boolean" }
    })
    if ("exit" in parsed) return parsed.exit
    const v = parsed.values
    let flags: typeof Flags.Type
    try {
      flags = Schema.decodeUnknownSync(Flags)({
        scenes: list(v.scenes, "A,B,C"),
        episodes: num(v.episodes, Number.NaN),
        out: v.out ?? "",
        stride: num(v.stride, 12),
        questions: num(v.questions, 4),
        captionFacts: num(v["caption-facts"], 5),
        heldOut: num(v["held-out"], 0.15),
        seed: num(v.seed, 0)
      })
    } catch (error) {
      process.stderr.write(`robovla vl-pairs: invalid flags: ${(error as Error).message}\n\n${HELP}`)
      return 2
    }
    const stop = listenForStop("robovla vl-pairs: stopping after this episode (again to quit)")
    try {
      const summary = await Vl.generateVlPairs({
        ...flags,
        resume: v.resume === true,
        signal: stop.signal,
        ...(v.quiet === true
          ? {}
          : { onProgress: recordingProgressPrinter() })
      })
      if (summary.interrupted) process.stdout.write("stopped early: rerun with --resume to complete it\n")
      for (const split of ["train", "val"] as const) {
        process.stdout.write(`${split}: ${summary.frames[split]} frames, ${summary.pairs[split]} pairs, ${summary.arrangements[split]} arrangements\n`)
      }
      process.stdout.write(`${summary.wallSeconds.toFixed(0)} s (${summary.framesPerSecond.toFixed(1)} frames/s); ${flags.out}/train.jsonl, ${flags.out}/val.jsonl\n`)
      return 0
    } catch (error) {
      if (error instanceof TrainError) {
        process.stderr.write(`robovla vl-pairs: ${error.reason}: ${error.message}\n`)
        return error.reason === "InvalidInput" ? 2 : 1
      }
      throw error
    } finally {
      stop.dispose()
    }
  }
}
