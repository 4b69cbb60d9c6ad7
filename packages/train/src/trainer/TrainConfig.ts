/**
 * The `robovla train` config file (JSON), decoded with Schema at the boundary: every key optional (flags and
 * defaults fill the rest), unknown keys rejected by name. `vla` holds RoboVLMs' config keys (a whole RoboVLMs
 * file's keys are accepted there; unknown ones ignored).
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import { NonNegativeInt, PositiveInt, Schemas } from "@robovla/sdk"
import { Result, Schema } from "effect"
import { TrainError } from "../TrainError.ts"

const Config = Schema.Record(Schema.String, Schema.Unknown)

/**
 * @since 0.1.0
 * @category schemas
 */
export const TrainConfigFile = Schema.Struct({
  data: Schema.optionalKey(Schema.NonEmptyString),
  out: Schema.optionalKey(Schema.NonEmptyString),
  /** Plugin package, or a short name: `tiny-vlm` → `@robovla/backbone-tiny-vlm`, `lstm` → `@robovla/head-lstm`. */
  backbone: Schema.optionalKey(Schema.NonEmptyString),
  backboneConfig: Schema.optionalKey(Config),
  /** Pre-trained backbone weights: a `robovla pretrain-vl` output folder or a safetensors file. */
  backboneWeights: Schema.optionalKey(Schema.NonEmptyString),
  head: Schema.optionalKey(Schema.NonEmptyString),
  headConfig: Schema.optionalKey(Config),
  vla: Schema.optionalKey(Config),
  batchSize: Schema.optionalKey(PositiveInt),
  epochs: Schema.optionalKey(PositiveInt),
  maxSteps: Schema.optionalKey(PositiveInt),
  valEvery: Schema.optionalKey(NonNegativeInt),
  valBatches: Schema.optionalKey(PositiveInt),
  validateAtStart: Schema.optionalKey(Schema.Boolean),
  checkpointEvery: Schema.optionalKey(NonNegativeInt),
  keep: Schema.optionalKey(PositiveInt),
  seed: Schema.optionalKey(Schema.Int),
  cache: Schema.optionalKey(Schema.Literals(["auto", "off"])),
  cacheViews: Schema.optionalKey(PositiveInt),
  trainActionToken: Schema.optionalKey(Schema.Boolean),
  stateToken: Schema.optionalKey(Schema.Boolean),
  workers: Schema.optionalKey(NonNegativeInt)
})

/** @since 0.1.0 @category models */
export type TrainConfigFile = typeof TrainConfigFile.Type

/**
 * Decodes a config value; fails with `TrainError` `"InvalidInput"` naming each bad key (`epochs: Expected …`,
 * `learningRate: unknown key`).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeTrainConfig = (input: unknown, source = "train config"): TrainConfigFile => {
  const decoded = Schemas.decodeUnknownResult(TrainConfigFile, source)(input)
  if (Result.isFailure(decoded)) throw new TrainError({ reason: "InvalidInput", message: decoded.failure.message, cause: decoded.failure })
  return decoded.success
}

/**
 * Reads and decodes a JSON config file.
 *
 * @since 0.1.0
 * @category decoding
 */
export const readTrainConfig = (file: string): TrainConfigFile => {
  if (!fs.existsSync(file)) throw new TrainError({ reason: "MissingFile", message: `config file ${file} does not exist`, file })
  let json: unknown
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"))
  } catch (cause) {
    throw new TrainError({ reason: "CorruptFile", message: `${file} is not valid JSON: ${String(cause)}`, file, cause })
  }
  return decodeTrainConfig(json, file)
}

/**
 * `tiny-vlm` → `@robovla/backbone-tiny-vlm`; a scoped or path-like name passes through.
 *
 * @since 0.1.0
 * @category naming
 */
export const pluginPackage = (kind: "backbone" | "head", name: string): string =>
  name.startsWith("@") || name.includes("/") || name.startsWith(".") ? name : `@robovla/${kind}-${name.replace(new RegExp(`^${kind}-`), "")}`
