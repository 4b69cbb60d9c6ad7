/**
 * From a declarative spec (backbone and head package names, their configs, the VLA config, an optional
 * checkpoint folder) to a loaded {@link VlaPolicyModel}. The gateway's plugin deployments and the benchmark's
 * in-process policies both go through here, so a spec means the same thing everywhere.
 *
 * A checkpoint folder is either a **trained checkpoint** (`robovla.checkpoint/v1`, written by `robovla train`):
 * `config.json` ({@link CheckpointConfig}: plugin packages, names, versions and configs, the VLA config, the
 * structure, the normalisation, a tokenizer fingerprint, the weight file's size and SHA-256) + `model.safetensors`
 * (`backbone.<name>`, `head.<name>`, `action_token`); or a hand-written **spec folder**: `policy.json` (the same
 * fields as {@link PolicyModelSpec}) and optionally `action_token.safetensors`. Relative `./` paths inside either
 * are resolved against the folder. Fields given in the spec itself win over the checkpoint's.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Schema, type Scope } from "effect"
import { makeStateTokenEncoder } from "./assembly/StateToken.ts"
import { ACTION_TOKEN_TENSOR_NAME, assemblyConfigFromVla, makeVlaPolicyModel, type VlaPolicyModel } from "./assembly/VlaPolicyModel.ts"
import { decodeEffect } from "./internal/schemaDecode.ts"
import { findBackboneForFormat, loadBackbonePlugin, loadHeadPlugin, makePlugin } from "./PluginLoader.ts"
import * as crypto from "node:crypto"
import { parseSafetensors, readSafetensorsFile } from "./Safetensors.ts"
import type { FloatTensor } from "./Tensor.ts"
import { SdkError } from "./SdkError.ts"
import { decodeVlaConfig } from "./VlaConfig.ts"

/**
 * @since 0.1.0
 * @category schemas
 */
export const PolicyModelSpec = Schema.Struct({
  /** Backbone plugin package, e.g. `@robovla/backbone-onnx`. */
  backbone: Schema.optionalKey(Schema.String),
  /** Head plugin package, e.g. `@robovla/head-lstm`. */
  head: Schema.optionalKey(Schema.String),
  backboneConfig: Schema.optionalKey(Schema.Unknown),
  headConfig: Schema.optionalKey(Schema.Unknown),
  /** RoboVLMs-style VLA config (window_size, fwd_pred_next_n, act_head, use_hand_rgb, norm_min/max…). */
  vla: Schema.optionalKey(Schema.Unknown),
  /** Checkpoint folder: config.json + model.safetensors (trained), or policy.json (+ action_token.safetensors). */
  checkpoint: Schema.optionalKey(Schema.String),
  /** Shorthand for an ONNX model folder: opened (as `{ modelDir }`) by the installed backbone declaring `"modelFormats": ["onnx"]`. */
  onnx: Schema.optionalKey(Schema.String),
  /** Folder to resolve plugin packages from (defaults to the current directory). */
  from: Schema.optionalKey(Schema.String),
  name: Schema.optionalKey(Schema.String)
})

/** @since 0.1.0 @category models */
export type PolicyModelSpec = typeof PolicyModelSpec.Type

/** Resolves `./relative` string values of a config against a folder (configs name model files that way). */
const resolvePaths = (value: unknown, dir: string): unknown => {
  if (typeof value === "string") return value.startsWith("./") || value.startsWith("../") ? path.resolve(dir, value) : value
  if (Array.isArray(value)) return value.map((v) => resolvePaths(v, dir))
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolvePaths(v, dir)]))
  }
  return value
}

/**
 * The format tag of trained checkpoints' `config.json`.
 *
 * @since 0.1.0
 * @category constants
 */
export const CHECKPOINT_FORMAT = "robovla.checkpoint/v1"

const PluginRef = Schema.Struct({
  /** npm package the loader resolves, e.g. `@robovla/head-lstm`. */
  package: Schema.String,
  /** The manifest's `name` and `version` when the checkpoint was written. */
  name: Schema.String,
  version: Schema.String,
  contractVersion: Schema.String,
  /** The decoded plugin config (relative `./` paths resolve against the checkpoint folder). */
  config: Schema.Unknown
})

/**
 * `config.json` of a trained checkpoint: everything needed to rebuild the policy with no other input.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CheckpointConfig = Schema.Struct({
  format: Schema.Literal(CHECKPOINT_FORMAT),
  name: Schema.String,
  backbone: PluginRef,
  head: PluginRef,
  /** The full decoded RoboVLMs-style VLA config the policy was trained with. */
  vla: Schema.Unknown,
  structure: Schema.Struct({
    historyType: Schema.Literals(["one_step", "pre", "post"]),
    windowSize: Schema.Number,
    chunkSize: Schema.Number,
    latent: Schema.Number,
    useGripperCamera: Schema.Boolean,
    /** An optional robot_obs state token before [LRN] (RoboVLMs' intended `use_state`). */
    stateToken: Schema.Boolean
  }),
  /** Arm (de)normalisation range, and the training split's statistics (informative). */
  normalization: Schema.Struct({ min: Schema.Number, max: Schema.Number, statistics: Schema.optionalKey(Schema.Unknown) }),
  /** The backbone tokenizer's ids and a fingerprint: SHA-256 of the JSON of `encode(probe)` for every probe. */
  tokenizer: Schema.Struct({
    vocabSize: Schema.Number,
    bosId: Schema.NullOr(Schema.Number),
    eosId: Schema.NullOr(Schema.Number),
    padId: Schema.Number,
    probes: Schema.Array(Schema.String),
    fingerprint: Schema.String
  }),
  weights: Schema.Struct({ file: Schema.String, bytes: Schema.Number, sha256: Schema.String }),
  /** Where the checkpoint came from (step, epoch, seed, losses); informative. */
  training: Schema.optionalKey(Schema.Unknown)
})

/** @since 0.1.0 @category models */
export type CheckpointConfig = typeof CheckpointConfig.Type

/**
 * The tokenizer fingerprint stored in and checked against a checkpoint.
 *
 * @since 0.1.0
 * @category utils
 */
export const tokenizerFingerprint = (tokenizer: { readonly encode: (text: string) => ReadonlyArray<number> }, probes: ReadonlyArray<string>): string =>
  crypto.createHash("sha256").update(JSON.stringify(probes.map((p) => [...tokenizer.encode(p)]))).digest("hex")

/** The tensors of a checkpoint's model.safetensors, split by owner. */
interface CheckpointWeights {
  readonly backbone: Record<string, FloatTensor>
  readonly head: Record<string, FloatTensor>
  readonly actionToken: Float32Array | undefined
  readonly state: Record<string, FloatTensor>
}

interface ReadCheckpoint {
  readonly spec: PolicyModelSpec
  readonly actionToken: Float32Array | undefined
  readonly trained?: { readonly config: CheckpointConfig; readonly weights: CheckpointWeights; readonly dir: string }
}

const corrupt = (file: string, message: string, cause?: unknown) =>
  new SdkError({ reason: "CorruptFile", message: `${file}: ${message}`, subject: file, ...(cause !== undefined ? { cause } : {}) })

const readJson = (file: string): Effect.Effect<unknown, SdkError> =>
  Effect.try({
    try: () => JSON.parse(fs.readFileSync(file, "utf8")) as unknown,
    catch: (cause) => corrupt(file, `not valid JSON (${String(cause)})`, cause)
  })

/**
 * Reads and verifies a trained checkpoint's weights: size and SHA-256 as recorded in config.json, then the
 * safetensors header and data, split into `backbone.` / `head.` / `state.` / `action_token`.
 */
const readCheckpointWeights = (dir: string, config: CheckpointConfig): Effect.Effect<CheckpointWeights, SdkError> =>
  Effect.gen(function*() {
    const file = path.join(dir, config.weights.file)
    if (!fs.existsSync(file)) return yield* new SdkError({ reason: "WeightsNotFound", message: `checkpoint ${dir} has no ${config.weights.file}`, subject: file })
    const bytes = yield* Effect.try({ try: () => fs.readFileSync(file), catch: (cause) => corrupt(file, `cannot be read (${String(cause)})`, cause) })
    if (bytes.length !== config.weights.bytes) return yield* corrupt(file, `has ${bytes.length} bytes, config.json records ${config.weights.bytes} (truncated or replaced)`)
    const sha = crypto.createHash("sha256").update(bytes).digest("hex")
    if (sha !== config.weights.sha256) return yield* corrupt(file, `SHA-256 ${sha.slice(0, 12)}… differs from config.json's ${config.weights.sha256.slice(0, 12)}… (corrupt)`)
    const parsed = yield* Effect.try({ try: () => parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), file), catch: (cause) => (cause instanceof SdkError ? cause : corrupt(file, String(cause), cause)) })
    const out = { backbone: {} as Record<string, FloatTensor>, head: {} as Record<string, FloatTensor>, state: {} as Record<string, FloatTensor>, actionToken: undefined as Float32Array | undefined }
    for (const [name, tensor] of parsed.tensors) {
      if (!(tensor.data instanceof Float32Array)) return yield* corrupt(file, `tensor ${name} is ${tensor.dtype}, checkpoints hold F32`)
      const value = { data: tensor.data, shape: [...tensor.shape] }
      if (name === ACTION_TOKEN_TENSOR_NAME) out.actionToken = Float32Array.from(tensor.data)
      else if (name.startsWith("backbone.")) out.backbone[name.slice(9)] = value
      else if (name.startsWith("head.")) out.head[name.slice(5)] = value
      else if (name.startsWith("state.")) out.state[name.slice(6)] = value
      else return yield* corrupt(file, `tensor ${name} belongs to no part (expected backbone.*, head.*, state.* or ${ACTION_TOKEN_TENSOR_NAME})`)
    }
    return out
  })

const readCheckpoint = (dir: string): Effect.Effect<ReadCheckpoint, SdkError> =>
  Effect.gen(function*() {
    const configFile = path.join(dir, "config.json")
    if (fs.existsSync(configFile)) {
      const raw = yield* readJson(configFile)
      const config = yield* decodeEffect(CheckpointConfig, raw, configFile, false)
      const weights = yield* readCheckpointWeights(dir, config)
      const spec: PolicyModelSpec = {
        name: config.name,
        backbone: config.backbone.package,
        head: config.head.package,
        backboneConfig: resolvePaths(config.backbone.config, dir),
        headConfig: resolvePaths(config.head.config, dir),
        vla: config.vla
      }
      return { spec, actionToken: weights.actionToken, trained: { config, weights, dir } }
    }
    const specFile = path.join(dir, "policy.json")
    if (!fs.existsSync(specFile)) {
      return yield* new SdkError({ reason: "WeightsNotFound", message: `checkpoint ${dir} has neither config.json nor policy.json`, subject: specFile })
    }
    const raw = yield* readJson(specFile)
    const spec = yield* decodeEffect(PolicyModelSpec, resolvePaths(raw, dir), specFile, true)
    const tokenFile = path.join(dir, "action_token.safetensors")
    let actionToken: Float32Array | undefined
    if (fs.existsSync(tokenFile)) {
      const tensors = yield* readSafetensorsFile(tokenFile)
      const token = tensors.tensors.get(ACTION_TOKEN_TENSOR_NAME)
      if (token === undefined) return yield* new SdkError({ reason: "CorruptFile", message: `${tokenFile} has no tensor "${ACTION_TOKEN_TENSOR_NAME}"`, subject: tokenFile })
      actionToken = Float32Array.from(token.data as ArrayLike<number>)
    }
    return { spec, actionToken }
  })

/** Loads a trained checkpoint's weights into the made plugins and checks the tokenizer is the one trained with. */
const applyTrained = (
  trained: NonNullable<ReadCheckpoint["trained"]>,
  backbone: { readonly name: string; readonly tokenizer: { readonly encode: (t: string) => ReadonlyArray<number> }; readonly loadWeights?: ((w: Readonly<Record<string, FloatTensor>>) => Effect.Effect<void, SdkError>) | undefined },
  head: { readonly name: string; readonly loadWeights?: ((w: Readonly<Record<string, FloatTensor>>) => Effect.Effect<void, SdkError>) | undefined }
): Effect.Effect<void, SdkError> =>
  Effect.gen(function*() {
    const { config, weights, dir } = trained
    const file = path.join(dir, config.weights.file)
    if (config.structure.stateToken !== Object.keys(weights.state).length > 0) {
      return yield* corrupt(file, config.structure.stateToken ? "its config has a state token but it holds no state.* tensors" : "holds state.* tensors but its config has no state token")
    }
    if (Object.keys(weights.backbone).length > 0) {
      if (backbone.loadWeights === undefined) return yield* new SdkError({ reason: "InvalidInput", message: `${file} holds backbone weights but backbone "${backbone.name}" cannot load weights`, subject: "backbone" })
      yield* backbone.loadWeights(weights.backbone)
    }
    if (Object.keys(weights.head).length === 0) return yield* corrupt(file, "holds no head.* tensors")
    if (head.loadWeights === undefined) return yield* new SdkError({ reason: "InvalidInput", message: `head "${head.name}" cannot load weights`, subject: "head" })
    yield* head.loadWeights(weights.head)
    const fingerprint = tokenizerFingerprint(backbone.tokenizer, config.tokenizer.probes)
    if (fingerprint !== config.tokenizer.fingerprint) {
      return yield* new SdkError({ reason: "IncompatibleContract", message: `backbone "${backbone.name}" tokenizes differently from the one ${dir} was trained with (fingerprint mismatch)`, subject: "tokenizer" })
    }
  })

/**
 * Loads plugins by package name, makes them in the caller's Scope (closing it frees them), and assembles the
 * policy model. Errors are `SdkError`s naming the package, field or file at fault.
 *
 * @since 0.1.0
 * @category constructors
 */
export const loadPolicyModel = (input: unknown): Effect.Effect<VlaPolicyModel, SdkError, Scope.Scope> =>
  Effect.gen(function*() {
    const given = yield* decodeEffect(PolicyModelSpec, input, "policy spec", true)
    const fromCheckpoint = given.checkpoint === undefined ? undefined : yield* readCheckpoint(given.checkpoint)
    const spec: PolicyModelSpec = { ...fromCheckpoint?.spec, ...given }
    // The `onnx` shorthand goes to whichever installed backbone declares the "onnx" model format.
    const backboneName = spec.backbone ?? (spec.onnx !== undefined ? yield* findBackboneForFormat("onnx", spec.from === undefined ? {} : { from: spec.from }) : undefined)
    if (backboneName === undefined) return yield* new SdkError({ reason: "InvalidInput", message: "policy spec names no backbone (or onnx folder)", subject: "backbone" })
    if (spec.head === undefined) return yield* new SdkError({ reason: "InvalidInput", message: "policy spec names no head", subject: "head" })
    const vla = yield* decodeVlaConfig(spec.vla ?? {}, { allowUnknownKeys: true })
    const from = spec.from === undefined ? {} : { from: spec.from }
    const backbonePlugin = yield* loadBackbonePlugin(backboneName, from)
    const headPlugin = yield* loadHeadPlugin(spec.head, from)
    const backboneConfig = spec.backboneConfig ?? (spec.onnx !== undefined ? { modelDir: spec.onnx } : undefined)
    // Each plugin initialises its own engine in `make` (tfjs plugins through @robovla/tfjs): the SDK loads none.
    const backbone = yield* makePlugin(backbonePlugin, backboneConfig)
    const assembly = { ...assemblyConfigFromVla(vla), name: spec.name ?? `${backbonePlugin.name}+${headPlugin.name}` }
    const head = yield* makePlugin(headPlugin, spec.headConfig, {
      inputSize: backbone.hiddenSize,
      windowSize: assembly.windowSize,
      chunkSize: assembly.chunkSize,
      latent: assembly.latent
    })
    if (fromCheckpoint?.trained !== undefined) yield* applyTrained(fromCheckpoint.trained, backbone, head)
    const stateWeights = fromCheckpoint?.trained?.weights.state ?? {}
    const stateToken = Object.keys(stateWeights).length === 0 ? undefined : yield* Effect.try({
      try: () => makeStateTokenEncoder(stateWeights, backbone.hiddenSize),
      catch: (cause) => cause instanceof SdkError ? cause : new SdkError({ reason: "InvalidInput", message: String(cause), cause })
    })
    return yield* makeVlaPolicyModel({
      backbone,
      head,
      config: assembly,
      ...(fromCheckpoint?.actionToken !== undefined ? { actionToken: fromCheckpoint.actionToken } : {}),
      ...(stateToken !== undefined ? { stateToken } : {})
    })
  }).pipe(Effect.withSpan("PolicyLoader.loadPolicyModel"))
