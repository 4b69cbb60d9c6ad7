/**
 * Vision-language pre-training of a backbone (issue 13 §2): next-token prediction of the caption / answer of a
 * `robovla vl-pairs` set, given both camera images and the prompt, through the backbone's ViT, decoder and its
 * language-model head (tiny-vlm's is tied to the word embedding). Everything trains, the ViT included: the point
 * is a vision tower that sees.
 *
 * - Sequence: the VLA's own frame layout (`Assembly.frameLayout`, no [LRN]): `[BOS][gripper n][static n]
 *   [prompt…][target…][EOS]`, the prompt wrapped in the backbone tokenizer's template like an instruction, so the
 *   action training that follows sees the images and text where pre-training put them.
 * - Loss: cross-entropy on the target tokens (and the closing EOS) only, averaged per pair and then over the batch,
 *   so a one-word answer weighs as much as a caption. Answers and captions run as separate rows groups (padding
 *   a 60-token answer to a 130-token caption would double the cost).
 * - AdamW + warm-up + schedule and gradient clipping (`trainer/Optimizer.ts`), checkpoints and resume
 *   (`trainer/Checkpoint.ts`: atomic folders, optimiser moments, bit-identical resume: the batch order is a seeded
 *   permutation per epoch and nothing else is random).
 * - Evaluation: teacher-forced validation loss, and greedy decoding scored with `Metrics.ts` (`scoreVl`) beside
 *   the blind baseline (`majorityPredictions`): a subset every `evalEvery` steps, every val question and
 *   `finalCaptions` (default all) val captions at the end.
 * - Output: `<out>/backbone/backbone.safetensors` (the backbone's weights by its own names, loadable as tiny-vlm's
 *   `weights` or by `robovla train --backbone-weights`) + `backbone.json`, `log.jsonl`, `curve.html` / `curve.png`,
 *   `predictions.jsonl` (val), `summary.json`.
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import * as tf from "@tensorflow/tfjs-core"
import { Assembly, PluginLoader, Safetensors, SdkError, type BackboneService, type BackboneTokenizer } from "@robovla/sdk"
import { decodePng } from "@robovla/sim"
import { initTfjs } from "@robovla/tfjs"
import { Effect, Exit, Scope } from "effect"
import { TrainError } from "../TrainError.ts"
import { latestCheckpoint, readCheckpoint, writeAtomic, writeCheckpoint, type NamedTensors, type TrainerState } from "../trainer/Checkpoint.ts"
import { AdamW, learningRateAt, type Schedule } from "../trainer/Optimizer.ts"
import { lossPlotHtml, lossPlotPng, type PlotSeries } from "../trainer/Plot.ts"
import type { TrainProgress } from "../trainer/Progress.ts"
import { deriveSeed, permutation } from "../windows/Random.ts"
import { majorityPredictions, scoreVl, type VlScore } from "./Metrics.ts"
import { readVlPairs, type VlPair } from "./VlPairs.ts"

/** @since 0.1.0 @category models */
export interface VlPretrainOptions {
  /** A `robovla vl-pairs` folder (train.jsonl, val.jsonl, frames/). */
  readonly pairs: string
  /** Run folder. */
  readonly out: string
  /** Backbone plugin package (default `@robovla/backbone-tiny-vlm`). */
  readonly backbone?: string | undefined
  /** Overrides of the plugin's default config (sizes must match the VLA config that will load the weights). */
  readonly backboneConfig?: Record<string, unknown> | undefined
  /** Optimiser steps (default 2000). */
  readonly steps?: number | undefined
  /** Pairs per step (default 32). */
  readonly batchSize?: number | undefined
  /** Peak learning rate (default 1e-3). */
  readonly learningRate?: number | undefined
  /** Linear warm-up steps (default 100). */
  readonly warmupSteps?: number | undefined
  /** After warm-up (default `half-cosine` down to `minLrScale`). */
  readonly schedule?: Schedule | undefined
  /** Floor of the half-cosine schedule (default 0.1). */
  readonly minLrScale?: number | undefined
  readonly weightDecay?: number | undefined
  /** Global gradient-norm clip (default 1; 0 = none). */
  readonly clipNorm?: number | undefined
  readonly seed?: number | undefined
  /** Evaluate (loss + greedy decoding on a val subset) every K steps (default 250; 0 = only at the end). */
  readonly evalEvery?: number | undefined
  /** Val questions decoded at the periodic evaluations (default 400) … */
  readonly evalAnswers?: number | undefined
  /** … and val captions (default 40). The final evaluation decodes every val question and … */
  readonly evalCaptions?: number | undefined
  /**
   * … this many val captions, spread evenly (default all). Greedy captions cost ~75 full forward passes each
   * (no KV cache), so on a CPU all of a large val split can take longer than the training.
   */
  readonly finalCaptions?: number | undefined
  /** Checkpoint every K steps (default: at each evaluation). */
  readonly checkpointEvery?: number | undefined
  /** Checkpoints kept (default 2). */
  readonly keep?: number | undefined
  /** Continue from `out/checkpoints/latest.json`; with `steps` equal to its step it only evaluates. */
  readonly resume?: boolean | undefined
  /** Folder plugins resolve from (default cwd). */
  readonly from?: string | undefined
  /** Aborting writes a checkpoint at the current step and returns with `interrupted: true` (no final decoding). */
  readonly signal?: AbortSignal | undefined
  readonly onProgress?: ((p: TrainProgress) => void) | undefined
  readonly onMessage?: ((line: string) => void) | undefined
}

/** One evaluation. @since 0.1.0 @category models */
export interface VlEvaluation {
  readonly step: number
  /** Teacher-forced loss (per-pair mean token cross-entropy) on a fixed val subset. */
  readonly valLoss: number
  /** Greedy decoding scored with `scoreVl`. */
  readonly score: VlScore
  /** The blind baseline (most frequent training answer per attribute) on the same pairs. */
  readonly blind: VlScore
  /** Pairs decoded. */
  readonly pairs: number
  readonly seconds: number
}

/** @since 0.1.0 @category models */
export interface VlPretrainSummary {
  readonly steps: number
  readonly interrupted: boolean
  readonly resumedFrom: number | undefined
  readonly seconds: number
  readonly stepsPerSecond: number
  readonly pairsPerSecond: number
  readonly finalTrainLoss: number
  readonly firstEval: VlEvaluation | undefined
  /** Every val question and `finalCaptions` val captions, greedy (absent when interrupted). */
  readonly finalEval: VlEvaluation | undefined
  readonly checkpoint: string
  /** `<out>/backbone/backbone.safetensors`. */
  readonly weights: string
  readonly trainableParameters: number
  readonly trainPairs: number
  readonly valPairs: number
}

/** The name of the published weights file inside `<out>/backbone/`. @since 0.1.0 @category constants */
export const BACKBONE_WEIGHTS_FILE = "backbone.safetensors"

/** The tensor face pre-training needs: tiny-vlm's `backbone.model` (encode, embed, forward, LM head, variables). */
interface LanguageModel {
  readonly encodeImages: (pixels: tf.Tensor) => tf.Tensor
  readonly embedTokens: (ids: tf.Tensor) => tf.Tensor
  readonly forward: (inputsEmbeds: tf.Tensor, attentionMask: tf.Tensor) => tf.Tensor
  readonly lmLogits: (hidden: tf.Tensor) => tf.Tensor
  readonly variables: ReadonlyMap<string, tf.Variable>
}

const languageModelOf = (backbone: BackboneService): LanguageModel | undefined => {
  const model = (backbone as unknown as { readonly model?: Partial<LanguageModel> }).model
  if (
    model === undefined || typeof model.encodeImages !== "function" || typeof model.embedTokens !== "function" ||
    typeof model.forward !== "function" || typeof model.lmLogits !== "function" || !(model.variables instanceof Map)
  ) return undefined
  return {
    encodeImages: (x) => model.encodeImages!(x),
    embedTokens: (x) => model.embedTokens!(x),
    forward: (x, m) => model.forward!(x, m),
    lmLogits: (h) => model.lmLogits!(h),
    variables: model.variables
  }
}

const invalid = (message: string) => new TrainError({ reason: "InvalidInput", message })

const asTrainError = (cause: unknown): TrainError =>
  cause instanceof TrainError
    ? cause
    : cause instanceof SdkError
    ? new TrainError({ reason: cause.reason === "CorruptFile" ? "CorruptFile" : cause.reason === "WeightsNotFound" ? "MissingFile" : "InvalidInput", message: cause.message, cause })
    : new TrainError({ reason: "InvalidInput", message: cause instanceof Error ? cause.message : String(cause), cause })

const hashJson = (value: unknown): string => crypto.createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16)

// ---------------------------------------------------------------------------------------------------------------
// tokens and images
// ---------------------------------------------------------------------------------------------------------------

/** A pair as the model sees it: the frame's row in the image buffers, the prompt ids and the target ids. */
interface Example {
  readonly pair: VlPair
  readonly frame: number
  /** BOS + the templated prompt, no EOS. */
  readonly prompt: ReadonlyArray<number>
  /** The target's ids + EOS (what the loss predicts). */
  readonly target: ReadonlyArray<number>
}

/**
 * Prompt and target ids from the backbone's own tokenizer: `encode(prompt)` (template, BOS, EOS) without its EOS,
 * and the rest of `encode(prompt + " " + target)`. Needs a tokenizer whose template ends with the instruction and
 * that does not merge across the space (byte-level BPE with word pre-tokenisation does not).
 */
const makeTokenize = (tokenizer: BackboneTokenizer) => {
  const cache = new Map<string, ReadonlyArray<number>>()
  const encode = (text: string) => cache.get(text) ?? cache.set(text, tokenizer.encode(text)).get(text)!
  const eos = tokenizer.eosId
  return (pair: VlPair): { prompt: ReadonlyArray<number>; target: ReadonlyArray<number> } => {
    const withEos = encode(pair.prompt)
    const prompt = eos !== undefined && withEos.at(-1) === eos ? withEos.slice(0, -1) : withEos
    const full = tokenizer.encode(`${pair.prompt} ${pair.target}`)
    if (full.length <= prompt.length || prompt.some((id, i) => full[i] !== id)) {
      throw invalid(`the backbone tokenizer does not encode "${pair.prompt} ${pair.target}" as the prompt followed by the target (its template must end with the instruction)`)
    }
    const target = full.slice(prompt.length)
    return { prompt, target: eos !== undefined && target.at(-1) !== eos ? [...target, eos] : target }
  }
}

/** Both cameras of every frame, preprocessed once: (F, 3, S, S) float32 each. */
interface FrameImages {
  readonly static: Float32Array
  readonly gripper: Float32Array
  readonly size: number
}

const loadFrames = (dir: string, files: ReadonlyArray<readonly [string, string]>, backbone: BackboneService, say: (line: string) => void): FrameImages => {
  const p = backbone.imagePreprocessing
  const per = 3 * p.size * p.size
  const out = { static: new Float32Array(files.length * per), gripper: new Float32Array(files.length * per) }
  const started = performance.now()
  const read = (file: string, target: Float32Array, i: number) => {
    const full = path.join(dir, file)
    let bytes: Uint8Array
    try {
      bytes = fs.readFileSync(full)
    } catch (cause) {
      throw new TrainError({ reason: "MissingFile", message: `${full}: cannot read the frame a pair names`, file: full, cause })
    }
    let image: { data: Uint8Array; width: number; height: number }
    try {
      image = decodePng(bytes)
    } catch (cause) {
      throw new TrainError({ reason: "CorruptFile", message: `${full}: not a readable PNG (${cause instanceof Error ? cause.message : String(cause)})`, file: full, cause })
    }
    Assembly.preprocessImageInto({ data: image.data, height: image.height, width: image.width }, p, target, i * per, full)
  }
  files.forEach(([staticFile, gripperFile], i) => {
    read(staticFile, out.static, i)
    read(gripperFile, out.gripper, i)
    if ((i + 1) % 2000 === 0) say(`decoded ${i + 1}/${files.length} frames`)
  })
  say(`decoded ${files.length} frames (both cameras, ${p.size} px) in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  return { ...out, size: p.size }
}

// ---------------------------------------------------------------------------------------------------------------
// the forward pass
// ---------------------------------------------------------------------------------------------------------------

/**
 * Plans R rows of `[BOS][gripper n][static n][text…]` from their text ids (BOS first, as `frameLayout` places
 * them): one-hot placement (R, L, Ls) over the sources `text (Lt) | gripper (n) | static (n)`, the mask, and
 * the sequence position of every text index.
 */
const planRows = (texts: ReadonlyArray<ReadonlyArray<number>>, tokenizer: BackboneTokenizer, n: number) => {
  const R = texts.length
  const lt = Math.max(1, ...texts.map((t) => t.length))
  const layouts = texts.map((t) => Assembly.frameLayout(t, tokenizer, { imageTokens: n, gripperCamera: true, latent: 0 }).sources)
  const L = Math.max(...layouts.map((s) => s.length))
  const ls = lt + 2 * n
  const place = new Float32Array(R * L * ls)
  const mask = new Int32Array(R * L)
  const ids = new Int32Array(R * lt).fill(tokenizer.padId)
  const positions: Array<Int32Array> = []
  layouts.forEach((sources, r) => {
    ids.set(texts[r]!, r * lt)
    const at = new Int32Array(texts[r]!.length)
    sources.forEach((source, pos) => {
      const column = source.kind === "text" ? source.index : source.kind === "gripper" ? lt + source.index : lt + n + source.index
      if (source.kind === "text") at[source.index] = pos
      place[(r * L + pos) * ls + column] = 1
      mask[r * L + pos] = 1
    })
    positions.push(at)
  })
  return { R, L, lt, ls, place, mask, ids, positions }
}

/** (R, L, D) final hidden states of the planned rows, given their (R, n, D) gripper and static image tokens. */
const hiddenStates = (lm: LanguageModel, plan: ReturnType<typeof planRows>, gripper: tf.Tensor, stat: tf.Tensor): tf.Tensor => {
  const text = lm.embedTokens(tf.tensor2d(plan.ids, [plan.R, plan.lt], "int32"))
  const sources = tf.concat([text, gripper, stat], 1)
  const embeds = tf.matMul(tf.tensor3d(plan.place, [plan.R, plan.L, plan.ls]), sources)
  return lm.forward(embeds, tf.tensor2d(plan.mask, [plan.R, plan.L], "int32"))
}

/** One-hot (R, K, L) read-out of given positions (one per row and k; −1 = none). */
const readoutOf = (rows: ReadonlyArray<ReadonlyArray<number>>, L: number): tf.Tensor3D => {
  const K = Math.max(1, ...rows.map((r) => r.length))
  const data = new Float32Array(rows.length * K * L)
  rows.forEach((positions, r) => positions.forEach((pos, k) => {
    if (pos >= 0) data[(r * K + k) * L + pos] = 1
  }))
  return tf.tensor3d(data, [rows.length, K, L])
}

/** Image tokens (R, n, D) of both cameras for the given frames. */
const encodeFrames = (lm: LanguageModel, images: FrameImages, frames: ReadonlyArray<number>): { gripper: tf.Tensor; stat: tf.Tensor } => {
  const per = 3 * images.size * images.size
  const R = frames.length
  const pixels = new Float32Array(2 * R * per)
  frames.forEach((f, r) => {
    pixels.set(images.gripper.subarray(f * per, (f + 1) * per), r * per)
    pixels.set(images.static.subarray(f * per, (f + 1) * per), (R + r) * per)
  })
  const tokens = lm.encodeImages(tf.tensor4d(pixels, [2 * R, 3, images.size, images.size]))
  const [, n, d] = tokens.shape as [number, number, number]
  return { gripper: tf.slice(tokens, [0, 0, 0], [R, n, d]), stat: tf.slice(tokens, [R, 0, 0], [R, n, d]) }
}

/**
 * Sum over the rows of each row's mean target-token cross-entropy (a scalar; divide by the batch size), for
 * teacher-forced rows `prompt + target`.
 */
const pairLossSum = (lm: LanguageModel, tokenizer: BackboneTokenizer, images: FrameImages, n: number, examples: ReadonlyArray<Example>): tf.Scalar => {
  const plan = planRows(examples.map((e) => [...e.prompt, ...e.target]), tokenizer, n)
  const { gripper, stat } = encodeFrames(lm, images, examples.map((e) => e.frame))
  const hidden = hiddenStates(lm, plan, gripper, stat)
  // Target k of row r is predicted at the position of the token before it.
  const reads = examples.map((e, r) => e.target.map((_, k) => plan.positions[r]![e.prompt.length + k - 1]!))
  const K = Math.max(...reads.map((x) => x.length))
  const labels = new Int32Array(examples.length * K)
  const weights = new Float32Array(examples.length * K)
  examples.forEach((e, r) => e.target.forEach((id, k) => {
    labels[r * K + k] = id
    weights[r * K + k] = 1 / e.target.length
  }))
  const logits = lm.lmLogits(tf.matMul(readoutOf(reads, plan.L), hidden)) // (R, K, V)
  const vocab = logits.shape[2]!
  const logProbs = tf.logSoftmax(tf.reshape(logits, [-1, vocab]))
  const picked = tf.sum(tf.mul(logProbs, tf.oneHot(tf.tensor1d(labels, "int32"), vocab)), 1)
  return tf.neg(tf.sum(tf.mul(picked, tf.tensor1d(weights)))) as tf.Scalar
}

/** Rows grouped by kind (answers and captions have very different lengths), in their given order. */
const byKind = (examples: ReadonlyArray<Example>): Array<Array<Example>> => {
  const qa = examples.filter((e) => e.pair.kind === "qa")
  const captions = examples.filter((e) => e.pair.kind !== "qa")
  return [qa, captions].filter((g) => g.length > 0)
}

/**
 * Greedy decoding of the given pairs (batches of similar prompts; finished rows leave the batch). Image tokens
 * are computed once per batch. Returns pair id → decoded text.
 */
const greedyDecode = (
  lm: LanguageModel,
  tokenizer: BackboneTokenizer,
  images: FrameImages,
  n: number,
  examples: ReadonlyArray<Example>,
  limits: { readonly answer: number; readonly caption: number; readonly maxPositions: number },
  batchSize = 64
): Map<string, string> => {
  const out = new Map<string, string>()
  for (const group of byKind(examples)) {
    const sorted = [...group].sort((a, b) => a.prompt.length - b.prompt.length)
    const maxNew = group[0]!.pair.kind === "qa" ? limits.answer : limits.caption
    for (let start = 0; start < sorted.length; start += batchSize) {
      const batch = sorted.slice(start, start + batchSize)
      const tokens = tf.tidy(() => {
        const t = encodeFrames(lm, images, batch.map((e) => e.frame))
        return [t.gripper, t.stat] as const
      })
      const generated = batch.map(() => [] as Array<number>)
      let active = batch.map((_, i) => i)
      for (let t = 0; t < maxNew && active.length > 0; t++) {
        const texts = active.map((i) => [...batch[i]!.prompt, ...generated[i]!])
        if (2 * n + Math.max(...texts.map((x) => x.length)) >= limits.maxPositions) break
        const next = tf.tidy(() => {
          const plan = planRows(texts, tokenizer, n)
          const rows = tf.tensor1d(Int32Array.from(active), "int32")
          const hidden = hiddenStates(lm, plan, tf.gather(tokens[0], rows), tf.gather(tokens[1], rows))
          const last = readoutOf(texts.map((x, r) => [plan.positions[r]![x.length - 1]!]), plan.L)
          return tf.argMax(tf.reshape(lm.lmLogits(tf.matMul(last, hidden)), [texts.length, -1]), 1).dataSync() as Int32Array
        })
        const still: Array<number> = []
        active.forEach((i, r) => {
          const id = next[r]!
          if (id === tokenizer.eosId) return
          generated[i]!.push(id)
          still.push(i)
        })
        active = still
      }
      tf.dispose(tokens)
      batch.forEach((e, i) => out.set(e.pair.id, tokenizer.decode(generated[i]!).trim()))
    }
  }
  return out
}

/** `count` items spread evenly over `items` (all when count ≥ length). */
const spread = <A>(items: ReadonlyArray<A>, count: number): Array<A> =>
  count >= items.length ? [...items] : Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]!)

// ---------------------------------------------------------------------------------------------------------------
// the run
// ---------------------------------------------------------------------------------------------------------------

/**
 * Pre-trains a backbone on a pair set. Resolves with a summary; rejects with `TrainError` (bad options, missing or
 * corrupt pairs, frames or checkpoint, a backbone without a language-model face). Aborting `signal` stops after the
 * current step, writes a checkpoint and the weights, and resolves with `interrupted: true`.
 *
 * @since 0.1.0
 * @category training
 */
export const pretrainVl = async (options: VlPretrainOptions): Promise<VlPretrainSummary> => {
  const scope = Effect.runSync(Scope.make())
  try {
    return await pretrainIn(scope, options)
  } catch (cause) {
    throw asTrainError(cause)
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

const pretrainIn = async (scope: Scope.Closeable, options: VlPretrainOptions): Promise<VlPretrainSummary> => {
  const say = options.onMessage ?? (() => {})
  const o = {
    backbone: options.backbone ?? "@robovla/backbone-tiny-vlm",
    steps: options.steps ?? 2000,
    batchSize: options.batchSize ?? 32,
    learningRate: options.learningRate ?? 1e-3,
    warmupSteps: options.warmupSteps ?? 100,
    schedule: options.schedule ?? "half-cosine",
    minLrScale: options.minLrScale ?? 0.1,
    weightDecay: options.weightDecay ?? 0.01,
    clipNorm: options.clipNorm ?? 1,
    seed: options.seed ?? 0,
    evalEvery: options.evalEvery ?? 250,
    evalAnswers: options.evalAnswers ?? 400,
    evalCaptions: options.evalCaptions ?? 40,
    finalCaptions: options.finalCaptions ?? Number.MAX_SAFE_INTEGER,
    keep: options.keep ?? 2
  }
  const checkpointEvery = options.checkpointEvery ?? o.evalEvery
  for (const [key, value] of [["steps", o.steps + 1], ["batchSize", o.batchSize], ["warmupSteps", o.warmupSteps + 1], ["evalEvery", o.evalEvery + 1], ["evalAnswers", o.evalAnswers + 1], ["evalCaptions", o.evalCaptions + 1], ["finalCaptions", Math.min(o.finalCaptions, 2 ** 31) + 1], ["checkpointEvery", checkpointEvery + 1], ["keep", o.keep], ["seed", o.seed + 1]] as const) {
    if (!(Number.isInteger(value) && value > 0)) throw invalid(`${key} must be a ${key === "batchSize" || key === "keep" ? "positive" : "non-negative"} integer, got ${key === "batchSize" || key === "keep" ? value : value - 1}`)
  }
  for (const [key, value] of [["learningRate", o.learningRate], ["weightDecay", o.weightDecay], ["clipNorm", o.clipNorm], ["minLrScale", o.minLrScale]] as const) {
    if (!(Number.isFinite(value) && value >= 0)) throw invalid(`${key} must be a finite number ≥ 0, got ${value}`)
  }
  if (!["constant", "cosine", "half-cosine"].includes(o.schedule)) throw invalid(`schedule must be constant, cosine or half-cosine, got ${o.schedule}`)

  // Pairs first: a missing or corrupt file fails before any engine starts.
  const trainPairs = readVlPairs(path.join(options.pairs, "train.jsonl"))
  const valPairs = readVlPairs(path.join(options.pairs, "val.jsonl"))
  if (trainPairs.length < o.batchSize) throw invalid(`${options.pairs}/train.jsonl has ${trainPairs.length} pairs, fewer than one batch of ${o.batchSize}`)

  const setup = await initTfjs()
  say(`tfjs: ${setup.summary}`)
  const from = options.from === undefined ? {} : { from: options.from }
  const plugin = await Effect.runPromise(PluginLoader.loadBackbonePlugin(o.backbone, from))
  const defaults = plugin.defaultConfig as Record<string, unknown>
  // Everything trains (the ViT included); a config's own trainSetup still wins.
  const trainSetup = defaults["trainSetup"] === undefined
    ? {}
    : { trainSetup: { ...(defaults["trainSetup"] as Record<string, unknown>), freezeBackbone: false, trainVision: true, trainTextEmbedding: true, trainDecoderLayers: -1, loraEnable: false } }
  const backboneConfig: Record<string, unknown> = { ...defaults, ...trainSetup, ...options.backboneConfig }
  const backbone = await Effect.runPromise(Scope.provide(scope)(PluginLoader.makePlugin(plugin, backboneConfig)))
  const lm = languageModelOf(backbone)
  if (lm === undefined || backbone.weights === undefined || backbone.loadWeights === undefined) {
    throw invalid(`backbone ${o.backbone} has no trainable language-model face (model.encodeImages / embedTokens / forward / lmLogits / variables, and weights / loadWeights)`)
  }
  const tokenizer = backbone.tokenizer
  const n = backbone.imageTokens
  // The SDK service does not expose its sequence limit; tiny-vlm's config names it `maxPositions`.
  const maxPositions = typeof backboneConfig["maxPositions"] === "number" ? backboneConfig["maxPositions"] : Number.POSITIVE_INFINITY

  // Frames (each once) and examples.
  const frameIndex = new Map<string, number>()
  const frameFiles: Array<readonly [string, string]> = []
  const tokenize = makeTokenize(tokenizer)
  const toExample = (pair: VlPair): Example => {
    let frame = frameIndex.get(pair.image)
    if (frame === undefined) {
      frame = frameFiles.length
      frameIndex.set(pair.image, frame)
      frameFiles.push([pair.image, pair.gripperImage])
    }
    const { prompt, target } = tokenize(pair)
    if (2 * n + prompt.length + target.length > maxPositions) throw invalid(`pair ${pair.id} needs ${2 * n + prompt.length + target.length} positions, the backbone has ${maxPositions}`)
    return { pair, frame, prompt, target }
  }
  const train = trainPairs.map(toExample)
  const val = valPairs.map(toExample)
  const images = loadFrames(options.pairs, frameFiles, backbone, say)
  const limits = {
    answer: Math.max(8, ...train.filter((e) => e.pair.kind === "qa").map((e) => e.target.length)) + 4,
    caption: Math.max(8, ...train.filter((e) => e.pair.kind !== "qa").map((e) => e.target.length)) + 16,
    maxPositions
  }

  // What trains, by name (backbone.<weight>: the checkpoint's names).
  const trainable = new Map<string, tf.Variable>()
  for (const [name, v] of lm.variables) if (v.trainable) trainable.set(`backbone.${name}`, v)
  const trainableParameters = [...trainable.values()].reduce((s, v) => s + v.size, 0)
  const perEpoch = Math.floor(train.length / o.batchSize)
  const schedule = { learningRate: o.learningRate, schedule: o.schedule, warmupSteps: o.warmupSteps, totalSteps: o.steps, minLrScale: o.minLrScale }

  // The run's identity: data by content, the backbone, and everything that shapes the updates (not `steps`: a
  // resume may extend a run, which changes a cosine schedule's remaining rates).
  const pairsHash = crypto.createHash("sha256").update(fs.readFileSync(path.join(options.pairs, "train.jsonl"))).update(fs.readFileSync(path.join(options.pairs, "val.jsonl"))).digest("hex").slice(0, 16)
  const runSettings = { pairs: pairsHash, backbone: { package: o.backbone, config: backboneConfig }, batchSize: o.batchSize, learningRate: o.learningRate, warmupSteps: o.warmupSteps, schedule: o.schedule, minLrScale: o.minLrScale, weightDecay: o.weightDecay, clipNorm: o.clipNorm, seed: o.seed }
  const runHash = hashJson(runSettings)
  fs.mkdirSync(options.out, { recursive: true })
  const checkpoints = path.join(options.out, "checkpoints")
  const logFile = path.join(options.out, "log.jsonl")
  const optimizer = new AdamW(trainable, { weightDecay: o.weightDecay, clipNorm: o.clipNorm })
  Effect.runSync(Scope.addFinalizer(scope, Effect.sync(() => optimizer.dispose())))

  let step = 0
  let samples = 0
  let elapsedBefore = 0
  let resumedFrom: number | undefined
  const latest = options.resume === true ? latestCheckpoint(checkpoints) : undefined
  if (options.resume === true && latest === undefined) say(`no checkpoint in ${checkpoints}; starting from scratch`)
  if (latest !== undefined) {
    const ckpt = readCheckpoint(latest)
    if (ckpt.state.runHash !== runHash) throw invalid(`${latest} belongs to a run with other settings (pairs, backbone, batch size, learning rate, schedule or seed); resume with the same ones or use another --out`)
    const weights = Object.fromEntries([...ckpt.model].filter(([k]) => k.startsWith("backbone.")).map(([k, v]) => [k.slice("backbone.".length), v]))
    await Effect.runPromise(backbone.loadWeights(weights))
    try {
      optimizer.loadState(ckpt.optimizer, ckpt.state.optimizerSteps)
    } catch (cause) {
      throw new TrainError({ reason: "CorruptFile", message: `${latest}: ${cause instanceof Error ? cause.message : String(cause)}`, file: latest, cause })
    }
    step = ckpt.state.step
    samples = ckpt.state.samples
    elapsedBefore = ckpt.state.elapsedSeconds
    resumedFrom = step
    // Keep the log up to the checkpoint: later lines belong to steps that will be redone.
    if (fs.existsSync(logFile)) {
      const kept = fs.readFileSync(logFile, "utf8").split("\n").filter((l) => l.trim() !== "").filter((l) => {
        const entry = JSON.parse(l) as { type: string; step: number }
        return entry.step <= step && entry.type !== "final"
      })
      writeAtomic(logFile, kept.map((l) => l + "\n").join(""))
    }
    say(`resumed from ${latest} (step ${step})`)
  } else {
    fs.rmSync(logFile, { force: true })
  }
  writeAtomic(path.join(options.out, "run.json"), JSON.stringify({ ...runSettings, runHash, pairsDir: path.resolve(options.pairs), steps: o.steps, perEpoch, evalEvery: o.evalEvery, trainPairs: train.length, valPairs: val.length, frames: frameFiles.length, trainableParameters, tfjs: setup.summary }, null, 2) + "\n")
  const log = (entry: Record<string, unknown>) => fs.appendFileSync(logFile, JSON.stringify(entry) + "\n")

  // Fixed evaluation subsets: teacher-forced loss on 256 pairs, decoding on evalAnswers questions + evalCaptions captions.
  const valById = [...val].sort((a, b) => (a.pair.id < b.pair.id ? -1 : a.pair.id > b.pair.id ? 1 : 0))
  const lossSubset = spread(valById, 256)
  const decodeSubset = [...spread(valById.filter((e) => e.pair.kind === "qa"), o.evalAnswers), ...spread(valById.filter((e) => e.pair.kind !== "qa"), o.evalCaptions)]
  const finalSubset = [...val.filter((e) => e.pair.kind === "qa"), ...spread(val.filter((e) => e.pair.kind !== "qa"), o.finalCaptions)]

  const validationLoss = (): number => {
    let total = 0
    for (let s = 0; s < lossSubset.length; s += 64) {
      const chunk = lossSubset.slice(s, s + 64)
      total += tf.tidy(() => tf.addN(byKind(chunk).map((g) => pairLossSum(lm, tokenizer, images, n, g))).dataSync()[0]!)
    }
    return lossSubset.length === 0 ? Number.NaN : total / lossSubset.length
  }
  const evaluate = (subset: ReadonlyArray<Example>): { evaluation: VlEvaluation; predictions: Map<string, string> } => {
    const started = performance.now()
    const valLoss = validationLoss()
    const predictions = greedyDecode(lm, tokenizer, images, n, subset, limits)
    const pairs = subset.map((e) => e.pair)
    const evaluation = { step, valLoss, score: scoreVl(pairs, predictions), blind: scoreVl(pairs, majorityPredictions(trainPairs, pairs)), pairs: pairs.length, seconds: (performance.now() - started) / 1000 }
    return { evaluation, predictions }
  }
  const report = (kind: "eval" | "final", e: VlEvaluation) => {
    log({ type: kind, step: e.step, valLoss: e.valLoss, answers: e.score.answers.accuracy, answersSeen: e.score.answers.byPhrasing.seen.accuracy, answersHeldOut: e.score.answers.byPhrasing["held-out"].accuracy, blindAnswers: e.blind.answers.accuracy, captionAccuracy: e.score.captions.accuracy, captionRecall: e.score.captions.recall, captionStated: e.score.captions.stated, pairs: e.pairs, seconds: e.seconds, ...(kind === "final" ? { byAttribute: Object.fromEntries(Object.entries(e.score.answers.byAttribute).map(([k, v]) => [k, v.accuracy])) } : {}) })
    say(`${kind === "final" ? "final evaluation (every val question)" : "evaluation"} at step ${e.step}: val loss ${e.valLoss.toFixed(4)}, answers ${(100 * e.score.answers.accuracy).toFixed(1)}% (blind ${(100 * e.blind.answers.accuracy).toFixed(1)}%) of ${e.score.answers.total}, caption statements ${(100 * e.score.captions.accuracy).toFixed(1)}% recall ${(100 * e.score.captions.recall).toFixed(1)}% (${e.seconds.toFixed(0)} s)`)
  }

  const started = performance.now()
  const weightsDir = path.join(options.out, "backbone")
  const weightsFile = path.join(weightsDir, BACKBONE_WEIGHTS_FILE)
  let lastEval: VlEvaluation | undefined
  let firstEval: VlEvaluation | undefined
  const publish = () => {
    fs.mkdirSync(weightsDir, { recursive: true })
    const weights = backbone.weights!()
    const bytes = Safetensors.writeSafetensorsSync(new Map(Object.entries(weights)), { format: "robovla.backbone-weights/v1", backbone: plugin.name, config: JSON.stringify(backboneConfig) })
    writeAtomic(weightsFile, bytes)
    writeAtomic(path.join(weightsDir, "backbone.json"), JSON.stringify({
      format: "robovla.backbone-weights/v1",
      package: o.backbone,
      name: plugin.name,
      version: plugin.version,
      config: backboneConfig,
      weights: { file: BACKBONE_WEIGHTS_FILE, bytes: bytes.length, sha256: crypto.createHash("sha256").update(bytes).digest("hex") },
      pretraining: { step, pairs: path.resolve(options.pairs), pairsHash, runHash, lastEval: lastEval === undefined ? null : { step: lastEval.step, valLoss: lastEval.valLoss, answers: lastEval.score.answers.accuracy, blindAnswers: lastEval.blind.answers.accuracy, captionAccuracy: lastEval.score.captions.accuracy, captionRecall: lastEval.score.captions.recall, pairs: lastEval.pairs } }
    }, null, 2) + "\n")
  }
  const saveCheckpoint = (): string => {
    const model: NamedTensors = new Map()
    for (const [k, v] of Object.entries(backbone.weights!())) model.set(`backbone.${k}`, { data: Float32Array.from(v.data), shape: v.shape })
    const state: TrainerState = { step, epoch: Math.floor(step / perEpoch), batch: step % perEpoch, optimizerSteps: optimizer.steps, runHash, elapsedSeconds: elapsedBefore + (performance.now() - started) / 1000, samples }
    const dir = writeCheckpoint(checkpoints, {
      config: { format: "robovla.vl-pretrain/v1", backbone: { package: o.backbone, name: plugin.name, version: plugin.version, contractVersion: plugin.contractVersion, config: backboneConfig }, training: { step, seed: o.seed, samples, runHash, valLoss: lastEval?.valLoss ?? null } },
      model,
      state,
      optimizer: optimizer.state()
    }, o.keep)
    publish()
    return dir
  }

  if (resumedFrom === undefined && o.evalEvery > 0) {
    lastEval = firstEval = evaluate(decodeSubset).evaluation
    report("eval", lastEval)
  }
  let running = Number.NaN
  let lastLoss = Number.NaN
  let interrupted = false
  let checkpoint: string | undefined
  const window = { time: performance.now(), step, samples }
  let order = permutation(train.length, deriveSeed(o.seed, Math.floor(step / perEpoch), 0x71))
  let orderEpoch = Math.floor(step / perEpoch)
  while (step < o.steps) {
    if (options.signal?.aborted === true) {
      interrupted = true
      break
    }
    const epoch = Math.floor(step / perEpoch)
    if (epoch !== orderEpoch) {
      order = permutation(train.length, deriveSeed(o.seed, epoch, 0x71))
      orderEpoch = epoch
    }
    const first = (step % perEpoch) * o.batchSize
    const batch = Array.from(order.subarray(first, first + o.batchSize), (i) => train[i]!)
    const lr = learningRateAt(optimizer.steps, schedule)
    const { value, grads } = tf.variableGrads(() => tf.div(tf.addN(byKind(batch).map((g) => pairLossSum(lm, tokenizer, images, n, g))), batch.length) as tf.Scalar, [...trainable.values()])
    const byName = new Map<string, tf.Tensor>()
    for (const [name, v] of trainable) {
      const g = grads[v.name]
      if (g !== undefined) byName.set(name, g)
    }
    const update = optimizer.apply(byName, lr)
    const loss = value.dataSync()[0]!
    tf.dispose([value, ...Object.values(grads)])
    if (!Number.isFinite(loss)) throw new TrainError({ reason: "InvalidInput", message: `the training loss became ${loss} at step ${step} (learning rate ${lr}); lower --lr` })
    step += 1
    samples += batch.length
    lastLoss = loss
    running = Number.isNaN(running) ? loss : 0.9 * running + 0.1 * loss
    const seconds = (performance.now() - window.time) / 1000
    log({ type: "train", step, epoch, lr, loss, gradNorm: update.gradNorm, clipped: update.clipped })
    options.onProgress?.({ step, totalSteps: o.steps, epoch, stepsPerSecond: (step - window.step) / Math.max(seconds, 1e-9), samplesPerSecond: (samples - window.samples) / Math.max(seconds, 1e-9), runningLoss: running, lr, lastValLoss: lastEval?.valLoss })
    if (o.evalEvery > 0 && step % o.evalEvery === 0 && step < o.steps) {
      lastEval = evaluate(decodeSubset).evaluation
      report("eval", lastEval)
    }
    if (checkpointEvery > 0 && step % checkpointEvery === 0 && step < o.steps) checkpoint = saveCheckpoint()
    // Let a pending SIGINT reach its handler between steps.
    await new Promise((resolve) => setImmediate(resolve))
  }
  const trainedSeconds = (performance.now() - started) / 1000
  checkpoint = saveCheckpoint()
  let finalEval: VlEvaluation | undefined
  if (!interrupted) {
    const { evaluation, predictions } = evaluate(finalSubset)
    finalEval = lastEval = evaluation
    firstEval ??= evaluation
    report("final", evaluation)
    writeAtomic(path.join(options.out, "predictions.jsonl"), finalSubset.map((e) => JSON.stringify({ id: e.pair.id, kind: e.pair.kind, attribute: e.pair.attribute, prompt: e.pair.prompt, target: e.pair.target, prediction: predictions.get(e.pair.id) ?? "" })).join("\n") + "\n")
    publish()
  }
  const summary: VlPretrainSummary = {
    steps: step,
    interrupted,
    resumedFrom,
    seconds: elapsedBefore + trainedSeconds,
    stepsPerSecond: (step - window.step) / Math.max(trainedSeconds, 1e-9),
    pairsPerSecond: (samples - window.samples) / Math.max(trainedSeconds, 1e-9),
    finalTrainLoss: lastLoss,
    firstEval,
    finalEval,
    checkpoint,
    weights: weightsFile,
    trainableParameters,
    trainPairs: train.length,
    valPairs: val.length
  }
  writeAtomic(path.join(options.out, "summary.json"), JSON.stringify(summary, null, 2) + "\n")
  writeVlPlots(options.out, `${plugin.name}: vision-language pre-training on ${path.basename(path.resolve(options.pairs))}`)
  return summary
}

/**
 * Writes `curve.html` and `curve.png` from a pre-training run's `log.jsonl`: train loss (per step and EMA) and
 * validation loss; answer accuracy beside the blind baseline, caption statement accuracy and recall.
 *
 * @since 0.1.0
 * @category reporting
 */
export const writeVlPlots = (out: string, title: string): void => {
  const logFile = path.join(out, "log.jsonl")
  const entries = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Record<string, number | string>) : []
  const train = entries.filter((e) => e["type"] === "train").map((e) => [e["step"] as number, e["loss"] as number] as const)
  const smoothed: Array<readonly [number, number]> = []
  let ema = Number.NaN
  for (const [s, l] of train) smoothed.push([s, (ema = Number.isNaN(ema) ? l : 0.98 * ema + 0.02 * l)])
  const evals = entries.filter((e) => e["type"] === "eval" || e["type"] === "final")
  const series = (key: string) => evals.map((e) => [e["step"] as number, e[key] as number] as const)
  const panels = [
    {
      title: "loss (per-pair mean token cross-entropy)",
      yLabel: "loss",
      series: [
        { name: "train (per step)", color: "#9ecae1", points: train, dashed: true },
        { name: "train (EMA 0.98)", color: "#08519c", points: smoothed },
        { name: "validation", color: "#d94801", points: series("valLoss"), markers: true }
      ] satisfies Array<PlotSeries>
    },
    {
      title: "validation (greedy decoding): answers vs the blind baseline, caption statements",
      yLabel: "accuracy",
      series: [
        { name: "answers", color: "#238b45", points: series("answers"), markers: true },
        { name: "blind baseline (answers)", color: "#636363", points: series("blindAnswers"), dashed: true },
        { name: "caption statement accuracy", color: "#6a51a3", points: series("captionAccuracy"), markers: true },
        { name: "caption recall", color: "#e7298a", points: series("captionRecall"), markers: true }
      ] satisfies Array<PlotSeries>
    }
  ]
  const last = evals.at(-1)
  writeAtomic(path.join(out, "curve.html"), lossPlotHtml(title, panels, last === undefined ? "" : JSON.stringify(last, null, 2)))
  writeAtomic(path.join(out, "curve.png"), lossPlotPng(panels))
}
