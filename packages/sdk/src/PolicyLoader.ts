/**
 * From a declarative spec (backbone and head package names, their configs, the VLA config, an optional
 * checkpoint folder) to a loaded {@link VlaPolicyModel}. The gateway's plugin deployments and the benchmark's
 * in-process policies both go through here, so a spec means the same thing everywhere.
 *
 * A checkpoint folder holds `policy.json` (the same spec fields, relative paths inside it resolved against the
 * folder) and optionally `action_token.safetensors` (tensor `action_token`, the trained [LRN] vector).
 * Fields given in the spec itself win over the checkpoint's.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Schema, type Scope } from "effect"
import { ACTION_TOKEN_TENSOR_NAME, assemblyConfigFromVla, makeVlaPolicyModel, type VlaPolicyModel } from "./assembly/VlaPolicyModel.ts"
import { selectBackend } from "./ComputeEngine.ts"
import { decodeEffect } from "./internal/schemaDecode.ts"
import { loadBackbonePlugin, loadHeadPlugin, makePlugin } from "./PluginLoader.ts"
import { readSafetensorsFile } from "./Safetensors.ts"
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
  /** Checkpoint folder (policy.json + action_token.safetensors). */
  checkpoint: Schema.optionalKey(Schema.String),
  /** Shorthand for an ONNX backbone: the folder holding its config.json and .onnx files. */
  onnx: Schema.optionalKey(Schema.String),
  /** Folder to resolve plugin packages from (defaults to the current directory). */
  from: Schema.optionalKey(Schema.String),
  name: Schema.optionalKey(Schema.String)
})

/** @since 0.1.0 @category models */
export type PolicyModelSpec = typeof PolicyModelSpec.Type

const ONNX_BACKBONE = "@robovla/backbone-onnx"

/** Resolves `./relative` string values of a config against a folder (configs name model files that way). */
const resolvePaths = (value: unknown, dir: string): unknown => {
  if (typeof value === "string") return value.startsWith("./") || value.startsWith("../") ? path.resolve(dir, value) : value
  if (Array.isArray(value)) return value.map((v) => resolvePaths(v, dir))
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolvePaths(v, dir)]))
  }
  return value
}

const readCheckpoint = (dir: string): Effect.Effect<{ spec: PolicyModelSpec; actionToken: Float32Array | undefined }, SdkError> =>
  Effect.gen(function*() {
    const specFile = path.join(dir, "policy.json")
    if (!fs.existsSync(specFile)) {
      return yield* new SdkError({ reason: "WeightsNotFound", message: `checkpoint ${dir} has no policy.json`, subject: specFile })
    }
    const raw = yield* Effect.try({
      try: () => JSON.parse(fs.readFileSync(specFile, "utf8")) as unknown,
      catch: (cause) => new SdkError({ reason: "CorruptFile", message: `${specFile} is not valid JSON: ${String(cause)}`, subject: specFile, cause })
    })
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
    const backboneName = spec.backbone ?? (spec.onnx !== undefined ? ONNX_BACKBONE : undefined)
    if (backboneName === undefined) return yield* new SdkError({ reason: "InvalidInput", message: "policy spec names no backbone (or onnx folder)", subject: "backbone" })
    if (spec.head === undefined) return yield* new SdkError({ reason: "InvalidInput", message: "policy spec names no head", subject: "head" })
    const vla = yield* decodeVlaConfig(spec.vla ?? {}, { allowUnknownKeys: true })
    const from = spec.from === undefined ? {} : { from: spec.from }
    const backbonePlugin = yield* loadBackbonePlugin(backboneName, from)
    const headPlugin = yield* loadHeadPlugin(spec.head, from)
    const backboneConfig = spec.backboneConfig ?? (spec.onnx !== undefined ? { modelDir: spec.onnx } : undefined)
    // tfjs plugins need an engine before they make tensors; selecting one is idempotent.
    yield* Effect.tryPromise({
      try: () => selectBackend(),
      catch: (cause) => (cause instanceof SdkError ? cause : new SdkError({ reason: "EngineUnavailable", message: `no tfjs backend: ${String(cause)}`, cause }))
    })
    const backbone = yield* makePlugin(backbonePlugin, backboneConfig)
    const assembly = { ...assemblyConfigFromVla(vla), name: spec.name ?? `${backbonePlugin.name}+${headPlugin.name}` }
    const head = yield* makePlugin(headPlugin, spec.headConfig, {
      inputSize: backbone.hiddenSize,
      windowSize: assembly.windowSize,
      chunkSize: assembly.chunkSize,
      latent: assembly.latent
    })
    return yield* makeVlaPolicyModel({
      backbone,
      head,
      config: assembly,
      ...(fromCheckpoint?.actionToken !== undefined ? { actionToken: fromCheckpoint.actionToken } : {})
    })
  }).pipe(Effect.withSpan("PolicyLoader.loadPolicyModel"))
