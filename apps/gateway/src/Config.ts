/**
 * Gateway and deployment configuration: a JSON file (or an admin call) decoded with Schema, then filled
 * with defaults. A deployment is either built in (`mock`), a trusted module that exports a `PolicyModel`
 * factory (`module`, config file only; the simulator's scripted expert is served this way), assembled from plugins (`plugins`), or an exported ONNX policy folder (`onnx`, made by `robovla
 * export`, run on onnxruntime-node).
 *
 * @since 0.1.0
 */
import { PositiveInt } from "@robovla/sdk"
import { Schema } from "effect"
import { existsSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { GatewayError } from "./GatewayError.ts"
import { makeDecoder } from "./internal/decode.ts"

/** Where a wire observation key goes in the SDK observation. */
export const ObservationTarget = Schema.Literals(["robot_obs", "scene_obs", "rgb_static", "rgb_gripper", "instruction"])

/**
 * @since 0.1.0
 * @category models
 */
export type ObservationTarget = typeof ObservationTarget.Type

/**
 * One deployment as declared in the config file or posted to `/v1/admin/deployments`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const DeploymentSpec = Schema.Struct({
  id: Schema.String.check(Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/)),
  kind: Schema.Literals(["mock", "module", "plugins", "onnx"]),
  /** mock: actions per call and a simulated inference delay. */
  chunkSize: Schema.optionalKey(PositiveInt.check(Schema.isBetween({ minimum: 1, maximum: 64 }))),
  latencyMs: Schema.optionalKey(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 10_000 }))),
  /**
   * module: a package export (`@robovla/sim/expert-policy`), file path or URL whose export (default
   * `makePolicyModel`) is called with `options` and returns a PolicyModel (or a promise or Effect of one).
   */
  module: Schema.optionalKey(Schema.String),
  export: Schema.optionalKey(Schema.String),
  options: Schema.optionalKey(Schema.Unknown),
  /** plugins: backbone and head plugin packages, a checkpoint folder (policy.json) or an ONNX backbone folder. */
  backbone: Schema.optionalKey(Schema.String),
  head: Schema.optionalKey(Schema.String),
  checkpoint: Schema.optionalKey(Schema.String),
  onnx: Schema.optionalKey(Schema.String),
  /** onnx: the export folder (`export.json` + graphs) written by `robovla export`. */
  dir: Schema.optionalKey(Schema.String),
  /** onnx: `auto` (default: CUDA, then WebGPU, then CPU, whichever loads), or exactly one of them. */
  executionProvider: Schema.optionalKey(Schema.Literals(["auto", "cuda", "webgpu", "cpu"])),
  /** plugins: the rest of the SDK's PolicyModelSpec (backboneConfig, headConfig, vla, from, name). */
  config: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)),
  /** WebSocket observation keys → SDK fields, merged over the openpi defaults. */
  observationKeys: Schema.optionalKey(Schema.Record(Schema.String, ObservationTarget)),
  batchWindowMs: Schema.optionalKey(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1000 }))),
  maxBatch: Schema.optionalKey(PositiveInt.check(Schema.isBetween({ minimum: 1, maximum: 1024 }))),
  maxConcurrency: Schema.optionalKey(PositiveInt.check(Schema.isBetween({ minimum: 1, maximum: 64 }))),
  maxQueue: Schema.optionalKey(PositiveInt),
  timeoutMs: Schema.optionalKey(PositiveInt),
  loadTimeoutMs: Schema.optionalKey(PositiveInt),
  idleTimeoutMs: Schema.optionalKey(PositiveInt),
  /** Open sessions (REST and WebSocket) at most; then 503. */
  maxSessions: Schema.optionalKey(PositiveInt),
  /** A REST session unused this long is dropped (404 afterwards). */
  sessionIdleMs: Schema.optionalKey(PositiveInt),
  preload: Schema.optionalKey(Schema.Boolean)
})

/**
 * @since 0.1.0
 * @category models
 */
export type DeploymentSpec = typeof DeploymentSpec.Type

/**
 * The config file.
 *
 * @since 0.1.0
 * @category schemas
 */
export const GatewayConfigFile = Schema.Struct({
  host: Schema.optionalKey(Schema.String),
  port: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 }))),
  apiKeys: Schema.optionalKey(Schema.Array(Schema.String.check(Schema.isMinLength(16)))),
  defaultDeployment: Schema.optionalKey(Schema.String),
  deployments: Schema.Array(DeploymentSpec),
  maxBodyBytes: Schema.optionalKey(PositiveInt),
  maxMessageBytes: Schema.optionalKey(PositiveInt),
  rateLimit: Schema.optionalKey(Schema.Struct({ requestsPerSecond: Schema.Finite.check(Schema.isGreaterThan(0)), burst: PositiveInt })),
  drainTimeoutMs: Schema.optionalKey(PositiveInt),
  /** Lets the admin endpoint create `module` deployments (loads code named by the caller: off by default). */
  allowAdminModules: Schema.optionalKey(Schema.Boolean)
})

/**
 * @since 0.1.0
 * @category models
 */
export type GatewayConfigFile = typeof GatewayConfigFile.Type

/**
 * A deployment with every default filled in.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolvedDeployment {
  readonly spec: DeploymentSpec
  readonly id: string
  readonly observationKeys: Readonly<Record<string, ObservationTarget>>
  readonly batchWindowMs: number
  readonly maxBatch: number
  readonly maxConcurrency: number
  readonly maxQueue: number
  readonly timeoutMs: number
  readonly loadTimeoutMs: number
  readonly idleTimeoutMs: number
  readonly maxSessions: number
  readonly sessionIdleMs: number
  readonly preload: boolean
}

/**
 * The gateway's settings with defaults filled in.
 *
 * @since 0.1.0
 * @category models
 */
export interface GatewayConfig {
  readonly host: string
  readonly port: number
  readonly apiKeys: ReadonlyArray<string>
  readonly defaultDeployment: string | undefined
  readonly deployments: ReadonlyArray<ResolvedDeployment>
  readonly maxBodyBytes: number
  readonly maxMessageBytes: number
  readonly rateLimit: { readonly requestsPerSecond: number; readonly burst: number } | undefined
  readonly drainTimeoutMs: number
  readonly allowAdminModules: boolean
}

/**
 * openpi's observation names (LIBERO/DROID clients) and CALVIN's, mapped onto the SDK observation.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_OBSERVATION_KEYS: Readonly<Record<string, ObservationTarget>> = {
  "observation/state": "robot_obs",
  "observation/robot_obs": "robot_obs",
  "observation/scene_obs": "scene_obs",
  "observation/scene_state": "scene_obs",
  "observation/image": "rgb_static",
  "observation/rgb_static": "rgb_static",
  "observation/wrist_image": "rgb_gripper",
  "observation/rgb_gripper": "rgb_gripper",
  robot_obs: "robot_obs",
  scene_obs: "scene_obs",
  rgb_static: "rgb_static",
  rgb_gripper: "rgb_gripper",
  prompt: "instruction",
  instruction: "instruction"
}

/**
 * Checks the fields a deployment kind needs and fills defaults.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolveDeployment = (spec: DeploymentSpec): ResolvedDeployment => {
  const need = (field: keyof DeploymentSpec) => {
    if (spec[field] === undefined) {
      throw new GatewayError({ reason: "InvalidField", field, message: `${field} is required for a '${spec.kind}' deployment` })
    }
  }
  if (spec.kind === "module") need("module")
  if (spec.kind === "onnx") need("dir")
  if (spec.kind === "plugins" && spec.backbone === undefined && spec.onnx === undefined && spec.checkpoint === undefined) {
    throw new GatewayError({ reason: "InvalidField", field: "backbone", message: "a 'plugins' deployment needs backbone + head, an onnx folder + head, or a checkpoint" })
  }
  return {
    spec,
    id: spec.id,
    observationKeys: { ...DEFAULT_OBSERVATION_KEYS, ...spec.observationKeys },
    batchWindowMs: spec.batchWindowMs ?? 2,
    maxBatch: spec.maxBatch ?? 32,
    maxConcurrency: spec.maxConcurrency ?? 1,
    maxQueue: spec.maxQueue ?? 1024,
    timeoutMs: spec.timeoutMs ?? 30_000,
    loadTimeoutMs: spec.loadTimeoutMs ?? 120_000,
    idleTimeoutMs: spec.idleTimeoutMs ?? 15 * 60_000,
    maxSessions: spec.maxSessions ?? 1024,
    sessionIdleMs: spec.sessionIdleMs ?? 10 * 60_000,
    preload: spec.preload ?? false
  }
}

/** Config files written for the gateway's former built-in `expert` kind get the module form in the error. */
const retiredExpertKind = (input: unknown): void => {
  const deployments = (input as { deployments?: unknown } | null)?.deployments
  if (!Array.isArray(deployments)) return
  const at = deployments.findIndex((d) => (d as { kind?: unknown } | null)?.kind === "expert")
  if (at < 0) return
  const scene = (deployments[at] as { scene?: unknown }).scene ?? "D"
  throw new GatewayError({
    reason: "InvalidField",
    field: `deployments[${at}].kind`,
    message: `config deployments[${at}].kind: 'expert' is a module deployment now: {"kind": "module", "module": "${EXPERT_POLICY_MODULE}", "options": {"scene": ${JSON.stringify(scene)}}}`
  })
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"])

/**
 * True for addresses only this machine can reach.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isLoopback = (host: string): boolean => LOOPBACK.has(host) || host.startsWith("127.")

const decodeConfigFile = makeDecoder(GatewayConfigFile, "config")

/**
 * Decodes and resolves a config object (from a file, or built in code). API keys also come from
 * `ROBOVLA_API_KEYS` (comma separated) when the config has none.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolveConfig = (input: unknown, env: Readonly<Record<string, string | undefined>> = process.env): GatewayConfig => {
  let file: typeof GatewayConfigFile.Type
  try {
    file = decodeConfigFile(input)
  } catch (error) {
    // A config of the retired expert kind gets its own message, naming the module deployment to use instead.
    retiredExpertKind(input)
    throw error
  }
  const deployments = file.deployments.map(resolveDeployment)
  const ids = new Set<string>()
  for (const d of deployments) {
    if (ids.has(d.id)) throw new GatewayError({ reason: "Conflict", message: `config: deployment id '${d.id}' appears twice` })
    ids.add(d.id)
  }
  const defaultDeployment = file.defaultDeployment ?? deployments[0]?.id
  if (defaultDeployment !== undefined && !ids.has(defaultDeployment)) {
    throw new GatewayError({ reason: "InvalidField", field: "defaultDeployment", message: `config: no deployment '${defaultDeployment}'` })
  }
  const envKeys = (env["ROBOVLA_API_KEYS"] ?? "").split(",").map((k) => k.trim()).filter((k) => k.length > 0)
  const apiKeys = file.apiKeys ?? envKeys
  const host = file.host ?? "127.0.0.1"
  if (!isLoopback(host) && apiKeys.length === 0) {
    throw new GatewayError({
      reason: "Unauthorized",
      message: `refusing to bind ${host} without API keys: set apiKeys in the config or ROBOVLA_API_KEYS`
    })
  }
  return {
    host,
    port: file.port ?? 8000,
    apiKeys,
    defaultDeployment,
    deployments,
    maxBodyBytes: file.maxBodyBytes ?? 8 * 1024 * 1024,
    maxMessageBytes: file.maxMessageBytes ?? 8 * 1024 * 1024,
    rateLimit: file.rateLimit,
    drainTimeoutMs: file.drainTimeoutMs ?? 30_000,
    allowAdminModules: file.allowAdminModules ?? false
  }
}

/**
 * Reads a JSON config file (not yet decoded).
 *
 * @since 0.1.0
 * @category constructors
 */
export const readConfigFile = (path: string): Record<string, unknown> => {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, "utf8"))
  } catch (error) {
    throw new GatewayError({ reason: "InvalidJson", message: `config ${path}: ${(error as Error).message}` })
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new GatewayError({ reason: "InvalidField", field: "config", message: `config ${path}: must be a JSON object` })
  }
  return json as Record<string, unknown>
}

/**
 * Reads and resolves a JSON config file.
 *
 * @since 0.1.0
 * @category constructors
 */
export const loadConfigFile = (path: string): GatewayConfig => resolveConfig(readConfigFile(path))

/**
 * The module that builds the privileged scripted expert (`@robovla/sim`, loaded by name like any module).
 *
 * @since 0.1.0
 * @category constants
 */
export const EXPERT_POLICY_MODULE = "@robovla/sim/expert-policy"

/**
 * The trained default policy shipped in the repository (`models/default`, a `robovla.checkpoint/v1` folder: tiny-vlm
 * + a policy head, acting from the cameras and the instruction; its model card is beside the weights).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_POLICY_CHECKPOINT = fileURLToPath(new URL("../../../models/default", import.meta.url))

/**
 * What `npm start` serves: the trained default policy as `default-vla` (the default, also at the openpi WebSocket's
 * `/`), the privileged scripted expert for scene D by name (`expert`), and `mock`. Without `models/default` (a
 * copy of the gateway outside the repository) the expert is the default.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_CONFIG_FILE: GatewayConfigFile = {
  host: "127.0.0.1",
  port: 8000,
  defaultDeployment: existsSync(DEFAULT_POLICY_CHECKPOINT) ? "default-vla" : "expert",
  deployments: [
    ...(existsSync(DEFAULT_POLICY_CHECKPOINT) ? [{ id: "default-vla", kind: "plugins" as const, checkpoint: DEFAULT_POLICY_CHECKPOINT, preload: true }] : []),
    { id: "expert", kind: "module", module: EXPERT_POLICY_MODULE, options: { scene: "D" }, preload: true },
    { id: "mock", kind: "mock" }
  ]
}
