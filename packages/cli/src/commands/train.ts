/**
 * `robovla train`: train a VLA policy (any backbone + head plugin, any structure) on a CALVIN-format dataset,
 * with flags or a Schema-decoded JSON config file, resumable, with progress, a JSONL log and a loss plot.
 *
 * @since 0.1.0
 */
import * as path from "node:path"
import { TrainError } from "@robovla/train"
import { decodeTrainConfig, pluginPackage, readTrainConfig, train, type TrainConfigFile } from "@robovla/train/trainer"
import type { CliCommand } from "../CliCommand.ts"
import { listenForStop } from "../StopSignal.ts"
import { trainProgressPrinter } from "../Progress.ts"
import { parseFlags } from "../Flags.ts"

const HELP = `usage: robovla train --data DIR --out DIR [options]
       robovla train --config train.json [options]     (flags override the file)

Trains a VLA policy the RoboVLMs way (reference/robovlms.md §3–§8) on DIR/training, validating on
DIR/validation, and writes OUT/checkpoints/step-…/ (config.json + model.safetensors: loadPolicyModel,
the bench's vla: spec and a gateway plugins deployment load it as is), OUT/policy/ (the last checkpoint),
OUT/policy-best/ (the one with the lowest validation loss), OUT/log.jsonl, OUT/loss.html and OUT/loss.png.

options:
  --config FILE          JSON: data, out, backbone, backboneConfig, backboneWeights, head, headConfig, vla (RoboVLMs keys),
                         batchSize, epochs, maxSteps, valEvery, valBatches, checkpointEvery, keep, seed,
                         cache, cacheViews, trainActionToken, stateToken, workers (a bad key is named)
  --backbone NAME        backbone plugin (default tiny-vlm = @robovla/backbone-tiny-vlm)
  --backbone-weights P   start the backbone from pre-trained weights: a robovla pretrain-vl output folder
                         (P/backbone.safetensors) or a safetensors file with the backbone's weight names;
                         same backbone sizes needed; [LRN] and the head start as without it
  --head NAME            head plugin: lstm | gpt | mlp | discrete | a package (default lstm)
  --history post|pre|one_step   structure: policy-head, interleaved, one-step (default post; one_step sets W 1)
  --window W             window_size (default 8)          --chunk N   fwd_pred_next_n (default 10)
  --hidden H             act_head.hidden_size (default 256)   --layers K  act_head.num_layers (default 2)
  --batch-size B         (default 8)                      --lr X      learning_rate (default 1e-4)
  --epochs N             (default 5)                      --max-steps N   stop after N optimiser steps
  --val-every K          validate every K steps (default: every epoch)
  --val-batches N        at most N validation batches per evaluation (default all)
  --checkpoint-every K   (default: at each validation)    --keep N    checkpoints kept (default 3)
  --seed N               (default vla.seed, 123)          --workers K loader threads (default 0)
  --cache auto|off       train from cached features of frozen parts (default auto)
  --cache-views V        cached augmentation views (default 1 = no augmentation when cached)
  --head-only            keep [LRN] fixed (with a frozen backbone: trains the head from cached [LRN] features)
  --freeze-backbone  --no-train-vision  --no-train-text-embedding  --train-decoder-layers K   (§7.1)
  --state-token          add the robot_obs state token before [LRN]
  --resume               continue OUT from checkpoints/latest.json (same data order and optimiser state)
  --quiet                no progress line

Ctrl-C writes a checkpoint at the current step and exits cleanly (a second Ctrl-C quits at once).

Defaults are sized for a 2-core CPU machine (tiny-vlm 32 px, LSTM 256×2, batch 8); RoboVLMs' CALVIN values
(LSTM 1024×4, lr 2e-5, batch 41) apply to keys a config file's vla gives.
`

const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v))

export const command: CliCommand = {
  name: "train",
  summary: "train a VLA policy on a CALVIN-format dataset (resumable, checkpoints, loss plot)",
  run: async (args) => {
    const parsed = parseFlags("train", HELP, args, {
      config: { type: "string" },
      data: { type: "string" },
      out: { type: "string" },
      backbone: { type: "string" },
      "backbone-weights": { type: "string" },
      head: { type: "string" },
      history: { type: "string" },
      window: { type: "string" },
      chunk: { type: "string" },
      hidden: { type: "string" },
      layers: { type: "string" },
      "batch-size": { type: "string" },
      lr: { type: "string" },
      epochs: { type: "string" },
      "max-steps": { type: "string" },
      "val-every": { type: "string" },
      "val-batches": { type: "string" },
      "checkpoint-every": { type: "string" },
      keep: { type: "string" },
      seed: { type: "string" },
      workers: { type: "string" },
      cache: { type: "string" },
      "cache-views": { type: "string" },
      "head-only": { type: "boolean" },
      "freeze-backbone": { type: "boolean" },
      "train-vision": { type: "boolean" },
      "train-text-embedding": { type: "boolean" },
      "train-decoder-layers": { type: "string" },
      "state-token": { type: "boolean" },
      resume: { type: "boolean", default: false },
      quiet: { type: "boolean", default: false }
    }, { allowNegative: true })
    if ("exit" in parsed) return parsed.exit
    const v = parsed.values
    try {
      const file: TrainConfigFile = v.config === undefined ? {} : readTrainConfig(v.config)
      const base = v.config === undefined ? process.cwd() : path.dirname(path.resolve(v.config))
      // Flags win over the file; the file's paths are relative to the file.
      const history = v.history ?? ((file.vla?.["act_head"] as Record<string, unknown> | undefined)?.["history_type"] as string | undefined) ?? "post"
      const fileVla = file.vla ?? {}
      const fileHead = (fileVla["act_head"] ?? {}) as Record<string, unknown>
      const fileSetup = (fileVla["train_setup"] ?? {}) as Record<string, unknown>
      const headName = v.head ?? file.head ?? "lstm"
      const vla: Record<string, unknown> = {
        window_size: history === "one_step" ? 1 : 8,
        learning_rate: 1e-4,
        batch_size: 8,
        ...fileVla,
        act_head: {
          hidden_size: 256,
          num_layers: 2,
          ...fileHead,
          type: fileHead["type"] ?? (headName.replace(/^.*head-/, "") as string),
          history_type: history,
          ...(v.hidden !== undefined ? { hidden_size: Number(v.hidden) } : {}),
          ...(v.layers !== undefined ? { num_layers: Number(v.layers) } : {})
        },
        train_setup: {
          ...fileSetup,
          ...(v["freeze-backbone"] !== undefined ? { freeze_backbone: v["freeze-backbone"] } : {}),
          ...(v["train-vision"] !== undefined ? { train_vision: v["train-vision"] } : {}),
          ...(v["train-text-embedding"] !== undefined ? { train_text_embedding: v["train-text-embedding"] } : {}),
          ...(v["train-decoder-layers"] !== undefined ? { train_decoder_layers: Number(v["train-decoder-layers"]) } : {})
        },
        // --history one_step is W 1 whatever the file's window says (an explicit --window still wins).
        ...(v.history === "one_step" ? { window_size: 1 } : {}),
        ...(v.window !== undefined ? { window_size: Number(v.window) } : {}),
        ...(v.chunk !== undefined ? { fwd_pred_next_n: Number(v.chunk) } : {}),
        ...(v.lr !== undefined ? { learning_rate: Number(v.lr) } : {})
      }
      const merged = decodeTrainConfig({
        ...file,
        ...(v.data !== undefined ? { data: v.data } : {}),
        ...(v.out !== undefined ? { out: v.out } : {}),
        ...(v["backbone-weights"] !== undefined ? { backboneWeights: v["backbone-weights"] } : {}),
        ...(v["batch-size"] !== undefined ? { batchSize: num(v["batch-size"]) } : {}),
        ...(v.epochs !== undefined ? { epochs: num(v.epochs) } : {}),
        ...(v["max-steps"] !== undefined ? { maxSteps: num(v["max-steps"]) } : {}),
        ...(v["val-every"] !== undefined ? { valEvery: num(v["val-every"]) } : {}),
        ...(v["val-batches"] !== undefined ? { valBatches: num(v["val-batches"]) } : {}),
        ...(v["checkpoint-every"] !== undefined ? { checkpointEvery: num(v["checkpoint-every"]) } : {}),
        ...(v.keep !== undefined ? { keep: num(v.keep) } : {}),
        ...(v.seed !== undefined ? { seed: num(v.seed) } : {}),
        ...(v.workers !== undefined ? { workers: num(v.workers) } : {}),
        ...(v.cache !== undefined ? { cache: v.cache } : {}),
        ...(v["cache-views"] !== undefined ? { cacheViews: num(v["cache-views"]) } : {}),
        ...(v["head-only"] === true ? { trainActionToken: false } : {}),
        ...(v["state-token"] !== undefined ? { stateToken: v["state-token"] } : {})
      }, "flags")
      if (merged.data === undefined || merged.out === undefined) {
        console.error(`robovla train: --data and --out are required (or data / out in --config)\n\n${HELP}`)
        return 2
      }
      // Paths from the file are relative to the file; paths from flags to the current directory.
      const resolve = (fromFlag: string | undefined, p: string) => (fromFlag === undefined ? path.resolve(base, p) : path.resolve(p))
      const stopper = listenForStop("robovla train: stopping after this step and writing a checkpoint (again to quit at once)")
      try {
        const summary = await train({
          ...merged,
          data: resolve(v.data, merged.data),
          out: resolve(v.out, merged.out),
          backboneWeights: merged.backboneWeights === undefined ? undefined : resolve(v["backbone-weights"], merged.backboneWeights),
          backbone: pluginPackage("backbone", merged.backbone ?? "tiny-vlm"),
          head: pluginPackage("head", headName),
          vla,
          resume: v.resume,
          signal: stopper.signal,
          ...(v.quiet ? {} : { onProgress: trainProgressPrinter(), onMessage: (line: string) => process.stderr.write(`${line}\n`) })
        })
        const val = (m: typeof summary.lastVal) =>
          m === undefined ? "-" : `loss ${m.loss.toFixed(4)}, arm MAE ${m.armMae.toFixed(4)}, gripper accuracy ${(m.gripperAccuracy * 100).toFixed(1)}%`
        process.stdout.write(
          `${summary.interrupted ? "stopped" : "finished"} at step ${summary.steps} (epoch ${summary.epochs}) in ${summary.seconds.toFixed(1)} s: ` +
            `${summary.samplesPerSecond.toFixed(1)} samples/s, cache ${summary.cache}, ${summary.trainableParameters} trainable parameters\n` +
            `validation: first ${val(summary.firstVal)}; last ${val(summary.lastVal)}` +
            `${summary.best === undefined ? "" : `; best ${summary.best.loss.toFixed(4)} at step ${summary.best.step} (policy-best/)`}\n` +
            `checkpoint: ${summary.checkpoint}\nplot: ${path.join(resolve(v.out, merged.out), "loss.html")} (and loss.png)\n` +
            (summary.interrupted ? `resume with the same command and --resume\n` : "")
        )
        return 0
      } finally {
        stopper.dispose()
      }
    } catch (error) {
      if (error instanceof TrainError) {
        console.error(`robovla train: ${error.reason}: ${error.message}`)
        if (process.env["ROBOVLA_DEBUG"] !== undefined) console.error(error.cause)
        return error.reason === "InvalidInput" ? 2 : 1
      }
      throw error
    }
  }
}
