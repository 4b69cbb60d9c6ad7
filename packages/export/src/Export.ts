/**
 * `robovla export`: a policy (any spec `loadPolicyModel` reads: plugins + configs, or a checkpoint folder) →
 * an exported folder of ONNX graphs that `loadExportedPolicy` serves on onnxruntime-node:
 *
 *   export.json                 manifest (assembly, graphs, head stepping, verification)
 *   backbone/…                  tiny-vlm: vision_encoder / embed_tokens / decoder .onnx + tokenizer.json;
 *                               an ONNX backbone: its folder, copied (config.json, graphs, tokenizer)
 *   head.onnx                   the head over a (B, T, latent, D) window; LSTM state as explicit inputs/outputs
 *   action_token.safetensors    the [LRN] vector
 *   state_token.onnx            policies with a robot_obs state token: robot_obs (B, 15) → the token (B, D)
 *
 * The folder is written beside the target and renamed into place when complete (nothing is overwritten before
 * that), then verified: the source policy and the export run the same rollout (same observations and
 * instructions, history included) and every action must agree within the tolerance (default 1e-4).
 *
 * Exporters live here for now (tiny-vlm, the ONNX backbone, the four heads); the README says how plugins
 * should own theirs later.
 *
 * @since 0.1.0
 */
import { loadPolicyModel, mulberry32, Observation, PluginLoader, Safetensors, type ObservationFrame, type SdkError, type VlaPolicyModel } from "@robovla/sdk"
import { Effect, Schema, type Scope } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { ExportError } from "./ExportError.ts"
import { exportHead } from "./exporters/HeadExporters.ts"
import { exportStateToken } from "./exporters/StateTokenExporter.ts"
import { asTinyVlmSource, exportTinyVlm } from "./exporters/TinyVlmExporter.ts"
import { OPSET } from "./graph/GraphBuilder.ts"
import type { Weights } from "./graph/Layers.ts"
import { MANIFEST_FILE, MANIFEST_FORMAT, MANIFEST_FORMAT_V2, type ExportManifest } from "./Manifest.ts"
import { loadExportedPolicy } from "./runtime/ExportedPolicy.ts"

/** @since 0.1.0 @category models */
export interface ExportOptions {
  readonly outDir: string
  /** Replace an existing export folder (only once the new one is complete). */
  readonly overwrite?: boolean
  /** Rollout check against the source policy; `false` skips it. Defaults: W + 3 steps (≥ 6), tolerance 1e-4. */
  readonly verify?: false | { readonly steps?: number; readonly tolerance?: number; readonly seed?: number }
}

/** What the export wrote and how well it agreed. @since 0.1.0 @category models */
export interface ExportResult {
  readonly outDir: string
  readonly manifest: ExportManifest
  readonly files: ReadonlyArray<{ readonly file: string; readonly bytes: number }>
  readonly verification?: { readonly steps: number; readonly maxAbsDiff: number; readonly tolerance: number }
}

/** Where the policy came from, beyond the loaded model (the head's decoded config, an ONNX backbone folder). */
export interface ExportSource {
  readonly backbone: string
  readonly head: string
  readonly headConfig: Readonly<Record<string, unknown>>
  readonly onnxDir?: string
  readonly backboneConfig?: Readonly<Record<string, unknown>>
  readonly checkpoint?: string
}

const fail = (reason: ExportError["reason"], message: string, subject?: string) => new ExportError({ reason, message, ...(subject === undefined ? {} : { subject }) })

const headWeights = (model: VlaPolicyModel): Weights => {
  const weights = (model.head as unknown as { weights?: () => Record<string, { data: Float32Array; shape: ReadonlyArray<number> }> }).weights
  if (typeof weights !== "function") throw fail("Unsupported", `head "${model.head.name}" does not hand out its weights (weights()), so it cannot be exported`, model.head.name)
  return new Map(Object.entries(weights.call(model.head)))
}

/** The state token's tensors, when the policy has one; a policy that reads robotObs some other way cannot be exported. */
const stateTokenWeights = (model: VlaPolicyModel): Weights | undefined => {
  if (model.stateToken === undefined) {
    if (model.metadata.inputs.robotObs) throw fail("Unsupported", `policy "${model.metadata.name}" reads robotObs but has no state token encoder, so the export cannot carry what it does with it`, "stateToken")
    return undefined
  }
  if (model.stateToken.weights === undefined) throw fail("Unsupported", "the policy's state token encoder does not hand out its weights (weights()), so it cannot be exported", "stateToken")
  return new Map(Object.entries(model.stateToken.weights()))
}

/** Copies an ONNX VLM folder's config.json and the files it names. */
const copyOnnxFolder = (from: string, to: string): Array<string> => {
  const configFile = path.join(from, "config.json")
  if (!fs.existsSync(configFile)) throw fail("NotFound", `ONNX backbone folder ${from} has no config.json`, configFile)
  const config = JSON.parse(fs.readFileSync(configFile, "utf8")) as { files?: Record<string, string> }
  const names = ["config.json", ...Object.values(config.files ?? {})]
  fs.mkdirSync(to, { recursive: true })
  for (const name of names) {
    const source = path.join(from, name)
    if (!fs.existsSync(source)) throw fail("NotFound", `ONNX backbone folder ${from} lacks ${name}`, source)
    fs.copyFileSync(source, path.join(to, name))
  }
  return names
}

/**
 * Deterministic test frames: seeded uint8 images at the CALVIN camera sizes and a seeded robot_obs (TCP pose in
 * CALVIN's range, the gripper open and closed in turn), so a state token is checked with both gripper rows.
 */
const rolloutObservations = (steps: number, seed: number): Array<ObservationFrame> => {
  const next = mulberry32(seed)
  const image = (size: number) => ({ data: Uint8Array.from({ length: size * size * 3 }, () => Math.floor(next() * 256)), height: size, width: size })
  const robotObs = (i: number) => [
    ...[0, 1, 2].map(() => (next() - 0.5) * 0.6),
    ...[0, 1, 2].map(() => (next() - 0.5) * 2 * Math.PI),
    next() * 0.08,
    ...new Array(7).fill(0).map(() => (next() - 0.5) * 2),
    i % 3 === 2 ? -1 : 1
  ]
  return Array.from({ length: steps }, (_, i) => ({
    rgbStatic: image(64),
    rgbGripper: image(32),
    robotObs: robotObs(i),
    sceneObs: new Array(24).fill(0)
  }))
}

/** The instructions of a verification rollout: the second half switches task after a reset, as chains do. */
const rolloutInstructions = (steps: number): Array<{ instruction: string; reset: boolean }> =>
  Array.from({ length: steps }, (_, i) => {
    const second = i >= Math.ceil(steps * 0.6)
    return { instruction: second ? "push the sliding door to the left side" : "open the drawer", reset: i === 0 || i === Math.ceil(steps * 0.6) }
  })

/**
 * Runs the same rollout through two models and returns the largest absolute action difference.
 *
 * @since 0.1.0
 * @category verification
 */
export const compareRollouts = (a: VlaPolicyModel, b: VlaPolicyModel, options: { readonly steps: number; readonly seed?: number }) =>
  Effect.gen(function*() {
    const observations = rolloutObservations(options.steps, options.seed ?? 7)
    const plan = rolloutInstructions(options.steps)
    const pa = yield* a.policy()
    const pb = yield* b.policy()
    let maxAbsDiff = 0
    const perStep: Array<number> = []
    for (let i = 0; i < options.steps; i++) {
      if (plan[i]!.reset) {
        yield* pa.reset()
        yield* pb.reset()
      }
      const ca = yield* pa.act(observations[i]!, plan[i]!.instruction)
      const cb = yield* pb.act(observations[i]!, plan[i]!.instruction)
      let step = 0
      ca.forEach((action, n) => action.forEach((v, k) => {
        step = Math.max(step, Math.abs(v - cb[n]![k]!))
      }))
      perStep.push(step)
      maxAbsDiff = Math.max(maxAbsDiff, step)
    }
    return { maxAbsDiff, perStep }
  })

/**
 * Exports a loaded policy model to `options.outDir`.
 *
 * @since 0.1.0
 * @category exporting
 */
export const exportPolicyModel = (model: VlaPolicyModel, source: ExportSource, options: ExportOptions): Effect.Effect<ExportResult, ExportError | SdkError, Scope.Scope> =>
  Effect.gen(function*() {
    const outDir = path.resolve(options.outDir)
    if (fs.existsSync(outDir) && options.overwrite !== true) {
      return yield* fail("InvalidInput", `${outDir} exists; pass overwrite (--force) to replace it`, outDir)
    }
    const staging = `${outDir}.partial-${process.pid}`
    const written = yield* Effect.try({
      try: () => {
        fs.rmSync(staging, { recursive: true, force: true })
        fs.mkdirSync(staging, { recursive: true })
        return writeExport(model, source, staging)
      },
      catch: (cause) => {
        fs.rmSync(staging, { recursive: true, force: true })
        return cause instanceof ExportError
          ? cause
          : new ExportError({ reason: "WriteFailed", message: `export failed: ${cause instanceof Error ? cause.message : String(cause)}`, subject: outDir, cause })
      }
    })
    let manifest = written.manifest
    let verification: ExportResult["verification"]
    if (options.verify !== false) {
      const steps = options.verify?.steps ?? Math.max(6, model.config.windowSize + 3)
      const tolerance = options.verify?.tolerance ?? 1e-4
      // Verify the staged folder in its own scope, so its sessions are released before the rename.
      const { maxAbsDiff } = yield* Effect.scoped(Effect.gen(function*() {
        const exported = yield* loadExportedPolicy(staging, { executionProvider: "cpu" })
        const seed = options.verify === undefined || options.verify === false ? undefined : options.verify.seed
        return yield* compareRollouts(model, exported, { steps, ...(seed === undefined ? {} : { seed }) })
      })).pipe(Effect.tapError(() => Effect.sync(() => fs.rmSync(staging, { recursive: true, force: true }))))
      verification = { steps, maxAbsDiff, tolerance }
      if (!(maxAbsDiff <= tolerance)) {
        fs.rmSync(staging, { recursive: true, force: true })
        return yield* fail("Mismatch", `the export disagrees with the source policy: max |Δaction| ${maxAbsDiff.toExponential(2)} over ${steps} steps > ${tolerance}`, outDir)
      }
      manifest = { ...manifest, verification }
      fs.writeFileSync(path.join(staging, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n")
    }
    yield* Effect.try({
      try: () => {
        if (fs.existsSync(outDir)) {
          const old = `${outDir}.old-${process.pid}`
          fs.renameSync(outDir, old)
          fs.renameSync(staging, outDir)
          fs.rmSync(old, { recursive: true, force: true })
        } else fs.renameSync(staging, outDir)
      },
      catch: (cause) => fail("WriteFailed", `cannot move the export into ${outDir}: ${String(cause)}`, outDir)
    })
    const files = written.files.map((file) => ({ file, bytes: fs.statSync(path.join(outDir, file)).size }))
    return { outDir, manifest, files, ...(verification === undefined ? {} : { verification }) }
  }).pipe(Effect.withSpan("Export.exportPolicyModel"))

const writeExport = (model: VlaPolicyModel, source: ExportSource, dir: string): { manifest: ExportManifest; files: Array<string> } => {
  const files: Array<string> = []
  const write = (name: string, bytes: Uint8Array | string) => {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    fs.writeFileSync(path.join(dir, name), bytes)
    files.push(name)
  }
  let backbone: ExportManifest["backbone"]
  const tiny = asTinyVlmSource(model.backbone)
  if (tiny !== undefined) {
    const graphs = exportTinyVlm(tiny)
    write("backbone/vision_encoder.onnx", graphs.visionEncoder)
    write("backbone/embed_tokens.onnx", graphs.embedTokens)
    write("backbone/decoder.onnx", graphs.decoder)
    write("backbone/tokenizer.json", JSON.stringify(graphs.tokenizer) + "\n")
    backbone = {
      kind: "graphs",
      name: model.backbone.name,
      hiddenSize: model.backbone.hiddenSize,
      imageTokens: model.backbone.imageTokens,
      maxPositions: tiny.config.maxPositions,
      imagePreprocessing: { ...model.backbone.imagePreprocessing, mean: [...model.backbone.imagePreprocessing.mean], std: [...model.backbone.imagePreprocessing.std] },
      files: { visionEncoder: "backbone/vision_encoder.onnx", embedTokens: "backbone/embed_tokens.onnx", decoder: "backbone/decoder.onnx", tokenizer: "backbone/tokenizer.json" }
    }
  } else if (source.onnxDir !== undefined) {
    for (const name of copyOnnxFolder(source.onnxDir, path.join(dir, "backbone"))) files.push(`backbone/${name}`)
    const overrides = source.backboneConfig ?? {}
    backbone = {
      kind: "onnx-folder",
      name: model.backbone.name,
      dir: "backbone",
      ...(typeof overrides["promptTemplate"] === "string" ? { promptTemplate: overrides["promptTemplate"] } : {}),
      ...(overrides["imageFeatureScale"] === "none" || overrides["imageFeatureScale"] === "inverse_sqrt_hidden" ? { imageFeatureScale: overrides["imageFeatureScale"] } : {})
    }
  } else {
    throw fail("Unsupported", `no exporter for backbone "${model.backbone.name}" (exportable: tiny-vlm, an ONNX backbone folder)`, source.backbone)
  }
  const head = exportHead(model.head.name, headWeights(model), model.head.dimensions, source.headConfig)
  write("head.onnx", head.bytes)
  const state = stateTokenWeights(model)
  if (state !== undefined) write("state_token.onnx", exportStateToken(state, model.backbone.hiddenSize))
  write("action_token.safetensors", Safetensors.writeSafetensorsSync({ action_token: { data: model.actionToken, shape: [model.actionToken.length] } }, { format: "robovla.action-token/v1" }))
  const normalization = model.config.normalization ?? { min: -0.65, max: 0.65 }
  const manifest: ExportManifest = {
    // v2 only where it is needed: a v1 reader must refuse a state token, not drop it.
    format: state === undefined ? MANIFEST_FORMAT : MANIFEST_FORMAT_V2,
    name: model.metadata.name,
    source: { backbone: source.backbone, head: source.head, ...(source.checkpoint === undefined ? {} : { checkpoint: source.checkpoint }) },
    assembly: {
      historyType: model.config.historyType,
      windowSize: model.config.windowSize,
      chunkSize: model.config.chunkSize,
      latent: model.config.latent,
      useGripperCamera: model.config.useGripperCamera,
      normalization: { min: normalization.min, max: normalization.max }
    },
    backbone,
    head: {
      name: model.head.name,
      type: head.type,
      kind: head.kind,
      file: "head.onnx",
      stepper: head.stepper,
      ...(head.maxWindow === undefined ? {} : { maxWindow: head.maxWindow }),
      ...(head.lstm === undefined ? {} : { lstm: head.lstm }),
      dimensions: { ...model.head.dimensions }
    },
    actionToken: "action_token.safetensors",
    ...(state === undefined ? {} : { stateToken: { file: "state_token.onnx", robotObsSize: Observation.ROBOT_OBS_SIZE, hiddenSize: model.backbone.hiddenSize } }),
    opset: OPSET
  }
  write(MANIFEST_FILE, JSON.stringify(manifest, null, 2) + "\n")
  return { manifest, files }
}

const CheckpointSpec = Schema.Struct({
  backbone: Schema.optionalKey(Schema.String),
  head: Schema.optionalKey(Schema.String),
  backboneConfig: Schema.optionalKey(Schema.Unknown),
  headConfig: Schema.optionalKey(Schema.Unknown),
  onnx: Schema.optionalKey(Schema.String),
  from: Schema.optionalKey(Schema.String)
})

/** `./relative` strings of a checkpoint's configs resolve against its folder (the SDK loader's rule). */
const resolveRelative = (value: unknown, dir: string): unknown => {
  if (typeof value === "string") return /^\.\.?\//.test(value) ? path.resolve(dir, value) : value
  if (Array.isArray(value)) return value.map((v) => resolveRelative(v, dir))
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveRelative(v, dir)]))
  return value
}

const readJsonObject = (file: string) =>
  Effect.try({
    try: () => JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>,
    catch: (cause) => new ExportError({ reason: "CorruptFile", message: `${file} is not valid JSON: ${String(cause)}`, subject: file, cause })
  })

/**
 * The spec fields the exporter needs beyond the loaded model (package names, the head's config, the ONNX
 * folder), with a checkpoint's under the given ones: a trained checkpoint's `config.json`
 * (`robovla.checkpoint/v1`: `backbone` / `head` `{ package, config }`) or a hand-written `policy.json`.
 */
const resolveSource = (input: Readonly<Record<string, unknown>>) =>
  Effect.gen(function*() {
    let merged: Record<string, unknown> = { ...input }
    const checkpoint = typeof input["checkpoint"] === "string" ? input["checkpoint"] : undefined
    if (checkpoint !== undefined) {
      const trained = path.join(checkpoint, "config.json")
      const handWritten = path.join(checkpoint, "policy.json")
      let fromCheckpoint: Record<string, unknown> = {}
      if (fs.existsSync(trained)) {
        const raw = yield* readJsonObject(trained)
        const part = (key: string) => (raw[key] ?? {}) as { package?: unknown; config?: unknown }
        fromCheckpoint = { backbone: part("backbone").package, head: part("head").package, backboneConfig: part("backbone").config, headConfig: part("head").config }
      } else if (fs.existsSync(handWritten)) fromCheckpoint = yield* readJsonObject(handWritten)
      merged = { ...(resolveRelative(fromCheckpoint, checkpoint) as Record<string, unknown>), ...input }
    }
    const spec = yield* Schema.decodeUnknownEffect(CheckpointSpec)(merged, { onExcessProperty: "ignore" }).pipe(
      Effect.mapError((issue) => fail("InvalidInput", `policy spec: ${issue.message}`, "spec"))
    )
    return { spec, checkpoint }
  })

/**
 * Loads a policy from a spec (as `loadPolicyModel` reads it) and exports it.
 *
 * @since 0.1.0
 * @category exporting
 */
export const exportPolicy = (input: Readonly<Record<string, unknown>>, options: ExportOptions): Effect.Effect<ExportResult, ExportError | SdkError, Scope.Scope> =>
  Effect.gen(function*() {
    const model = yield* loadPolicyModel(input)
    const { spec, checkpoint } = yield* resolveSource(input)
    const headPackage = spec.head ?? model.head.name
    const from = spec.from === undefined ? {} : { from: spec.from }
    const headPlugin = yield* PluginLoader.loadHeadPlugin(headPackage, from)
    const headConfig = (yield* PluginLoader.decodePluginConfig(headPlugin, spec.headConfig)) as Record<string, unknown>
    const backboneConfig = spec.backboneConfig !== null && typeof spec.backboneConfig === "object" ? spec.backboneConfig as Record<string, unknown> : undefined
    const onnxDir = spec.onnx ?? (typeof backboneConfig?.["modelDir"] === "string" ? backboneConfig["modelDir"] : undefined)
    return yield* exportPolicyModel(model, {
      backbone: spec.backbone ?? (spec.onnx !== undefined ? "@robovla/backbone-onnx" : model.backbone.name),
      head: headPackage,
      headConfig,
      ...(onnxDir === undefined ? {} : { onnxDir: path.resolve(onnxDir) }),
      ...(backboneConfig === undefined ? {} : { backboneConfig }),
      ...(checkpoint === undefined ? {} : { checkpoint })
    }, options)
  })
