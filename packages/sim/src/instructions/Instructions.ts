/**
 * Language instructions for the 34 tasks. Each task has one held-out evaluation string (CALVIN's validation
 * annotation, verbatim from reference/calvin.md §5, used by the long-horizon benchmark) and a handful of training
 * paraphrases written for this project in CALVIN's style (never equal to an evaluation string), used when
 * collecting expert data. `taskForInstruction` maps text back to a task so the scripted expert policy can be
 * driven over the wire with the same strings a learned policy receives.
 *
 * @since 0.1.0
 */
import { Schemas, SdkError } from "@robovla/sdk"
import { Effect, Schema } from "effect"
import { readFileSync } from "node:fs"
import { isTaskName, TASK_NAMES, type TaskName } from "../tasks/Tasks.ts"
import defaults from "./instructions.json" with { type: "json" }

/**
 * The instructions of one task.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskInstructions {
  /** The held-out string the evaluation uses. */
  readonly eval: string
  /** Paraphrases for training data. */
  readonly train: ReadonlyArray<string>
}

/** Instructions for every task. @since 0.1.0 @category models */
export type InstructionSet = Readonly<Record<TaskName, TaskInstructions>>

/** Which split an instruction comes from. @since 0.1.0 @category models */
export type InstructionSplit = "eval" | "train"

const TaskInstructionsSchema = Schema.Struct({
  eval: Schema.NonEmptyString,
  train: Schema.Array(Schema.NonEmptyString)
})
const InstructionFileSchema = Schema.Record(Schema.String, TaskInstructionsSchema)

/**
 * The project's built-in instruction set (src/instructions/instructions.json).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_INSTRUCTIONS: InstructionSet = defaults as InstructionSet

/**
 * Lower-case, drop punctuation and articles, collapse whitespace: "Take the red block." → "take red block".
 *
 * @since 0.1.0
 * @category utils
 */
export const normalizeInstruction = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9 ]+/g, " ")
    .split(/\s+/)
    .filter((word) => word !== "" && word !== "the" && word !== "a" && word !== "an")
    .join(" ")

interface InstructionIndex {
  readonly exact: ReadonlyMap<string, TaskName>
  readonly normalized: ReadonlyMap<string, TaskName>
}

const indexCache = new WeakMap<InstructionSet, InstructionIndex>()
const indexOf = (set: InstructionSet): InstructionIndex => {
  const cached = indexCache.get(set)
  if (cached) return cached
  const exact = new Map<string, TaskName>()
  const normalized = new Map<string, TaskName>()
  for (const task of TASK_NAMES) {
    for (const text of [set[task].eval, ...set[task].train]) {
      if (!exact.has(text)) exact.set(text, task)
      const key = normalizeInstruction(text)
      if (!normalized.has(key)) normalized.set(key, task)
    }
  }
  const index = { exact, normalized }
  indexCache.set(set, index)
  return index
}

/**
 * An instruction for `task`: the evaluation string, or a training paraphrase picked with `rng` (a function
 * returning uniform numbers in [0, 1), e.g. `Math.random`; without one, the first paraphrase).
 *
 * @since 0.1.0
 * @category accessors
 */
export const instructionFor = (
  task: TaskName,
  split: InstructionSplit,
  rng?: () => number,
  set: InstructionSet = DEFAULT_INSTRUCTIONS
): string => {
  const entry = set[task]
  if (split === "eval" || entry.train.length === 0) return entry.eval
  const i = rng ? Math.min(entry.train.length - 1, Math.floor(rng() * entry.train.length)) : 0
  return entry.train[i]!
}

/**
 * The task an instruction asks for: an exact match over evaluation and training strings first, then a match
 * after `normalizeInstruction` (case, punctuation, articles, spacing), then the task name itself
 * ("open_drawer" or "open drawer"). `undefined` when nothing matches.
 *
 * @since 0.1.0
 * @category accessors
 */
export const taskForInstruction = (text: string, set: InstructionSet = DEFAULT_INSTRUCTIONS): TaskName | undefined => {
  const index = indexOf(set)
  const exact = index.exact.get(text)
  if (exact !== undefined) return exact
  const key = normalizeInstruction(text)
  const normalized = index.normalized.get(key)
  if (normalized !== undefined) return normalized
  const asName = key.replace(/ /g, "_")
  return isTaskName(asName) ? asName : undefined
}

const decodeInstructionFile = Schemas.decodeUnknown(InstructionFileSchema, "instruction set", { strict: false })

/**
 * Decode an instruction set from parsed JSON: an object with all 34 task names as keys, each
 * `{ "eval": string, "train": string[] }`. Fails with `SdkError` reason `InvalidInput` naming what is wrong.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeInstructionSet = (input: unknown, subject = "instructions"): Effect.Effect<InstructionSet, SdkError> =>
  Effect.gen(function*() {
    const record = yield* decodeInstructionFile(input).pipe(
      // The subject stays the file (the message already names the bad field).
      Effect.mapError((error) => new SdkError({ reason: error.reason, message: error.message, subject }))
    )
    const unknown = Object.keys(record).filter((key) => !isTaskName(key))
    if (unknown.length > 0) {
      return yield* new SdkError({
        reason: "InvalidInput",
        message: `unknown task name(s) in instruction set: ${unknown.join(", ")}`,
        subject
      })
    }
    const missing = TASK_NAMES.filter((task) => !(task in record))
    if (missing.length > 0) {
      return yield* new SdkError({
        reason: "InvalidInput",
        message: `instruction set lacks task(s): ${missing.join(", ")}`,
        subject
      })
    }
    return record as InstructionSet
  })

/**
 * Load a user instruction file (JSON, the layout of `instructions.json`). A missing or unreadable file or bad JSON
 * fails with reason `CorruptFile`; a well-formed file with the wrong content with reason `InvalidInput`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const loadInstructionFile = (path: string): Effect.Effect<InstructionSet, SdkError> =>
  Effect.gen(function*() {
    const text = yield* Effect.try({
      try: () => readFileSync(path, "utf8"),
      catch: (cause) =>
        new SdkError({ reason: "CorruptFile", message: `cannot read instruction file ${path}`, subject: path, cause })
    })
    const json = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: (cause) =>
        new SdkError({ reason: "CorruptFile", message: `instruction file ${path} is not valid JSON`, subject: path, cause })
    })
    return yield* decodeInstructionSet(json, path)
  })
