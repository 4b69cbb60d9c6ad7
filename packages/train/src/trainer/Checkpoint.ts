/**
 * Checkpoint folders (`robovla.checkpoint/v1`), written atomically and read back with typed errors.
 *
 * ```
 * <run>/checkpoints/step-00000120/
 *   config.json               what loadPolicyModel needs (SDK `CheckpointConfig`): plugin packages / names /
 *                             versions / configs, the VLA config, the structure, normalisation, tokenizer
 *                             fingerprint, the weight file's size + SHA-256, training info
 *   model.safetensors         backbone.<name>, head.<name>, action_token, state.<name> (F32)
 *   trainer-state.json        resume only: step, epoch, batch, optimiser step count, run-config hash
 *   trainer-state.safetensors resume only: AdamW moments m.<var>, v.<var>
 * <run>/checkpoints/latest.json   {"checkpoint": "step-00000120", "step": 120}
 * <run>/policy/                   config.json + model.safetensors of the last checkpoint of the run (what to serve)
 * ```
 *
 * A checkpoint is written into `.tmp-<name>-<pid>/` (every file fsynced), renamed into place, and only then does
 * `latest.json` (itself tmp + rename) point at it; older checkpoints beyond `keep` are deleted last. So a crash at
 * any moment leaves the previous checkpoint intact and `latest.json` naming a complete folder.
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Safetensors } from "@robovla/sdk"
import { TrainError } from "../TrainError.ts"

/** @since 0.1.0 @category models */
export type NamedTensors = Map<string, { readonly data: Float32Array; readonly shape: ReadonlyArray<number> }>

/** Trainer state saved beside the model for `--resume`. @since 0.1.0 @category models */
export interface TrainerState {
  readonly step: number
  readonly epoch: number
  /** Next batch of `epoch` to train on. */
  readonly batch: number
  readonly optimizerSteps: number
  /** Hash of the run config keys that must not change across a resume. */
  readonly runHash: string
  readonly elapsedSeconds: number
  readonly samples: number
}

/** @since 0.1.0 @category constants */
export const MODEL_FILE = "model.safetensors"

const writeFileSynced = (file: string, bytes: Uint8Array | string): void => {
  const fd = fs.openSync(file, "w")
  try {
    fs.writeSync(fd, typeof bytes === "string" ? Buffer.from(bytes) : bytes)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/** Writes `file` via a temp file in the same folder and a rename. @since 0.1.0 @category io */
export const writeAtomic = (file: string, bytes: Uint8Array | string): void => {
  const tmp = `${file}.tmp-${process.pid}`
  writeFileSynced(tmp, bytes)
  fs.renameSync(tmp, file)
}

/** @since 0.1.0 @category naming */
export const checkpointName = (step: number): string => `step-${String(step).padStart(8, "0")}`

/** What one checkpoint holds. @since 0.1.0 @category models */
export interface CheckpointContents {
  /** The SDK `CheckpointConfig` minus `weights` (filled here). */
  readonly config: Record<string, unknown>
  readonly model: NamedTensors
  readonly state: TrainerState
  readonly optimizer: NamedTensors
}

/**
 * Writes a checkpoint folder atomically and points `latest.json` at it; returns its path.
 *
 * @since 0.1.0
 * @category io
 */
export const writeCheckpoint = (root: string, contents: CheckpointContents, keep: number): string => {
  fs.mkdirSync(root, { recursive: true })
  const name = checkpointName(contents.state.step)
  const final = path.join(root, name)
  const tmp = path.join(root, `.tmp-${name}-${process.pid}`)
  fs.rmSync(tmp, { recursive: true, force: true })
  fs.mkdirSync(tmp)
  const model = Safetensors.writeSafetensorsSync(contents.model, { format: "robovla.checkpoint/v1" })
  writeFileSynced(path.join(tmp, MODEL_FILE), model)
  const sha256 = crypto.createHash("sha256").update(model).digest("hex")
  const config = { ...contents.config, weights: { file: MODEL_FILE, bytes: model.length, sha256 } }
  writeFileSynced(path.join(tmp, "config.json"), JSON.stringify(config, null, 2) + "\n")
  const optimizer = Safetensors.writeSafetensorsSync(contents.optimizer, { format: "robovla.trainer-state/v1" })
  writeFileSynced(path.join(tmp, "trainer-state.safetensors"), optimizer)
  const state = { ...contents.state, optimizerFile: { bytes: optimizer.length, sha256: crypto.createHash("sha256").update(optimizer).digest("hex") } }
  writeFileSynced(path.join(tmp, "trainer-state.json"), JSON.stringify(state, null, 2) + "\n")
  if (fs.existsSync(final)) {
    // Same step again (e.g. SIGINT right after a periodic checkpoint): swap, never leave no checkpoint.
    const old = `${final}.old-${process.pid}`
    fs.renameSync(final, old)
    fs.renameSync(tmp, final)
    fs.rmSync(old, { recursive: true, force: true })
  } else {
    fs.renameSync(tmp, final)
  }
  writeAtomic(path.join(root, "latest.json"), JSON.stringify({ checkpoint: name, step: contents.state.step }) + "\n")
  const all = fs.readdirSync(root).filter((f) => /^step-\d{8}$/.test(f)).sort()
  for (const old of all.slice(0, Math.max(0, all.length - keep))) if (old !== name) fs.rmSync(path.join(root, old), { recursive: true, force: true })
  return final
}

const corrupt = (file: string, message: string, cause?: unknown) =>
  new TrainError({ reason: "CorruptFile", message: `corrupt checkpoint: ${file}: ${message}`, file, ...(cause !== undefined ? { cause } : {}) })

const readJson = (file: string): Record<string, unknown> => {
  if (!fs.existsSync(file)) throw new TrainError({ reason: "MissingFile", message: `checkpoint file ${file} is missing`, file })
  try {
    const value = JSON.parse(fs.readFileSync(file, "utf8")) as unknown
    if (typeof value !== "object" || value === null) throw new Error("not an object")
    return value as Record<string, unknown>
  } catch (cause) {
    throw corrupt(file, `not valid JSON (${String(cause)})`, cause)
  }
}

const readTensors = (file: string, bytes: number | undefined, sha256: string | undefined): NamedTensors => {
  if (!fs.existsSync(file)) throw new TrainError({ reason: "MissingFile", message: `checkpoint file ${file} is missing`, file })
  const data = fs.readFileSync(file)
  if (bytes !== undefined && data.length !== bytes) throw corrupt(file, `${data.length} bytes, expected ${bytes} (truncated?)`)
  if (sha256 !== undefined && crypto.createHash("sha256").update(data).digest("hex") !== sha256) throw corrupt(file, "SHA-256 differs from the recorded one")
  try {
    const parsed = Safetensors.parseSafetensors(new Uint8Array(data.buffer, data.byteOffset, data.length), file)
    const out: NamedTensors = new Map()
    for (const [name, t] of parsed.tensors) {
      if (!(t.data instanceof Float32Array)) throw new Error(`tensor ${name} is ${t.dtype}, not F32`)
      out.set(name, { data: t.data, shape: [...t.shape] })
    }
    return out
  } catch (cause) {
    throw corrupt(file, cause instanceof Error ? cause.message : String(cause), cause)
  }
}

/** A checkpoint read back for resuming. @since 0.1.0 @category models */
export interface LoadedCheckpoint {
  readonly dir: string
  readonly config: Record<string, unknown>
  readonly model: NamedTensors
  readonly state: TrainerState
  readonly optimizer: NamedTensors
}

/**
 * Reads and verifies a checkpoint folder (sizes and SHA-256 of both tensor files). Fails with `TrainError`
 * `"CorruptFile"` naming the file for a truncated or altered one, `"MissingFile"` for an absent one.
 *
 * @since 0.1.0
 * @category io
 */
export const readCheckpoint = (dir: string): LoadedCheckpoint => {
  const config = readJson(path.join(dir, "config.json"))
  const weights = config["weights"] as { file?: string; bytes?: number; sha256?: string } | undefined
  if (weights?.file === undefined || weights.bytes === undefined || weights.sha256 === undefined) throw corrupt(path.join(dir, "config.json"), "has no weights {file, bytes, sha256}")
  const model = readTensors(path.join(dir, weights.file), weights.bytes, weights.sha256)
  const stateJson = readJson(path.join(dir, "trainer-state.json"))
  const optimizerFile = stateJson["optimizerFile"] as { bytes?: number; sha256?: string } | undefined
  const optimizer = readTensors(path.join(dir, "trainer-state.safetensors"), optimizerFile?.bytes, optimizerFile?.sha256)
  for (const key of ["step", "epoch", "batch", "optimizerSteps", "elapsedSeconds", "samples"]) {
    if (typeof stateJson[key] !== "number") throw corrupt(path.join(dir, "trainer-state.json"), `field ${key} is missing or not a number`)
  }
  return { dir, config, model, state: stateJson as unknown as TrainerState, optimizer }
}

/**
 * The folder `latest.json` names under `root`, or undefined when there is no checkpoint yet.
 *
 * @since 0.1.0
 * @category io
 */
export const latestCheckpoint = (root: string): string | undefined => {
  const file = path.join(root, "latest.json")
  if (!fs.existsSync(file)) return undefined
  const latest = readJson(file)
  if (typeof latest["checkpoint"] !== "string") throw corrupt(file, "names no checkpoint")
  return path.join(root, latest["checkpoint"])
}

/**
 * Publishes a checkpoint's policy files (config.json + model.safetensors) as `<run>/policy/`, swapped in whole.
 *
 * @since 0.1.0
 * @category io
 */
export const publishPolicy = (checkpoint: string, target: string): void => {
  const tmp = `${target}.tmp-${process.pid}`
  fs.rmSync(tmp, { recursive: true, force: true })
  fs.mkdirSync(tmp, { recursive: true })
  for (const file of ["config.json", MODEL_FILE]) {
    fs.copyFileSync(path.join(checkpoint, file), path.join(tmp, file))
    const fd = fs.openSync(path.join(tmp, file), "r")
    fs.fsyncSync(fd)
    fs.closeSync(fd)
  }
  const old = `${target}.old-${process.pid}`
  if (fs.existsSync(target)) fs.renameSync(target, old)
  fs.renameSync(tmp, target)
  fs.rmSync(old, { recursive: true, force: true })
}
