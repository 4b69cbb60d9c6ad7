/**
 * `robovla pretrain-vl`: pre-train a backbone as a vision-language model on a `robovla vl-pairs` set (next-token
 * prediction of captions and answers from both cameras + the prompt), resumable, with greedy-decoding accuracy on
 * the held-out split beside the blind baseline. The logic lives in `@robovla/train/trainer` (`pretrainVl`).
 *
 * @since 0.1.0
 */
import * as path from "node:path"
import { TrainError } from "@robovla/train"
import { pluginPackage, pretrainVl } from "@robovla/train/trainer"
import { Schema } from "effect"
import type { CliCommand } from "../CliCommand.ts"
import { listenForStop } from "../StopSignal.ts"
import { jsonArg, parseFlags } from "../Flags.ts"
import { trainProgressPrinter } from "../Progress.ts"

const HELP = `usage: robovla pretrain-vl --pairs DIR --out DIR [options]

Pre-trains the backbone as a vision-language model on a robovla vl-pairs folder: cross-entropy on the
caption / answer tokens given both camera images and the prompt, through the ViT (trained too), the
decoder and the language-model head (tiny-vlm: tied to the word embedding). Evaluates by greedy decoding
on DIR/val.jsonl (answer accuracy vs the blind most-frequent-answer baseline, caption statement accuracy
and recall). Writes OUT/backbone/backbone.safetensors + backbone.json (what robovla train
--backbone-weights OUT/backbone loads), OUT/checkpoints/, OUT/log.jsonl, OUT/curve.html and curve.png,
OUT/predictions.jsonl and OUT/summary.json.

options:
  --pairs DIR            a robovla vl-pairs folder (train.jsonl, val.jsonl, frames/)
  --out DIR              run folder
  --backbone NAME        backbone plugin (default tiny-vlm = @robovla/backbone-tiny-vlm, default config:
                         the same sizes robovla train uses, so the weights load there)
  --backbone-config JSON JSON object (or a file of it) merged over the plugin's default config, e.g. {"hiddenSize": 128} for a
                         wider decoder (train it then with the same backboneConfig in robovla train's --config)
  --steps N              optimiser steps (default 2000)
  --batch-size B         pairs per step (default 32)
  --lr X                 peak learning rate (default 1e-3; linear warm-up, then half-cosine to 10%)
  --warmup N             warm-up steps (default 100)
  --seed N               (default 0)
  --eval-every K         evaluate a val subset every K steps (default 250; 0 = only at the end)
  --eval-answers N       val questions decoded per periodic evaluation (default 400)
  --eval-captions N      val captions decoded per periodic evaluation (default 40)
  --final-captions N     val captions decoded at the end, spread evenly (default all; every val question is
                         always decoded). Greedy captions cost ~75 forward passes each on the CPU.
  --checkpoint-every K   (default: at each evaluation)  --keep N   checkpoints kept (default 2)
  --resume               continue OUT from checkpoints/latest.json (bit-identical to an uninterrupted run);
                         with --steps equal to the checkpoint's step it only runs the final evaluation
  --quiet                no progress line

Ctrl-C writes a checkpoint and the weights at the current step and exits (a second Ctrl-C quits at once);
the final evaluation on all of val is then skipped: resume with --steps at that step to run it.
`

const Int = (min: number) => Schema.Int.check(Schema.isGreaterThanOrEqualTo(min))
const Flags = Schema.Struct({
  pairs: Schema.NonEmptyString,
  out: Schema.NonEmptyString,
  steps: Int(0),
  batchSize: Int(1),
  learningRate: Schema.Finite.check(Schema.isGreaterThan(0)),
  warmupSteps: Int(0),
  seed: Int(0),
  evalEvery: Int(0),
  evalAnswers: Int(0),
  evalCaptions: Int(0),
  finalCaptions: Schema.optionalKey(Int(0)),
  checkpointEvery: Schema.optionalKey(Int(0)),
  keep: Int(1)
})

const num = (value: string | undefined, fallback: number) => (value === undefined ? fallback : Number(value))

export const command: CliCommand = {
  name: "pretrain-vl",
  summary: "pre-train a backbone as a vision-language model on vl-pairs (resumable, held-out accuracy)",
  run: async (args) => {
    const parsed = parseFlags("pretrain-vl", HELP, args, {
      pairs: { type: "string" },
      out: { type: "string" },
      backbone: { type: "string" },
      "backbone-config": { type: "string" },
      steps: { type: "string" },
      "batch-size": { type: "string" },
      lr: { type: "string" },
      warmup: { type: "string" },
      seed: { type: "string" },
      "eval-every": { type: "string" },
      "eval-answers": { type: "string" },
      "eval-captions": { type: "string" },
      "final-captions": { type: "string" },
      "checkpoint-every": { type: "string" },
      keep: { type: "string" },
      resume: { type: "boolean", default: false },
      quiet: { type: "boolean", default: false }
    })
    if ("exit" in parsed) return parsed.exit
    const v = parsed.values
    let flags: typeof Flags.Type
    try {
      flags = Schema.decodeUnknownSync(Flags)({
        pairs: v.pairs ?? "",
        out: v.out ?? "",
        steps: num(v.steps, 2000),
        batchSize: num(v["batch-size"], 32),
        learningRate: num(v.lr, 1e-3),
        warmupSteps: num(v.warmup, 100),
        seed: num(v.seed, 0),
        evalEvery: num(v["eval-every"], 250),
        evalAnswers: num(v["eval-answers"], 400),
        evalCaptions: num(v["eval-captions"], 40),
        ...(v["final-captions"] !== undefined ? { finalCaptions: Number(v["final-captions"]) } : {}),
        ...(v["checkpoint-every"] !== undefined ? { checkpointEvery: Number(v["checkpoint-every"]) } : {}),
        keep: num(v.keep, 2)
      })
    } catch (error) {
      process.stderr.write(`robovla pretrain-vl: invalid flags: ${(error as Error).message}\n\n${HELP}`)
      return 2
    }
    const sizes = jsonArg("--backbone-config", v["backbone-config"])
    const backboneConfig = "value" in sizes ? sizes.value : undefined
    if ("usage" in sizes || (backboneConfig !== undefined && (typeof backboneConfig !== "object" || backboneConfig === null || Array.isArray(backboneConfig)))) {
      const why = "usage" in sizes ? sizes.usage : `--backbone-config must be a JSON object, e.g. {"hiddenSize": 128}, not ${v["backbone-config"]}`
      process.stderr.write(`robovla pretrain-vl: ${why}\n`)
      return 2
    }
    const stopper = listenForStop("robovla pretrain-vl: stopping after this step and writing a checkpoint (again to quit at once)")
    try {
      const summary = await pretrainVl({
        ...flags,
        pairs: path.resolve(flags.pairs),
        out: path.resolve(flags.out),
        backbone: pluginPackage("backbone", v.backbone ?? "tiny-vlm"),
        ...(backboneConfig !== undefined ? { backboneConfig: backboneConfig as Record<string, unknown> } : {}),
        resume: v.resume,
        signal: stopper.signal,
        ...(v.quiet ? {} : { onProgress: trainProgressPrinter(), onMessage: (line: string) => process.stderr.write(`${line}\n`) })
      })
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`
      const e = summary.finalEval
      process.stdout.write(
        `${summary.interrupted ? "stopped" : "finished"} at step ${summary.steps} in ${summary.seconds.toFixed(0)} s (${summary.pairsPerSecond.toFixed(1)} pairs/s, ${summary.trainableParameters} trainable parameters)\n` +
          (e === undefined
            ? `no final evaluation (stopped): resume with --resume --steps ${summary.steps} to run it\n`
            : `val (${e.pairs} pairs): answers ${pct(e.score.answers.accuracy)} of ${e.score.answers.total} (blind baseline ${pct(e.blind.answers.accuracy)}; held-out phrasings ${pct(e.score.answers.byPhrasing["held-out"].accuracy)}), ` +
              `caption statements ${pct(e.score.captions.accuracy)}, recall ${pct(e.score.captions.recall)}, val loss ${e.valLoss.toFixed(4)}\n`) +
          `weights: ${summary.weights} (robovla train --backbone-weights ${path.dirname(summary.weights)})\ncurve: ${path.join(path.resolve(flags.out), "curve.html")}\n`
      )
      return 0
    } catch (error) {
      if (error instanceof TrainError) {
        process.stderr.write(`robovla pretrain-vl: ${error.reason}: ${error.message}\n`)
        return error.reason === "InvalidInput" ? 2 : 1
      }
      throw error
    } finally {
      stopper.dispose()
    }
  }
}
