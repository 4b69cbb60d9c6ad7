/**
 * The trainer (issue 12, item 1): any backbone plugin + any head plugin + a structure (`one_step`, `pre`
 * interleaved, `post` policy-head) + RoboVLMs' `VlaConfig` keys, on a CALVIN-format split through the loader.
 *
 * - Loss: the head's own (§6.1 Huber(δ=1) arm + `arm_gripper_loss_ratio`·BCE gripper over valid chunk positions;
 *   cross-entropy over bins for the discrete head); the ratio comes from the VLA config.
 * - AdamW + linear warm-up then constant / cosine / half-cosine (`Optimizer.ts`), gradient clipping that really
 *   applies: `gradient_clip_val` at the top level, else `trainer.gradient_clip_val`, else **1.0**. RoboVLMs reads
 *   only the top-level key (default 0), so its Kosmos/PaliGemma configs, which set 1.0 under `trainer`, silently
 *   trained unclipped (§7.2); we follow the configs' intent.
 * - Trainable parts (§7.1) via the backbone's own switches (`train_setup` → e.g. tiny-vlm's `trainSetup`); [LRN]
 *   and the head always train unless `trainActionToken: false` (head-only). Optional robot_obs state token
 *   (RoboVLMs' intended, never-run `use_state`, §10.1): arm state (6) → Linear(6→D), gripper state → Embedding(2, D),
 *   concatenated → Linear(2D→D), placed right before [LRN].
 * - Optional pre-trained backbone (`backboneWeights`, e.g. from `robovla pretrain-vl`), loaded before anything
 *   reads the backbone (the feature cache keys on the weights, so cached features follow them).
 * - Frozen parts come from a feature cache (`FeatureCache.ts`); validation every K steps or every epoch (loss, arm
 *   MAE in normalised units, gripper accuracy; no augmentation); checkpoints (`Checkpoint.ts`) resumable exactly.
 * - Deterministic under the seed: init from the plugins' seeds, the loader's seeded order and crops, and tfjs'
 *   dropout seeded per step (tfjs draws a dropout seed from Math.random, which is swapped for a PRNG seeded with
 *   (seed, step) during the step), so a resumed run retraces the uninterrupted one.
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import * as tf from "@tensorflow/tfjs-core"
import { initTfjs } from "@robovla/tfjs"
import {
  Assembly,
  AsyncScope,
  CHECKPOINT_FORMAT,
  mulberry32,
  PluginLoader,
  SdkError,
  type BackboneService,
  type FloatTensor,
  type PolicyHeadService,
  tokenizerFingerprint,
  VlaConfig
} from "@robovla/sdk"
import { Effect } from "effect"
import { CalvinSplit } from "../data/CalvinDataset.ts"
import { CalvinLoader } from "../loader/CalvinLoader.ts"
import { TrainError } from "../TrainError.ts"
import { deriveSeed } from "../windows/Random.ts"
import type { WindowBatch } from "../windows/WindowBatch.ts"
import { loadBackboneWeights } from "./BackboneWeights.ts"
import { latestCheckpoint, publishPolicy, readCheckpoint, writeAtomic, writeCheckpoint, type NamedTensors, type TrainerState } from "./Checkpoint.ts"
import { gatherCached, openFeatureCache, type FeatureCache } from "./FeatureCache.ts"
import { AdamW, learningRateAt, type Schedule } from "./Optimizer.ts"
import { lossPlotHtml, lossPlotPng, type PlotSeries } from "./Plot.ts"
import type { TrainProgress } from "./Progress.ts"
import { lrnHidden, planSequences, tensorBackboneOf, type Structure, type TensorBackbone } from "./TrainModel.ts"

/** What to train and how. @since 0.1.0 @category models */
export interface TrainOptions {
  /** Dataset folder with `training/` and `validation/` (CALVIN layout). */
  readonly data: string
  /**
   * Run folder: log.jsonl, checkpoints/, policy/ (the last checkpoint's config.json + model.safetensors),
   * policy-best/ (the checkpoint with the lowest validation loss after step 0), loss.html, loss.png, run.json,
   * summary.json.
   */
  readonly out: string
  readonly backbone: string
  readonly backboneConfig?: Record<string, unknown> | undefined
  /**
   * Start the backbone from pre-trained weights (a `robovla pretrain-vl` output folder or a safetensors file,
   * `BackboneWeights.ts`) instead of its seeded init; [LRN], the state token and the head start as without it.
   */
  readonly backboneWeights?: string | undefined
  readonly head: string
  readonly headConfig?: Record<string, unknown> | undefined
  /** RoboVLMs-style VLA config (snake_case keys; a whole RoboVLMs file is accepted, unknown keys ignored). */
  readonly vla?: Record<string, unknown> | undefined
  /** Overrides `vla.batch_size`. */
  readonly batchSize?: number | undefined
  /** Overrides `vla.max_epochs`; ignored when `maxSteps` is set. */
  readonly epochs?: number | undefined
  readonly maxSteps?: number | undefined
  /** Validate every K steps; 0 / absent = at the end of every epoch. */
  readonly valEvery?: number | undefined
  /** At most this many validation batches per evaluation (default all). */
  readonly valBatches?: number | undefined
  /** Also evaluate before the first step (default true): the baseline of the loss curve. */
  readonly validateAtStart?: boolean | undefined
  /** Checkpoint every K steps (default: at every validation, and at the end). */
  readonly checkpointEvery?: number | undefined
  /** Checkpoints kept (default 3). */
  readonly keep?: number | undefined
  /** Overrides `vla.seed`. */
  readonly seed?: number | undefined
  /** `auto` (default): cache whatever is frozen; `off`: always run the backbone. */
  readonly cache?: "auto" | "off" | undefined
  /** Cached augmentation views (1 = no augmentation when training from a cache). */
  readonly cacheViews?: number | undefined
  /** false: [LRN] stays at its initial value (head-only training when the backbone is frozen too). */
  readonly trainActionToken?: boolean | undefined
  /** Add the robot_obs state token. */
  readonly stateToken?: boolean | undefined
  /** Loader decode threads (default 0). */
  readonly workers?: number | undefined
  /** Continue from `out/checkpoints/latest.json`. */
  readonly resume?: boolean | undefined
  /** Folder plugins resolve from (default cwd). */
  readonly from?: string | undefined
  /** Aborting writes a checkpoint at the current step and returns with `interrupted: true`. */
  readonly signal?: AbortSignal | undefined
  readonly onProgress?: ((p: TrainProgress) => void) | undefined
  /** Free-form messages (cache builds, resume). */
  readonly onMessage?: ((line: string) => void) | undefined
}

/** @since 0.1.0 @category models */
export interface EvalMetrics {
  readonly loss: number
  readonly armLoss: number
  readonly gripperLoss: number
  /** Mean |arm − label| over valid chunk positions and the 6 arm dims, normalised units (×0.65 for CALVIN units). */
  readonly armMae: number
  readonly gripperAccuracy: number
  readonly samples: number
}

/** @since 0.1.0 @category models */
export interface TrainSummary {
  readonly steps: number
  readonly epochs: number
  readonly interrupted: boolean
  readonly checkpoint: string | undefined
  readonly firstVal: EvalMetrics | undefined
  readonly lastVal: EvalMetrics | undefined
  readonly finalTrainLoss: number
  readonly samplesPerSecond: number
  readonly stepsPerSecond: number
  readonly seconds: number
  readonly cache: string
  readonly trainableParameters: number
  readonly resumedFrom: number | undefined
  /** The validation that `policy-best/` holds (the lowest loss after step 0), when one ran. */
  readonly best: { readonly step: number; readonly loss: number } | undefined
}

const invalid = (message: string) => new TrainError({ reason: "InvalidInput", message })

const asTrainError = (cause: unknown): TrainError =>
  cause instanceof TrainError
    ? cause
    : cause instanceof SdkError
    ? new TrainError({ reason: cause.reason === "CorruptFile" ? "CorruptFile" : "InvalidInput", message: cause.message, cause })
    : new TrainError({ reason: "InvalidInput", message: cause instanceof Error ? cause.message : String(cause), cause })

/** The gradient-clipping value the config intends (see the module docs). */
export const intendedClip = (raw: Record<string, unknown> | undefined): number => {
  const top = raw?.["gradient_clip_val"]
  if (typeof top === "number") return top
  const trainer = raw?.["trainer"]
  const nested = typeof trainer === "object" && trainer !== null ? (trainer as Record<string, unknown>)["gradient_clip_val"] : undefined
  return typeof nested === "number" ? nested : 1.0
}

/** RoboVLMs' intended state encoder (§10.1). */
class StateEncoder {
  readonly variables: Map<string, tf.Variable>
  constructor(d: number, seed: number) {
    const rand = mulberry32(deriveSeed(seed, 0x57a7e))
    const xavier = (fanIn: number, fanOut: number) => {
      const bound = Math.sqrt(6 / (fanIn + fanOut))
      return tf.tensor2d(Float32Array.from({ length: fanIn * fanOut }, () => (2 * rand() - 1) * bound), [fanIn, fanOut])
    }
    this.variables = tf.tidy(() => new Map([
      ["arm.weight", tf.variable(xavier(6, d))],
      ["arm.bias", tf.variable(tf.zeros([d]))],
      ["gripper.weight", tf.variable(xavier(2, d))],
      ["fuse.weight", tf.variable(xavier(2 * d, d))],
      ["fuse.bias", tf.variable(tf.zeros([d]))]
    ]) as never) as Map<string, tf.Variable>
  }
  /** robot_obs (R, 15) → (R, D): arm = TCP xyz + Euler (0–5), gripper = last gripper action (14, −1/+1 → 0/1). */
  apply(robotObs: tf.Tensor2D): tf.Tensor2D {
    const v = (k: string) => this.variables.get(k)!
    const r = robotObs.shape[0]
    const arm = tf.add(tf.matMul(tf.slice(robotObs, [0, 0], [r, 6]), v("arm.weight")), v("arm.bias"))
    const open = tf.cast(tf.greater(tf.slice(robotObs, [0, 14], [r, 1]), 0), "float32")
    const gripper = tf.matMul(tf.concat([tf.sub(1, open), open], 1), v("gripper.weight"))
    return tf.add(tf.matMul(tf.concat([arm, gripper], 1), v("fuse.weight")), v("fuse.bias")) as tf.Tensor2D
  }
}

const mergeConfig = (defaults: unknown, given: Record<string, unknown> | undefined, mapped: Record<string, unknown>): Record<string, unknown> => {
  const base = { ...(defaults as Record<string, unknown>) }
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(mapped)) if (k in base) out[k] = v
  return { ...out, ...given }
}

const hashJson = (value: unknown): string => crypto.createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16)

/** What identifies a CALVIN-format dataset for resuming: the bytes of each split's episode index and annotations. */
const datasetFingerprint = (dataDir: string): string => {
  const digest = crypto.createHash("sha256")
  for (const file of ["ep_start_end_ids.npy", "lang_annotations/auto_lang_ann.npy"]) {
    for (const split of ["training", "validation"]) {
      const full = path.join(dataDir, split, file)
      digest.update(`${split}/${file}:`)
      if (fs.existsSync(full)) digest.update(fs.readFileSync(full))
    }
  }
  return digest.digest("hex").slice(0, 16)
}

/** Runs `f` with Math.random replaced by a PRNG seeded from (seed, step): tfjs dropout seeds come from it. */
const withSeededRandom = <A>(seed: number, step: number, f: () => A): A => {
  const original = Math.random
  Math.random = mulberry32(deriveSeed(seed, step, 0xd50))
  try {
    return f()
  } finally {
    Math.random = original
  }
}

const readStatistics = (dir: string): unknown => {
  const file = path.join(dir, "statistics.json")
  try {
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) as unknown : null
  } catch {
    return null
  }
}

const floatTensor = (t: FloatTensor): tf.Tensor => tf.tensor(t.data, [...t.shape], "float32")

/**
 * Trains a policy. Resolves with a summary; rejects with `TrainError` (bad options, missing or corrupt data or
 * checkpoint). Aborting `signal` stops after the current step, writes a checkpoint and resolves.
 *
 * @since 0.1.0
 * @category training
 */
export const train = async (options: TrainOptions): Promise<TrainSummary> => {
  const scope = AsyncScope.make()
  try {
    return await trainIn(scope, options)
  } catch (cause) {
    throw asTrainError(cause)
  } finally {
    await scope.close()
  }
}

const trainIn = async (scope: AsyncScope.AsyncScope, options: TrainOptions): Promise<TrainSummary> => {
  const say = options.onMessage ?? (() => {})
  const rawVla = { ...options.vla }
  const vla = await Effect.runPromise(VlaConfig.decodeVlaConfig(rawVla, { allowUnknownKeys: true }))
  const seed = options.seed ?? vla.seed
  const batchSize = options.batchSize ?? vla.batch_size
  const structure: Structure = {
    historyType: vla.act_head.history_type,
    windowSize: vla.window_size,
    chunkSize: vla.fwd_pred_next_n,
    latent: vla.act_head.latent,
    useGripperCamera: vla.use_hand_rgb,
    stateToken: options.stateToken ?? false
  }
  const trainActionToken = options.trainActionToken ?? true
  const clipNorm = intendedClip(options.vla)
  for (const [key, value] of [["batchSize", batchSize], ["maxSteps", options.maxSteps ?? 1], ["valEvery", (options.valEvery ?? 0) + 1], ["cacheViews", options.cacheViews ?? 1], ["keep", options.keep ?? 3]] as const) {
    if (!(Number.isInteger(value) && value > 0)) throw invalid(`${key} must be a positive integer, got ${value}`)
  }
  const trainDir = path.join(options.data, "training")
  const valDir = path.join(options.data, "validation")
  for (const dir of [trainDir, valDir]) if (!fs.existsSync(dir)) throw new TrainError({ reason: "MissingFile", message: `dataset split ${dir} does not exist (expected <data>/training and <data>/validation)`, file: dir })

  const setup = await initTfjs()
  say(`tfjs: ${setup.summary}`)

  // Plugins, configs mapped from the VLA keys where the plugin has such fields.
  const from = options.from === undefined ? {} : { from: options.from }
  const backbonePlugin = await Effect.runPromise(PluginLoader.loadBackbonePlugin(options.backbone, from))
  const headPlugin = await Effect.runPromise(PluginLoader.loadHeadPlugin(options.head, from))
  const ts = vla.train_setup
  const defaultTrainSetup = (backbonePlugin.defaultConfig as Record<string, unknown>)["trainSetup"]
  const backboneMapped: Record<string, unknown> = { seed }
  if (defaultTrainSetup !== undefined) {
    backboneMapped["trainSetup"] = {
      ...(defaultTrainSetup as Record<string, unknown>),
      freezeBackbone: ts.freeze_backbone,
      trainVision: ts.train_vision,
      trainTextEmbedding: ts.train_text_embedding,
      trainDecoderLayers: ts.train_decoder_layers,
      loraEnable: ts.lora_enable,
      loraR: ts.lora_r,
      loraAlpha: ts.lora_alpha,
      loraDropout: ts.lora_dropout
    }
  }
  const backboneConfig = mergeConfig(backbonePlugin.defaultConfig, options.backboneConfig, backboneMapped)
  const headConfig = mergeConfig(headPlugin.defaultConfig, options.headConfig, {
    seed,
    hidden_size: vla.act_head.hidden_size,
    num_layers: vla.act_head.num_layers,
    arm_gripper_loss_ratio: vla.arm_gripper_loss_ratio,
    bins: vla.act_head.n_bin,
    min_action: vla.act_head.min_action,
    max_action: vla.act_head.max_action
  })
  const backbone: BackboneService = await scope.run(PluginLoader.makePlugin(backbonePlugin, backboneConfig))
  const d = backbone.hiddenSize
  const head = await scope.run(PluginLoader.makePlugin(headPlugin, headConfig, {
    inputSize: d,
    windowSize: structure.windowSize,
    chunkSize: structure.chunkSize,
    latent: structure.latent
  })) as PolicyHeadService & {
    readonly variables?: () => ReadonlyArray<tf.Variable>
    readonly predictTensors?: (lrn: tf.Tensor4D, options?: { readonly training?: boolean }) => { arm: tf.Tensor4D; gripperLogits: tf.Tensor4D; binLogits?: tf.Tensor }
    readonly loss?: (output: unknown, labels: { arm: tf.Tensor4D; gripper: tf.Tensor3D }, mask: tf.Tensor3D) => { loss: tf.Scalar; armLoss: tf.Scalar; gripperLoss: tf.Scalar; gripperAccuracy: tf.Scalar }
  }
  if (head.variables === undefined || head.predictTensors === undefined || head.loss === undefined || head.weights === undefined || head.loadWeights === undefined) {
    throw invalid(`head ${options.head} is not trainable (it has no tfjs variables / predictTensors / loss)`)
  }
  const headVariables = head.variables()
  const headNames = Object.keys(head.weights())
  if (headNames.length !== headVariables.length) throw invalid(`head ${options.head}: weights() and variables() disagree`)
  const pretrained = options.backboneWeights === undefined ? undefined : await loadBackboneWeights(backbone, options.backboneWeights, backboneConfig)
  if (pretrained !== undefined) say(`backbone weights from ${pretrained.file} (${pretrained.loaded} tensors, sha256 ${pretrained.sha256.slice(0, 12)}…)`)

  // What trains, and what can be cached.
  const tensorBackbone: TensorBackbone | undefined = tensorBackboneOf(backbone)
  const backboneTrainable = tensorBackbone?.trainableVariables() ?? []
  const groups = backbone.parameterGroups()
  const visionFrozen = groups.filter((g) => g.part === "vision" || g.part === "projector").every((g) => !g.trainable) && !groups.some((g) => g.part === "lora" && g.trainable)
  const headOnly = tensorBackbone === undefined || (!trainActionToken && backboneTrainable.length === 0)
  if (tensorBackbone === undefined && trainActionToken) say(`backbone ${backbone.name} has no tensor face (inference-only): training the head alone from cached [LRN] features; [LRN] stays at its initial value`)
  if (headOnly && structure.historyType === "pre") throw invalid("head-only training reads cached per-frame [LRN] features; the interleaved (pre) structure has none, train [LRN] or use post / one_step")
  if (headOnly && structure.stateToken) throw invalid("the state token trains through the backbone; it cannot be used head-only")
  const cacheKind = options.cache === "off" && !headOnly ? undefined : headOnly ? "lrn" : visionFrozen ? "images" : undefined
  const views = options.cacheViews ?? 1

  const actionToken = tf.tidy(() => tf.variable(tf.zeros([d]), true))
  const state = structure.stateToken ? new StateEncoder(d, seed) : undefined

  // Named variables the optimiser updates (stable names: checkpoints and resume use them).
  const trainable = new Map<string, tf.Variable>()
  if (tensorBackbone !== undefined && !headOnly) {
    const byVariable = new Map([...tensorBackbone.variables].map(([name, v]) => [v, name]))
    for (const v of backboneTrainable) trainable.set(`backbone.${byVariable.get(v)!}`, v)
    if (trainActionToken) trainable.set("action_token", actionToken)
    if (state !== undefined) for (const [name, v] of state.variables) trainable.set(`state.${name}`, v)
  }
  headVariables.forEach((v, i) => trainable.set(`head.${headNames[i]!}`, v))
  const trainableParameters = [...trainable.values()].reduce((s, v) => s + v.size, 0)

  const loaderImages = cacheKind === undefined ? { preprocessing: backbone.imagePreprocessing } : ("none" as const)
  const cameras: Array<"static" | "gripper"> = structure.useGripperCamera ? ["static", "gripper"] : ["static"]
  const common = { windowSize: structure.windowSize, fwdPredNextN: structure.chunkSize, images: loaderImages, cameras, normalize: vla.norm_action ? { min: vla.norm_min, max: vla.norm_max } : (false as const) }
  const loader = CalvinLoader.open({ ...common, dir: trainDir, batchSize, seed, augment: cacheKind === undefined, workers: options.workers ?? 0, prefetch: 2 })
  const valLoader = CalvinLoader.open({ ...common, dir: valDir, batchSize, seed, augment: false, shuffle: false, dropLast: false, prefetch: 2 })
  await scope.run(Effect.addFinalizer(() => Effect.promise(async () => {
    await loader.close()
    await valLoader.close()
  })))
  const perEpoch = loader.batchesPerEpoch
  if (perEpoch === 0) throw invalid(`the training split has ${loader.index.size} windows, fewer than one batch of ${batchSize}`)
  const totalSteps = options.maxSteps ?? (options.epochs ?? vla.max_epochs) * perEpoch
  const warmupSteps = Math.round(vla.warmup_epochs * perEpoch) + vla.warmup_steps
  const schedule = { learningRate: vla.learning_rate, schedule: vla.scheduler as Schedule, warmupSteps, totalSteps, minLrScale: vla.min_lr_scale }

  const runSettings = {
    backbone: { package: options.backbone, config: backboneConfig },
    head: { package: options.head, config: headConfig },
    vla,
    batchSize,
    seed,
    cache: cacheKind ?? "none",
    views,
    stateToken: structure.stateToken,
    trainActionToken,
    clipNorm,
    // Only when given, so runs without pre-trained weights keep their earlier hash (and still resume).
    ...(pretrained !== undefined ? { backboneWeights: pretrained.sha256 } : {})
  }
  // The data enter the hash by content (index + annotations of both splits), not by where the folder lies, so a run
  // resumes from another checkout or a moved data folder. Runs hashed by the absolute path before still resume.
  const runConfig = { data: datasetFingerprint(options.data), ...runSettings }
  const runHash = hashJson(runConfig)
  const legacyRunHash = hashJson({ data: path.resolve(options.data), ...runSettings })
  fs.mkdirSync(options.out, { recursive: true })
  const checkpoints = path.join(options.out, "checkpoints")
  const logFile = path.join(options.out, "log.jsonl")
  const bestDir = path.join(options.out, "policy-best")

  // Resume (weights, [LRN], state token, optimiser moments, position in the data).
  const optimizer = new AdamW(trainable, { weightDecay: vla.weight_decay, clipNorm })
  let step = 0
  let epoch = 0
  let batchInEpoch = 0
  let samples = 0
  let elapsedBefore = 0
  let resumedFrom: number | undefined
  const latest = options.resume === true ? latestCheckpoint(checkpoints) : undefined
  if (options.resume === true && latest === undefined) say(`no checkpoint in ${checkpoints}; starting from scratch`)
  if (latest !== undefined) {
    const ckpt = readCheckpoint(latest)
    if (ckpt.state.runHash !== runHash && ckpt.state.runHash !== legacyRunHash) throw invalid(`${latest} belongs to a run with other settings (data, plugins, VLA config, batch size, seed or cache); resume with the same ones or use another --out`)
    const split = (prefix: string) => Object.fromEntries([...ckpt.model].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]))
    if (backbone.loadWeights !== undefined && Object.keys(split("backbone.")).length > 0) await Effect.runPromise(backbone.loadWeights(split("backbone.")))
    await Effect.runPromise(head.loadWeights(split("head.")))
    const token = ckpt.model.get("action_token")
    if (token !== undefined) actionToken.assign(tf.tensor1d(token.data))
    if (state !== undefined) for (const [name, v] of state.variables) v.assign(tf.tensor(ckpt.model.get(`state.${name}`)!.data, v.shape))
    try {
      optimizer.loadState(ckpt.optimizer, ckpt.state.optimizerSteps)
    } catch (cause) {
      throw new TrainError({ reason: "CorruptFile", message: `corrupt checkpoint: ${latest}: ${(cause as Error).message}`, file: latest, cause })
    }
    ;({ step, epoch, batch: batchInEpoch, samples } = ckpt.state)
    elapsedBefore = ckpt.state.elapsedSeconds
    resumedFrom = step
    // The log keeps what happened up to the checkpoint; later lines are retraced.
    if (fs.existsSync(logFile)) {
      const kept = fs.readFileSync(logFile, "utf8").split("\n").filter((l) => l.trim() !== "" && (JSON.parse(l) as { step: number }).step <= step)
      writeAtomic(logFile, kept.map((l) => l + "\n").join(""))
    }
    say(`resumed from ${latest} (step ${step}, epoch ${epoch}, batch ${batchInEpoch})`)
  } else {
    fs.rmSync(logFile, { force: true })
    fs.rmSync(bestDir, { recursive: true, force: true })
  }
  // The best validation so far, from the kept log; only when policy-best/ holds it (a run from before
  // policy-best/ existed starts its record afresh).
  let best: { step: number; loss: number } | undefined
  if (resumedFrom !== undefined && fs.existsSync(bestDir) && fs.existsSync(logFile)) {
    for (const line of fs.readFileSync(logFile, "utf8").split("\n")) {
      if (line.trim() === "") continue
      const entry = JSON.parse(line) as { type: string; step: number; loss: number }
      if (entry.type === "val" && entry.step > 0 && (best === undefined || entry.loss < best.loss)) best = { step: entry.step, loss: entry.loss }
    }
  }
  writeAtomic(path.join(options.out, "run.json"), JSON.stringify({ ...runConfig, dataPath: path.resolve(options.data), runHash, totalSteps, perEpoch, warmupSteps, tfjs: setup.summary }, null, 2) + "\n")
  const log = (entry: Record<string, unknown>) => fs.appendFileSync(logFile, JSON.stringify(entry) + "\n")

  // Feature caches (built once per split and key, beside the data).
  const openCache = async (split: CalvinSplit, views: number): Promise<FeatureCache | undefined> => {
    if (cacheKind === undefined) return undefined
    let last = 0
    const cache = await openFeatureCache(split, backbone, backboneConfig, {
      kind: cacheKind,
      views,
      seed,
      useGripperCamera: structure.useGripperCamera,
      latent: structure.latent,
      actionToken: new Float32Array(actionToken.dataSync() as Float32Array),
      signal: options.signal,
      onProgress: (done, total) => {
        if (done - last >= 256 || done === total) {
          last = done
          say(`caching ${cacheKind} features of ${split.dir}: ${done}/${total}`)
        }
      }
    })
    say(`feature cache ${cache.dir}: ${cache.built ? "built" : "reused"} in ${cache.seconds.toFixed(1)} s`)
    return cache
  }
  const trainCache = await openCache(loader.split, views)
  const valCache = await openCache(valLoader.split, 1)

  const tokenIds = new Map<string, ReadonlyArray<number>>()
  const tokenize = (instruction: string) => {
    let ids = tokenIds.get(instruction)
    if (ids === undefined) tokenIds.set(instruction, (ids = backbone.tokenizer.encode(instruction)))
    return ids
  }

  /** The per-frame rows a batch reads from a cache, with the view of each (frame-major: b, t). */
  const cachedRows = (cache: FeatureCache, l: CalvinLoader, batch: WindowBatch, ep: number, training: boolean) => {
    const W = structure.windowSize
    const rows = new Int32Array(batch.size * W)
    const viewOf = new Int32Array(batch.size * W)
    for (let b = 0; b < batch.size; b++) {
      const item = l.index.item(batch.items[b]!)
      for (let t = 0; t < W; t++) {
        rows[b * W + t] = cache.row(item.frames[t]!, item.annotation)
        viewOf[b * W + t] = training && cache.views > 1 ? deriveSeed(seed, ep, item.index, t, 0x71e) % cache.views : 0
      }
    }
    return { rows, viewOf }
  }

  /** Loss terms + arm MAE for a batch, as tensors (call inside tidy / variableGrads). */
  const forward = (batch: WindowBatch, l: CalvinLoader, cache: FeatureCache | undefined, ep: number, training: boolean) => {
    const B = batch.size
    const { windowSize: W, chunkSize: N, latent } = structure
    let lrn: tf.Tensor4D
    if (cache?.kind === "lrn") {
      const { rows, viewOf } = cachedRows(cache, l, batch, ep, training)
      lrn = tf.tensor4d(gatherCached(cache, cache.lrn!, rows, viewOf), [B, W, latent, d])
    } else {
      const tb = tensorBackbone!
      const plan = planSequences(batch.instructions.map(tokenize), backbone.tokenizer, backbone.imageTokens, structure)
      // A longer row would read positions the backbone has no embedding for (tiny-vlm's one-hot lookup gives zeros).
      if (plan.length > (backbone.maxSequenceLength ?? Number.POSITIVE_INFINITY)) {
        throw invalid(
          `${backbone.name} takes at most ${backbone.maxSequenceLength} tokens, but this batch's ${structure.historyType === "pre" ? `interleaved rows of ${W} frames are` : "rows are"} ${plan.length} long: ` +
            (structure.historyType === "pre" ? "lower the window or " : "") + `raise the backbone's maxPositions in backboneConfig (weights pre-trained with fewer positions do not load then)`
        )
      }
      let staticTokens: tf.Tensor
      let gripperTokens: tf.Tensor | undefined
      if (cache?.kind === "images") {
        const { rows, viewOf } = cachedRows(cache, l, batch, ep, training)
        staticTokens = tf.tensor3d(gatherCached(cache, cache.static!, rows, viewOf), [B * W, cache.tokens, d])
        if (structure.useGripperCamera) gripperTokens = tf.tensor3d(gatherCached(cache, cache.gripper!, rows, viewOf), [B * W, cache.tokens, d])
      } else {
        const s = backbone.imagePreprocessing.size
        staticTokens = tb.encodeImages(tf.reshape(floatTensor(batch.rgbStatic as FloatTensor), [B * W, 3, s, s]))
        if (structure.useGripperCamera) gripperTokens = tb.encodeImages(tf.reshape(floatTensor(batch.rgbGripper as FloatTensor), [B * W, 3, s, s]))
      }
      const stateTokens = state?.apply(tf.reshape(floatTensor(batch.robotObs), [B * W, 15]) as tf.Tensor2D)
      lrn = lrnHidden(tb, actionToken, structure, B, { plan, staticTokens, gripperTokens, stateTokens })
    }
    const out = head.predictTensors!(lrn, { training })
    const actions = floatTensor(batch.actions)
    const labels = { arm: tf.slice(actions, [0, 0, 0, 0], [B, W, N, 6]) as tf.Tensor4D, gripper: floatTensor(batch.gripperLabels) as tf.Tensor3D }
    const mask = floatTensor(batch.chunkMask) as tf.Tensor3D
    const terms = head.loss!(out, labels, mask)
    const valid = tf.maximum(tf.sum(mask), 1)
    const armMae = tf.div(tf.sum(tf.mul(tf.abs(tf.sub(out.arm, labels.arm)), tf.expandDims(mask, -1))), tf.mul(valid, 6)) as tf.Scalar
    return { ...terms, armMae, valid: tf.sum(mask) as tf.Scalar }
  }

  const evaluate = async (ep: number): Promise<EvalMetrics> => {
    const total = Math.min(valLoader.batchesPerEpoch, options.valBatches ?? Number.POSITIVE_INFINITY)
    let weight = 0
    const sums = { loss: 0, armLoss: 0, gripperLoss: 0, armMae: 0, gripperAccuracy: 0 }
    let count = 0
    for (let b = 0; b < total; b++) {
      const batch = await valLoader.load(valLoader.plan(0, b))
      const values = tf.tidy(() => {
        const r = forward(batch, valLoader, valCache, ep, false)
        return [r.loss, r.armLoss, r.gripperLoss, r.armMae, r.gripperAccuracy, r.valid].map((t) => t.dataSync()[0]!)
      })
      const w = values[5]!
      sums.loss += values[0]! * w
      sums.armLoss += values[1]! * w
      sums.gripperLoss += values[2]! * w
      sums.armMae += values[3]! * w
      sums.gripperAccuracy += values[4]! * w
      weight += w
      count += batch.size
    }
    const mean = (x: number) => (weight > 0 ? x / weight : Number.NaN)
    return { loss: mean(sums.loss), armLoss: mean(sums.armLoss), gripperLoss: mean(sums.gripperLoss), armMae: mean(sums.armMae), gripperAccuracy: mean(sums.gripperAccuracy), samples: count }
  }

  const trainingInstructions = [...new Set(loader.split.annotations.map((a) => a.instruction))].sort()
  const checkpointConfig = (extra: Record<string, unknown>) => ({
    format: CHECKPOINT_FORMAT,
    name: `${backbonePlugin.name}+${headPlugin.name}`,
    backbone: { package: options.backbone, name: backbonePlugin.name, version: backbonePlugin.version, contractVersion: backbonePlugin.contractVersion, config: backboneConfig },
    head: { package: options.head, name: headPlugin.name, version: headPlugin.version, contractVersion: headPlugin.contractVersion, config: headConfig },
    vla,
    structure,
    normalization: { min: vla.norm_action ? vla.norm_min : -1, max: vla.norm_action ? vla.norm_max : 1, statistics: readStatistics(trainDir) },
    tokenizer: {
      vocabSize: backbone.tokenizer.vocabSize,
      bosId: backbone.tokenizer.bosId ?? null,
      eosId: backbone.tokenizer.eosId ?? null,
      padId: backbone.tokenizer.padId,
      probes: trainingInstructions,
      fingerprint: tokenizerFingerprint(backbone.tokenizer, trainingInstructions)
    },
    training: extra
  })
  let lastVal: EvalMetrics | undefined
  let firstVal: EvalMetrics | undefined
  const saveCheckpoint = (): string => {
    const model: NamedTensors = new Map()
    const bw = backbone.weights?.()
    if (bw !== undefined) for (const [k, v] of Object.entries(bw)) model.set(`backbone.${k}`, { data: Float32Array.from(v.data), shape: v.shape })
    for (const [k, v] of Object.entries(head.weights!())) model.set(`head.${k}`, { data: Float32Array.from(v.data), shape: v.shape })
    model.set("action_token", { data: new Float32Array(actionToken.dataSync() as Float32Array), shape: [d] })
    if (state !== undefined) for (const [k, v] of state.variables) model.set(`state.${k}`, { data: new Float32Array(v.dataSync() as Float32Array), shape: v.shape })
    const trainerState: TrainerState = { step, epoch, batch: batchInEpoch, optimizerSteps: optimizer.steps, runHash, elapsedSeconds: elapsedBefore + (performance.now() - started) / 1000, samples }
    return writeCheckpoint(checkpoints, {
      config: checkpointConfig({ step, epoch, seed, samples, valLoss: lastVal?.loss ?? null, runHash, ...(pretrained !== undefined ? { backboneWeights: { file: pretrained.file, sha256: pretrained.sha256 } } : {}) }),
      model,
      state: trainerState,
      optimizer: optimizer.state()
    }, options.keep ?? 3)
  }

  const started = performance.now()
  const valEvery = options.valEvery ?? 0
  const checkpointEvery = options.checkpointEvery ?? 0
  /** Whether the last validation is the lowest after step 0: its checkpoint becomes policy-best/. */
  let improved = false
  const validate = async () => {
    lastVal = await evaluate(epoch)
    firstVal ??= lastVal
    log({ type: "val", step, epoch, ...lastVal })
    improved = step > 0 && (best === undefined || lastVal.loss < best.loss)
    if (improved) best = { step, loss: lastVal.loss }
    say(`validation at step ${step}: loss ${lastVal.loss.toFixed(4)}, arm MAE ${lastVal.armMae.toFixed(4)}, gripper accuracy ${(lastVal.gripperAccuracy * 100).toFixed(1)}%${improved ? " (best so far: policy-best/)" : ""}`)
  }
  if (resumedFrom === undefined && (options.validateAtStart ?? true)) await validate()

  let running = Number.NaN
  let lastLoss = Number.NaN
  let interrupted = false
  let checkpoint: string | undefined
  const windowStart = { time: performance.now(), step, samples }
  let pending: Promise<WindowBatch> | undefined
  let order = loader.order(epoch)
  const planFor = (e: number, b: number) => loader.plan(e, b, e === epoch ? order : loader.order(e))
  while (step < totalSteps) {
    if (options.signal?.aborted === true) {
      interrupted = true
      break
    }
    const batch = await (pending ?? loader.load(planFor(epoch, batchInEpoch)))
    // Prefetch the next batch while this one trains.
    const nextEpoch = batchInEpoch + 1 < perEpoch ? epoch : epoch + 1
    const nextBatch = batchInEpoch + 1 < perEpoch ? batchInEpoch + 1 : 0
    pending = step + 1 < totalSteps ? loader.load(planFor(nextEpoch, nextBatch)) : undefined
    pending?.catch(() => undefined)
    const lr = learningRateAt(optimizer.steps, schedule)
    const metrics = withSeededRandom(seed, step, () => {
      let kept: Array<tf.Tensor> = []
      const { value, grads } = tf.variableGrads(() => {
        const r = forward(batch, loader, trainCache, epoch, true)
        kept = [tf.keep(r.armLoss), tf.keep(r.gripperLoss), tf.keep(r.gripperAccuracy), tf.keep(r.armMae)]
        return r.loss
      }, [...trainable.values()])
      const byName = new Map<string, tf.Tensor>()
      for (const [name, v] of trainable) {
        const g = grads[v.name]
        if (g !== undefined) byName.set(name, g)
      }
      const report = optimizer.apply(byName, lr)
      const values = [value, ...kept].map((t) => t.dataSync()[0]!)
      tf.dispose([value, ...kept, ...Object.values(grads)])
      return { loss: values[0]!, armLoss: values[1]!, gripperLoss: values[2]!, gripperAccuracy: values[3]!, armMae: values[4]!, ...report }
    })
    if (!Number.isFinite(metrics.loss)) throw new TrainError({ reason: "InvalidInput", message: `the training loss became ${metrics.loss} at step ${step} (learning rate ${lr}); lower learning_rate or enable gradient_clip_val` })
    step += 1
    samples += batch.size
    lastLoss = metrics.loss
    running = Number.isNaN(running) ? metrics.loss : 0.9 * running + 0.1 * metrics.loss
    batchInEpoch += 1
    let epochEnded = false
    if (batchInEpoch >= perEpoch) {
      epoch += 1
      batchInEpoch = 0
      order = loader.order(epoch)
      epochEnded = true
    }
    const seconds = (performance.now() - windowStart.time) / 1000
    const stepsPerSecond = (step - windowStart.step) / Math.max(seconds, 1e-9)
    const samplesPerSecond = (samples - windowStart.samples) / Math.max(seconds, 1e-9)
    log({ type: "train", step, epoch, lr, ...metrics, samplesPerSecond })
    options.onProgress?.({ step, totalSteps, epoch, stepsPerSecond, samplesPerSecond, runningLoss: running, lr, lastValLoss: lastVal?.loss })
    const validateNow = valEvery > 0 ? step % valEvery === 0 || step === totalSteps : epochEnded || step === totalSteps
    improved = false
    if (validateNow) await validate()
    const checkpointNow = (checkpointEvery > 0 ? step % checkpointEvery === 0 : validateNow) && step < totalSteps
    if (checkpointNow) checkpoint = saveCheckpoint()
    if (improved && step < totalSteps) publishPolicy(checkpointNow ? checkpoint! : saveCheckpoint(), bestDir)
  }
  await pending?.catch(() => undefined)
  checkpoint = saveCheckpoint()
  publishPolicy(checkpoint, path.join(options.out, "policy"))
  if (improved) publishPolicy(checkpoint, bestDir)
  const seconds = (performance.now() - started) / 1000
  const summary: TrainSummary = {
    steps: step,
    epochs: epoch,
    interrupted,
    checkpoint,
    firstVal,
    lastVal,
    finalTrainLoss: lastLoss,
    samplesPerSecond: (samples - windowStart.samples) / Math.max(seconds, 1e-9),
    stepsPerSecond: (step - windowStart.step) / Math.max(seconds, 1e-9),
    seconds,
    cache: cacheKind ?? "none",
    trainableParameters,
    resumedFrom,
    best
  }
  writeAtomic(path.join(options.out, "summary.json"), JSON.stringify(summary, null, 2) + "\n")
  writePlots(options.out, logFile, `${backbonePlugin.name} + ${headPlugin.name} (${structure.historyType}, W ${structure.windowSize}, N ${structure.chunkSize})`, summary)
  optimizer.dispose()
  actionToken.dispose()
  if (state !== undefined) for (const v of state.variables.values()) v.dispose()
  return summary
}

/**
 * Writes `loss.html` and `loss.png` from a run's `log.jsonl`.
 *
 * @since 0.1.0
 * @category reporting
 */
export const writePlots = (out: string, logFile: string, title: string, summary?: TrainSummary): void => {
  const entries = fs.existsSync(logFile)
    ? fs.readFileSync(logFile, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Record<string, number | string>)
    : []
  const train = entries.filter((e) => e["type"] === "train").map((e) => [e["step"] as number, e["loss"] as number] as const)
  const smoothed: Array<readonly [number, number]> = []
  let ema = Number.NaN
  for (const [s, l] of train) smoothed.push([s, (ema = Number.isNaN(ema) ? l : 0.9 * ema + 0.1 * l)])
  const val = entries.filter((e) => e["type"] === "val")
  const series = (key: string) => val.map((e) => [e["step"] as number, e[key] as number] as const)
  const panels = [
    {
      title: "loss",
      yLabel: "loss",
      series: [
        { name: "train (per step)", color: "#9ecae1", points: train, dashed: true },
        { name: "train (EMA 0.9)", color: "#08519c", points: smoothed },
        { name: "validation", color: "#d94801", points: series("loss"), markers: true }
      ] satisfies Array<PlotSeries>
    },
    {
      title: "validation arm MAE (normalised) and gripper accuracy",
      yLabel: "value",
      series: [
        { name: "arm MAE", color: "#238b45", points: series("armMae"), markers: true },
        { name: "gripper accuracy", color: "#6a51a3", points: series("gripperAccuracy"), markers: true }
      ] satisfies Array<PlotSeries>
    }
  ]
  const footer = summary === undefined ? "" : JSON.stringify({ steps: summary.steps, samplesPerSecond: Number(summary.samplesPerSecond.toFixed(2)), cache: summary.cache, firstVal: summary.firstVal, lastVal: summary.lastVal }, null, 2)
  writeAtomic(path.join(out, "loss.html"), lossPlotHtml(title, panels, footer))
  writeAtomic(path.join(out, "loss.png"), lossPlotPng(panels))
}

/** Re-exported for callers that want to assemble sequences themselves. @since 0.1.0 @category layout */
export const frameLayout = Assembly.frameLayout
