/**
 * Turns a deployment spec into a loaded `PolicyModel` inside the worker. Factories may return a model, a
 * promise of one, or an Effect (optionally needing a Scope, which stays open for the worker's lifetime).
 *
 * @since 0.1.0
 */
import { AsyncScope, type PolicyModel, type SdkError } from "@robovla/sdk"
import { Effect, type Scope } from "effect"
import { isAbsolute, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import type { DeploymentSpec } from "../Config.ts"
import { makeMockPolicyModel } from "./MockPolicyModel.ts"

/** A loaded model and how to release it. */
export interface LoadedModel {
  readonly model: PolicyModel
  readonly close: () => Promise<void>
}

const isPolicyModel = (u: unknown): u is PolicyModel =>
  typeof u === "object" && u !== null && "metadata" in u && typeof (u as PolicyModel).policy === "function" &&
  typeof (u as PolicyModel).actBatch === "function"

/** Accepts what a factory returns: a model, a promise of one, or an Effect (scoped or not, held by the SDK's seam). */
export const resolveModel = async (made: unknown, what: string): Promise<LoadedModel> => {
  const value = await made
  if (Effect.isEffect(value)) {
    let acquired: AsyncScope.Acquired<unknown>
    try {
      acquired = await AsyncScope.acquire(value as Effect.Effect<unknown, unknown, Scope.Scope>)
    } catch (error) {
      throw new Error(`${what} failed to load: ${errorInfo(error).message}`)
    }
    if (!isPolicyModel(acquired.value)) {
      await acquired.close()
      throw new Error(`${what} did not produce a PolicyModel`)
    }
    return { model: acquired.value, close: acquired.close }
  }
  if (!isPolicyModel(value)) throw new Error(`${what} did not produce a PolicyModel`)
  return { model: value, close: async () => {} }
}

/** A short, client-safe description of a failure: the SdkError reason and message, never a stack. */
export const describeCause = (cause: unknown): string => causeInfo(cause).message

/**
 * Which SdkError reasons mean "this input", not "this policy" (the client gets a 422). A complete record, so that
 * an added or renamed reason fails to compile here.
 */
const REJECTS_INPUT = {
  InvalidInput: true,
  ShapeMismatch: true,
  NonFinite: true,
  PluginNotFound: false,
  BadManifest: false,
  IncompatibleContract: false,
  PluginFailure: false,
  WeightsNotFound: false,
  CorruptFile: false,
  EngineUnavailable: false,
  Released: false,
  Timeout: false,
  Unavailable: false,
  WorkerStartFailed: false,
  WorkerCrashed: false,
  WorkerTaskFailed: false
} as const satisfies Record<SdkError["reason"], boolean>

// Matched by the typed tag, not `instanceof`: a deployment's factory may be a module with its own copy of the SDK.
const SDK_ERROR_TAG: SdkError["_tag"] = "SdkError"
const isSdkError = (error: unknown): error is Pick<SdkError, "_tag" | "reason" | "message"> =>
  typeof error === "object" && error !== null && (error as { readonly _tag?: unknown })._tag === SDK_ERROR_TAG &&
  Object.hasOwn(REJECTS_INPUT, (error as { readonly reason?: unknown }).reason as PropertyKey)

/** The failure's client-safe message and whether the policy rejected its input. */
export const causeInfo = (cause: unknown): { readonly message: string; readonly rejectedInput: boolean } => errorInfo(findError(cause))

/** {@link causeInfo} of the typed error itself (what a rejected promise carries). */
const errorInfo = (error: unknown): { readonly message: string; readonly rejectedInput: boolean } => {
  if (isSdkError(error)) return { message: `${error._tag}(${error.reason}): ${error.message}`, rejectedInput: REJECTS_INPUT[error.reason] }
  if (error !== undefined && typeof error === "object" && error !== null && "_tag" in error && "message" in error) {
    const e = error as { _tag: string; reason?: string; message: string }
    return { message: e.reason === undefined ? `${e._tag}: ${e.message}` : `${e._tag}(${e.reason}): ${e.message}`, rejectedInput: false }
  }
  return { message: "unexpected error", rejectedInput: false }
}

const findError = (cause: unknown): unknown => {
  // Cause in effect 4 exposes `reasons`; the first Fail reason carries the typed error.
  const reasons = (cause as { reasons?: ReadonlyArray<{ _tag: string; error?: unknown }> }).reasons
  const fail = reasons?.find((r) => r._tag === "Fail")
  return fail?.error
}

const importModule = async (specifier: string): Promise<Record<string, unknown>> => {
  const url = specifier.startsWith("file:") || specifier.startsWith("@") || !/[/\\.]/.test(specifier[0] ?? "")
    ? specifier
    : pathToFileURL(isAbsolute(specifier) ? specifier : resolve(process.cwd(), specifier)).href
  return (await import(url)) as Record<string, unknown>
}

/**
 * Loads the model a deployment names.
 *
 * @since 0.1.0
 * @category constructors
 */
export const loadPolicyModel = async (spec: DeploymentSpec): Promise<LoadedModel> => {
  switch (spec.kind) {
    case "mock":
      return resolveModel(makeMockPolicyModel({ chunkSize: spec.chunkSize, latencyMs: spec.latencyMs }), "mock")
    case "module": {
      const mod = await importModule(spec.module!)
      const name = spec.export ?? "makePolicyModel"
      const make = mod[name]
      if (typeof make !== "function") throw new Error(`module '${spec.module}' has no function export '${name}'`)
      return resolveModel(make(spec.options), `module '${spec.module}'`)
    }
    case "plugins":
      return loadFromPlugins(spec)
    case "onnx": {
      // An exported policy folder on onnxruntime-node; the chosen execution provider lands in the metadata.
      const exported = await importModule("@robovla/export")
      const make = exported["makePolicyModel"]
      if (typeof make !== "function") throw new Error("@robovla/export has no makePolicyModel")
      return resolveModel(make({ dir: spec.dir!, executionProvider: spec.executionProvider ?? "auto" }), `onnx export '${spec.dir}'`)
    }
  }
}

/**
 * A (backbone, head, checkpoint | ONNX folder) deployment through the SDK's `loadPolicyModel`, so a spec
 * means the same here as in the benchmark. `config` carries the rest of the SDK spec (`backboneConfig`,
 * `headConfig`, `vla`, `from`, `name`).
 */
const loadFromPlugins = async (spec: DeploymentSpec): Promise<LoadedModel> => {
  const sdk = await importModule("@robovla/sdk")
  const loader = sdk["loadPolicyModel"]
  if (typeof loader !== "function") throw new Error("this @robovla/sdk has no loadPolicyModel")
  const fields = Object.fromEntries(
    (["backbone", "head", "checkpoint", "onnx"] as const).filter((k) => spec[k] !== undefined).map((k) => [k, spec[k]])
  )
  return resolveModel(loader({ ...spec.config, ...fields }), `plugins ${spec.backbone ?? spec.onnx ?? spec.checkpoint} + ${spec.head ?? "checkpoint head"}`)
}
