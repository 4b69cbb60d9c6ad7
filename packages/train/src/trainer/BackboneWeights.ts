/**
 * Pre-trained backbone weights for action training (`robovla train --backbone-weights`, config key
 * `backboneWeights`): a `robovla pretrain-vl` output folder (its `backbone.safetensors`) or a safetensors file
 * with the backbone's own weight names, loaded over the seeded init through the backbone contract's `loadWeights`.
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Safetensors, type BackboneService, type FloatTensor } from "@robovla/sdk"
import { Effect } from "effect"
import { TrainError } from "../TrainError.ts"

/** What was loaded. @since 0.1.0 @category models */
export interface LoadedBackboneWeights {
  readonly file: string
  readonly sha256: string
  /** Tensors the file held (the backbone's other weights keep their init, e.g. LoRA adapters). */
  readonly loaded: number
}

/** Config keys that say how a run trains or seeds its init, not what shapes the weights have. */
const NOT_SIZES = new Set(["seed", "trainSetup"])

/**
 * A pretrain-vl folder's `backbone.json` records the sizes its weights were made with; a run whose backbone config
 * says other sizes would fail on the first mismatched tensor, so it is refused up front with the keys to set.
 */
const checkSizes = (file: string, config: Readonly<Record<string, unknown>>): void => {
  if (!fs.existsSync(file)) return
  let recorded: unknown
  try {
    recorded = (JSON.parse(fs.readFileSync(file, "utf8")) as { config?: unknown }).config
  } catch (cause) {
    throw new TrainError({ reason: "CorruptFile", message: `${file}: not JSON (${cause instanceof Error ? cause.message : String(cause)})`, file, cause })
  }
  if (typeof recorded !== "object" || recorded === null) return
  const differing = Object.entries(recorded as Record<string, unknown>).filter(([key, value]) => !NOT_SIZES.has(key) && key in config && JSON.stringify(config[key]) !== JSON.stringify(value))
  if (differing.length === 0) return
  const wanted = JSON.stringify(Object.fromEntries(differing))
  const have = differing.map(([key]) => `${key} ${JSON.stringify(config[key])}`).join(", ")
  throw new TrainError({
    reason: "InvalidInput",
    message: `backbone weights ${path.dirname(file)} were made with ${wanted}, but this run's backbone has ${have}: give backboneConfig ${wanted} in the train config`,
    file
  })
}

/**
 * Loads `given` (folder → `<folder>/backbone.safetensors`, else the file itself) into `backbone`. Names the file
 * lacks keep their current values; a name the backbone does not have or a shape that differs is refused by the
 * backbone (`SdkError`, typed); an absent file is `TrainError` "MissingFile", an unreadable one "CorruptFile". With
 * `config` (the run's backbone config), a folder whose `backbone.json` records other sizes is "InvalidInput".
 *
 * @since 0.1.0
 * @category io
 */
export const loadBackboneWeights = async (backbone: BackboneService, given: string, config?: Readonly<Record<string, unknown>>): Promise<LoadedBackboneWeights> => {
  const folder = fs.existsSync(given) && fs.statSync(given).isDirectory()
  const file = folder ? path.join(given, "backbone.safetensors") : given
  if (!fs.existsSync(file)) {
    throw new TrainError({ reason: "MissingFile", message: `backbone weights ${file} do not exist (give a robovla pretrain-vl output folder or a safetensors file)`, file })
  }
  if (folder && config !== undefined) checkSizes(path.join(given, "backbone.json"), config)
  if (backbone.weights === undefined || backbone.loadWeights === undefined) {
    throw new TrainError({ reason: "InvalidInput", message: `backbone ${backbone.name} cannot load weights (it has no weights / loadWeights)` })
  }
  const bytes = fs.readFileSync(file)
  let parsed: Safetensors.SafetensorsFile
  try {
    parsed = Safetensors.parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), file)
  } catch (cause) {
    throw new TrainError({ reason: "CorruptFile", message: `backbone weights ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, file, cause })
  }
  const weights: Record<string, FloatTensor> = { ...backbone.weights() }
  for (const [name, t] of parsed.tensors) {
    if (!(t.data instanceof Float32Array)) throw new TrainError({ reason: "UnsupportedFormat", message: `backbone weights ${file}: tensor ${name} is ${t.dtype}, not F32`, file })
    weights[name] = { data: t.data, shape: [...t.shape] }
  }
  await Effect.runPromise(backbone.loadWeights(weights))
  return { file: path.resolve(file), sha256: crypto.createHash("sha256").update(bytes).digest("hex"), loaded: parsed.tensors.size }
}
