/**
 * Loads an exported policy folder as a `PolicyModel` on onnxruntime-node: the backbone graphs (or the copied
 * ONNX VLM folder, through `@robovla/backbone-onnx`), the head graph and the robot_obs state token graph (when
 * the policy has one) behind the SDK contracts, assembled by the SDK's own `makeVlaPolicyModel`, so sequence
 * layout (the state token right before each frame's first [LRN]), [LRN] read-out, history and action decoding
 * are the very code the tfjs policy runs, and the model asks for robotObs exactly when the source policy did.
 * Only the graphs differ.
 *
 * The execution provider is chosen once per load (CUDA > WebGPU > CPU unless configured) and reported in the
 * model's metadata (`details.executionProvider`, `details.providersTried`).
 *
 * @since 0.1.0
 */
import * as ort from "onnxruntime-node"
import { plugin as onnxBackbonePlugin } from "@robovla/backbone-onnx"
import { makeVlaPolicyModel, Observation, Safetensors, type BackboneService, type SdkError, type VlaPolicyModel } from "@robovla/sdk"
import { Effect, Schema, type Scope } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { ExportError } from "../ExportError.ts"
import { readManifest, type ExportManifest } from "../Manifest.ts"
import { BpeTokenizerSpec, makeBpeTokenizer } from "./BpeTokenizer.ts"
import { selectProvider, sessionOptions, type ProviderChoice, type ProviderPreference } from "./ExecutionProvider.ts"
import { makeOrtBackbone, makeOrtHead, makeOrtStateToken } from "./OrtParts.ts"

/** @since 0.1.0 @category models */
export interface LoadExportOptions {
  /** `auto` (default): CUDA, then WebGPU, then CPU. */
  readonly executionProvider?: ProviderPreference
  /** onnxruntime intra-op threads per session; default 1 on machines with ≤ 2 cores, else onnxruntime's choice. */
  readonly intraOpThreads?: number
  /** Shown in the metadata; defaults to the manifest's name. */
  readonly name?: string
}

/**
 * onnxruntime's own default is one spinning intra-op thread per core for every session. On a machine with two
 * cores that competes with Node's main thread and the other sessions (measured here: batch 1 act 3–6× slower
 * under load), so there the default is 1; elsewhere onnxruntime decides.
 */
const defaultIntraOpThreads = (): number | undefined => (os.availableParallelism() <= 2 ? 1 : undefined)

/** The loaded model plus what was chosen for it. @since 0.1.0 @category models */
export interface ExportedPolicyModel extends VlaPolicyModel {
  readonly manifest: ExportManifest
  readonly provider: ProviderChoice
}

const inside = (dir: string, file: string): Effect.Effect<string, ExportError> => {
  const full = path.resolve(dir, file)
  if (!full.startsWith(path.resolve(dir) + path.sep)) return Effect.fail(new ExportError({ reason: "CorruptFile", message: `manifest path ${file} leaves the export folder`, subject: file }))
  if (!fs.existsSync(full)) return Effect.fail(new ExportError({ reason: "NotFound", message: `the export lacks ${file}`, subject: full }))
  return Effect.succeed(full)
}

const openSession = (file: string, choice: ProviderChoice, threads: number | undefined): Effect.Effect<ort.InferenceSession, ExportError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => ort.InferenceSession.create(file, sessionOptions(choice.provider, threads)),
      catch: (cause) => new ExportError({ reason: "CorruptFile", message: `onnxruntime cannot load ${file} on ${choice.provider}: ${cause instanceof Error ? cause.message.split("\n")[0] : String(cause)}`, subject: file, cause })
    }),
    (session) => Effect.promise(() => session.release().catch(() => undefined))
  )

const readJson = (file: string): Effect.Effect<unknown, ExportError> =>
  Effect.try({
    try: () => JSON.parse(fs.readFileSync(file, "utf8")) as unknown,
    catch: (cause) => new ExportError({ reason: "CorruptFile", message: `${file} is not valid JSON: ${String(cause)}`, subject: file, cause })
  })

const loadBackbone = (dir: string, manifest: ExportManifest, choice: ProviderChoice, threads: number | undefined): Effect.Effect<BackboneService, ExportError | SdkError, Scope.Scope> =>
  Effect.gen(function*() {
    const spec = manifest.backbone
    if (spec.kind === "onnx-folder") {
      const modelDir = yield* inside(dir, spec.dir)
      return yield* onnxBackbonePlugin.make({
        modelDir,
        // backbone-onnx opens cpu / cuda / webgpu itself; the probe already showed this one loads.
        executionProvider: choice.provider,
        ...(spec.promptTemplate === undefined ? {} : { promptTemplate: spec.promptTemplate }),
        ...(spec.imageFeatureScale === undefined ? {} : { imageFeatureScale: spec.imageFeatureScale }),
        ...(threads === undefined ? {} : { intraOpThreads: threads })
      })
    }
    const tokenizerFile = yield* inside(dir, spec.files.tokenizer)
    const tokenizerSpec = yield* Schema.decodeUnknownEffect(BpeTokenizerSpec)(yield* readJson(tokenizerFile)).pipe(
      Effect.mapError((issue) => new ExportError({ reason: "CorruptFile", message: `${tokenizerFile} is not a robovla.byte-bpe/v1 tokenizer: ${issue.message}`, subject: tokenizerFile, cause: issue }))
    )
    const open = (file: string) => Effect.flatMap(inside(dir, file), (full) => openSession(full, choice, threads))
    return yield* makeOrtBackbone({
      name: spec.name,
      hiddenSize: spec.hiddenSize,
      imageTokens: spec.imageTokens,
      imagePreprocessing: spec.imagePreprocessing,
      maxPositions: spec.maxPositions,
      tokenizer: makeBpeTokenizer(tokenizerSpec),
      sessions: {
        visionEncoder: yield* open(spec.files.visionEncoder),
        embedTokens: yield* open(spec.files.embedTokens),
        decoder: yield* open(spec.files.decoder)
      }
    })
  })

/**
 * Loads `<dir>` (an `export.json` folder) in the caller's Scope; closing it releases every session.
 *
 * @since 0.1.0
 * @category constructors
 */
export const loadExportedPolicy = (dir: string, options: LoadExportOptions = {}): Effect.Effect<ExportedPolicyModel, ExportError | SdkError, Scope.Scope> =>
  Effect.gen(function*() {
    const manifest = yield* readManifest(dir)
    const threads = options.intraOpThreads ?? defaultIntraOpThreads()
    const choice = yield* Effect.tryPromise({
      try: () => selectProvider(options.executionProvider ?? "auto"),
      catch: (cause) => cause instanceof ExportError ? cause : new ExportError({ reason: "ProviderUnavailable", message: String(cause), cause })
    })
    const backbone = yield* loadBackbone(dir, manifest, choice, threads)
    const headFile = yield* inside(dir, manifest.head.file)
    const head = yield* makeOrtHead({
      name: manifest.head.name,
      kind: manifest.head.kind,
      dimensions: manifest.head.dimensions,
      stepper: manifest.head.stepper,
      maxWindow: manifest.head.maxWindow,
      lstm: manifest.head.lstm,
      session: yield* openSession(headFile, choice, threads)
    })
    const tokenFile = yield* inside(dir, manifest.actionToken)
    const tensors = yield* Safetensors.readSafetensorsFile(tokenFile)
    const token = tensors.tensors.get("action_token")
    if (token === undefined) return yield* new ExportError({ reason: "CorruptFile", message: `${tokenFile} has no tensor "action_token"`, subject: tokenFile })
    const state = manifest.stateToken
    if (state !== undefined && state.hiddenSize !== backbone.hiddenSize) {
      return yield* new ExportError({ reason: "CorruptFile", message: `the state token graph is ${state.hiddenSize} wide, the backbone ${backbone.hiddenSize}`, subject: "stateToken.hiddenSize" })
    }
    // The SDK assembly hands the encoder CALVIN's 15 values (Observation.ROBOT_OBS_SIZE), nothing else.
    if (state !== undefined && state.robotObsSize !== Observation.ROBOT_OBS_SIZE) {
      return yield* new ExportError({ reason: "Unsupported", message: `the state token graph reads ${state.robotObsSize} robot_obs values; this runtime feeds CALVIN's ${Observation.ROBOT_OBS_SIZE}`, subject: "stateToken.robotObsSize" })
    }
    const stateToken = state === undefined ? undefined : makeOrtStateToken({
      session: yield* openSession(yield* inside(dir, state.file), choice, threads),
      hiddenSize: state.hiddenSize,
      robotObsSize: state.robotObsSize
    })
    const model = yield* makeVlaPolicyModel({
      backbone,
      head,
      config: { ...manifest.assembly, name: options.name ?? manifest.name },
      actionToken: Float32Array.from(token.data as ArrayLike<number>),
      ...(stateToken === undefined ? {} : { stateToken })
    })
    const details = {
      ...model.metadata.details,
      runtime: "onnxruntime-node",
      executionProvider: choice.provider,
      intraOpThreads: threads ?? "onnxruntime default",
      providersTried: choice.probes.map((p) => `${p.provider}:${p.ok ? "ok" : "unavailable"}`).join(","),
      export: path.basename(path.resolve(dir))
    }
    return { ...model, metadata: { ...model.metadata, details }, manifest, provider: choice }
  }).pipe(Effect.withSpan("ExportedPolicy.load"))

/**
 * The gateway / bench factory shape: `{ dir, executionProvider? }` → a scoped model.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makePolicyModel = (options: { readonly dir: string; readonly executionProvider?: ProviderPreference; readonly intraOpThreads?: number; readonly name?: string }) =>
  loadExportedPolicy(options.dir, options)
