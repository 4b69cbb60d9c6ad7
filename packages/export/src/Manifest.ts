/**
 * `export.json`, the manifest of an exported policy folder: the assembly (structure, W, N, latent, cameras,
 * normalisation), the backbone graphs (or a copied ONNX backbone folder), the head graph and how to step it,
 * the [LRN] vector file, the robot_obs state token graph (v2 only), and the verification the exporter ran.
 * Decoded with Schema, here only; v1 and v2 both load.
 *
 * @since 0.1.0
 */
import { PositiveInt } from "@robovla/sdk"
import { Effect, Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { ExportError } from "./ExportError.ts"

/** @since 0.1.0 @category constants */
export const MANIFEST_FILE = "export.json"
/** The format of exports every reader understands (no state token). @since 0.1.0 @category constants */
export const MANIFEST_FORMAT = "robovla.export/v1"
/**
 * v1 + `stateToken`. Written only for policies with a robot_obs state token, so that a reader that knows only v1
 * refuses such an export instead of ignoring the field and serving the policy without its state token.
 *
 * @since 0.1.0
 * @category constants
 */
export const MANIFEST_FORMAT_V2 = "robovla.export/v2"

const Rgb = Schema.Tuple([Schema.Finite, Schema.Finite, Schema.Finite])

/** The backbone as graphs written by the exporter (tiny-vlm). @since 0.1.0 @category schemas */
export const GraphsBackbone = Schema.Struct({
  kind: Schema.Literal("graphs"),
  name: Schema.String,
  hiddenSize: PositiveInt,
  imageTokens: PositiveInt,
  maxPositions: PositiveInt,
  imagePreprocessing: Schema.Struct({
    size: PositiveInt,
    mean: Rgb,
    std: Rgb,
    resample: Schema.Literals(["nearest", "bilinear", "bicubic"])
  }),
  files: Schema.Struct({ visionEncoder: Schema.String, embedTokens: Schema.String, decoder: Schema.String, tokenizer: Schema.String })
})

/** An ONNX VLM folder (`@robovla/backbone-onnx` format) copied into the export. @since 0.1.0 @category schemas */
export const OnnxFolderBackbone = Schema.Struct({
  kind: Schema.Literal("onnx-folder"),
  name: Schema.String,
  dir: Schema.String,
  /** Plugin config overrides the source used (prompt template, image feature scale). */
  promptTemplate: Schema.optionalKey(Schema.String),
  imageFeatureScale: Schema.optionalKey(Schema.Literals(["none", "inverse_sqrt_hidden"]))
})

/** The robot_obs state token graph: `robot_obs` (B, 15) → `state_token` (B, D). @since 0.1.0 @category schemas */
export const StateTokenGraph = Schema.Struct({
  file: Schema.String,
  /** robot_obs values the graph reads (CALVIN's 15). */
  robotObsSize: PositiveInt,
  hiddenSize: PositiveInt
})

/** @since 0.1.0 @category schemas */
export const ExportManifest = Schema.Struct({
  format: Schema.Literals([MANIFEST_FORMAT, MANIFEST_FORMAT_V2]),
  name: Schema.String,
  source: Schema.Struct({ backbone: Schema.String, head: Schema.String, checkpoint: Schema.optionalKey(Schema.String) }),
  assembly: Schema.Struct({
    historyType: Schema.Literals(["one_step", "pre", "post"]),
    windowSize: PositiveInt,
    chunkSize: PositiveInt,
    latent: PositiveInt,
    useGripperCamera: Schema.Boolean,
    normalization: Schema.Struct({ min: Schema.Finite, max: Schema.Finite })
  }),
  backbone: Schema.Union([GraphsBackbone, OnnxFolderBackbone]),
  head: Schema.Struct({
    name: Schema.String,
    /** The exporter that wrote it: mlp, lstm, gpt, discrete, or a registered one. */
    type: Schema.String,
    kind: Schema.Literals(["continuous", "discrete"]),
    file: Schema.String,
    stepper: Schema.Literals(["stateless", "window", "lstm"]),
    maxWindow: Schema.optionalKey(PositiveInt),
    lstm: Schema.optionalKey(Schema.Struct({ layers: PositiveInt, hidden: PositiveInt })),
    dimensions: Schema.Struct({ inputSize: PositiveInt, windowSize: PositiveInt, chunkSize: PositiveInt, latent: PositiveInt })
  }),
  actionToken: Schema.String,
  /** v2: the policy's robot_obs state token, placed right before each frame's first [LRN] (the SDK assembly). */
  stateToken: Schema.optionalKey(StateTokenGraph),
  opset: PositiveInt,
  verification: Schema.optionalKey(Schema.Struct({ steps: Schema.Int, maxAbsDiff: Schema.Finite, tolerance: Schema.Finite }))
})

/** @since 0.1.0 @category models */
export type ExportManifest = typeof ExportManifest.Type

const decode = Schema.decodeUnknownEffect(ExportManifest)

/**
 * Reads `<dir>/export.json`: missing → `NotFound`, bad JSON or fields → `CorruptFile`, naming the file.
 *
 * @since 0.1.0
 * @category decoding
 */
export const readManifest = (dir: string): Effect.Effect<ExportManifest, ExportError> =>
  Effect.gen(function*() {
    const file = path.join(dir, MANIFEST_FILE)
    if (!fs.existsSync(file)) return yield* new ExportError({ reason: "NotFound", message: `${dir} is not an exported policy: it has no ${MANIFEST_FILE}`, subject: file })
    const json = yield* Effect.try({
      try: () => JSON.parse(fs.readFileSync(file, "utf8")) as unknown,
      catch: (cause) => new ExportError({ reason: "CorruptFile", message: `${file} is not valid JSON: ${String(cause)}`, subject: file, cause })
    })
    const manifest = yield* decode(json).pipe(
      Effect.mapError((issue) => new ExportError({ reason: "CorruptFile", message: `${file} is not a ${MANIFEST_FORMAT} / ${MANIFEST_FORMAT_V2} manifest: ${issue.message}`, subject: file, cause: issue }))
    )
    // A v1 reader would drop the state token without a word: such a manifest was not written by the exporter.
    if (manifest.format === MANIFEST_FORMAT && manifest.stateToken !== undefined) {
      return yield* new ExportError({ reason: "CorruptFile", message: `${file} is ${MANIFEST_FORMAT} but has a stateToken (only ${MANIFEST_FORMAT_V2} carries one)`, subject: file })
    }
    return manifest
  })
