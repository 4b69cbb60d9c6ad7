/**
 * What travels through the queue: a job is one chain plus everything a worker needs to run it as the local
 * runner would (scene, seed, policy spec, run options), as plain data; its return value is the chain's result.
 * Both are decoded with Schema on arrival, so a malformed or foreign job fails with a typed error.
 *
 * Redis keys (prefix `robovla`): BullMQ's queue `run-<id>` per run, `robovla:meta:<id>` (the run's identity,
 * also the sentinel that tells a coordinator its queue was lost), `robovla:runs` (the set workers watch), and
 * `robovla:worker:<id>` (a worker's heartbeat, expiring when it stops refreshing it).
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import { pathToFileURL } from "node:url"
import { generateEvalSequences, TASK_NAMES } from "@robovla/sim"
import { Schemas } from "@robovla/sdk"
import { Result, Schema } from "effect"
import { BenchError } from "../BenchError.ts"
import { ChainResultSchema, SymbolicStateSchema } from "../Chain.ts"
import { PolicySpecSchema } from "../PolicySpec.ts"

/** Bumped when the job or result shape changes. @since 0.1.0 @category constants */
export const QUEUE_PROTOCOL = 1

/** @since 0.1.0 @category constants */
export const KEY_PREFIX = "robovla"

/** @since 0.1.0 @category constants */
export const keys = {
  queueName: (runId: string) => `run-${runId}`,
  meta: (runId: string) => `${KEY_PREFIX}:meta:${runId}`,
  runs: `${KEY_PREFIX}:runs`,
  worker: (workerId: string) => `${KEY_PREFIX}:worker:${workerId}`,
  workerPattern: `${KEY_PREFIX}:worker:*`,
  /** Every key BullMQ keeps for a run's queue. */
  queuePattern: (runId: string) => `${KEY_PREFIX}:run-${runId}:*`,
  /** Deterministic: enqueueing a chain twice adds nothing (BullMQ ids may not contain ":"). */
  jobId: (runId: string, index: number) => `${runId}-c${index}`
}

/** @since 0.1.0 @category schemas */
export const ChainJobSchema = Schema.Struct({
  protocol: Schema.Number,
  runId: Schema.String,
  suite: Schema.String,
  /** {@link suiteVersion} of the coordinator: a worker with other code refuses the job. */
  suiteVersion: Schema.String,
  chain: Schema.Struct({ index: Schema.Number, initialState: SymbolicStateSchema, tasks: Schema.Array(Schema.String) }),
  scene: Schema.String,
  seed: Schema.Number,
  /** Checked separately, so an unknown kind gets its own error (UnknownPolicy). */
  policy: Schema.Unknown,
  options: Schema.Struct({
    maxSteps: Schema.Number,
    actTimeoutMs: Schema.Number,
    actionsPerQuery: Schema.Number,
    temporalEnsemble: Schema.optional(Schema.Number),
    videoStride: Schema.Number,
    videoSize: Schema.Number,
    instructions: Schema.optional(Schema.Record(Schema.String, Schema.String))
  }),
  /** Record a video of this chain. */
  record: Schema.Boolean
})

/** @since 0.1.0 @category models */
export type ChainJob = typeof ChainJobSchema.Type

/** A job's return value. @since 0.1.0 @category schemas */
export const ChainJobResultSchema = Schema.Struct({
  result: ChainResultSchema,
  /** The chain's GIF, base64, when the job asked for a video. */
  video: Schema.optional(Schema.String),
  worker: Schema.String
})

/** @since 0.1.0 @category models */
export type ChainJobResult = typeof ChainJobResultSchema.Type

const decodeChainJob = Schemas.decodeUnknownResult(ChainJobSchema, "chain job", { strict: false })
const decodePolicySpec = Schemas.decodeUnknownResult(PolicySpecSchema, "policy spec", { strict: false })

/** Decodes a job as a worker receives it. @since 0.1.0 @category decoding */
export const decodeJob = (data: unknown): ChainJob & { readonly policy: typeof PolicySpecSchema.Type } => {
  const decoded = decodeChainJob(data)
  if (Result.isFailure(decoded)) throw new BenchError({ reason: "InvalidOptions", message: `malformed chain job: ${decoded.failure.message}`, cause: decoded.failure })
  const job = decoded.success
  if (job.protocol !== QUEUE_PROTOCOL) {
    throw new BenchError({ reason: "SuiteMismatch", message: `job protocol ${job.protocol}, this worker speaks ${QUEUE_PROTOCOL}: update robovla on one side` })
  }
  const local = suiteVersion()
  if (job.suiteVersion !== local) {
    throw new BenchError({ reason: "SuiteMismatch", message: `job of suite version ${job.suiteVersion}, this worker has ${local}: run workers from the coordinator's robovla version` })
  }
  const policy = decodePolicySpec(job.policy)
  if (Result.isFailure(policy)) throw new BenchError({ reason: "UnknownPolicy", message: `this worker does not know the policy spec ${JSON.stringify(job.policy).slice(0, 200)}` })
  return { ...job, policy: policy.success }
}

/** @since 0.1.0 @category decoding */
export const decodeJobResult = Schema.decodeUnknownSync(ChainJobResultSchema)

let versionCache: string | undefined

const packageVersion = (url: URL): string => (JSON.parse(fs.readFileSync(url, "utf8")) as { version: string }).version

/**
 * The suite's version as this code base produces it: the bench and simulator package versions and a hash of
 * the chain generator's output and the task set. Coordinator and workers must agree on it, or a chain's index
 * would not mean the same chain on both sides.
 *
 * @since 0.1.0
 * @category constructors
 */
export const suiteVersion = (): string => {
  if (versionCache !== undefined) return versionCache
  const simPackage = new URL("../package.json", pathToFileURL(createRequire(import.meta.url).resolve("@robovla/sim")))
  const hash = createHash("sha256")
  hash.update(JSON.stringify({
    protocol: QUEUE_PROTOCOL,
    bench: packageVersion(new URL("../../package.json", import.meta.url)),
    sim: packageVersion(simPackage),
    // A fingerprint of the chain generator and task set: generating 50 sequences takes a fraction of the
    // 1000-chain set's seconds and changes whenever the generator does.
    generator: generateEvalSequences(50),
    tasks: TASK_NAMES
  }))
  return (versionCache = hash.digest("hex").slice(0, 16))
}
