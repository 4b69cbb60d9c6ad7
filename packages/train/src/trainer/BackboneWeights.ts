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

/**
 * Loads `given` (folder → `<folder>/backbone.safetensors`, else the file itself) into `backbone`. Names the file
 * lacks keep their current values; a name the backbone does not have or a shape that differs is refused by the
 * backbone (`SdkError`, typed); an absent file is `TrainError` "MissingFile", an unreadable one "CorruptFile".
 *
 * @since 0.1.0
 * @category io
 */
export const loadBackboneWeights = async (backbone: BackboneService, given: string): Promise<LoadedBackboneWeights> => {
  const file = fs.existsSync(given) && fs.statSync(given).isDirectory() ? path.join(given, "backbone.safetensors") : given
  if (!fs.existsSync(file)) {
    throw new TrainError({ reason: "MissingFile", message: `backbone weights ${file} do not exist (give a robovla pretrain-vl output folder or a safetensors file)`, file })
  }
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
