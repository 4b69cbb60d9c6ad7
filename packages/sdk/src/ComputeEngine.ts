/**
 * Which compute engines this process can use, chosen once and reported with reasons.
 *
 * tfjs (for everything trained in TypeScript) prefers the native `tensorflow` backend (`@tensorflow/tfjs-node-gpu`,
 * then `@tensorflow/tfjs-node`), then `wasm`, then the pure-JS `cpu`. The native packages download libtensorflow
 * from outside the npm registry at install time, so they are optional peers that are imported only if present;
 * on the project machines the choice is `wasm` (see ARCHITECTURE.md § Compute engines for the measured costs).
 * `ROBOVLA_TFJS_BACKEND=wasm|cpu|tensorflow` (or the `backend` option) forces one; forcing one that cannot load
 * fails with `SdkError` reason `"EngineUnavailable"` instead of silently falling back.
 *
 * onnxruntime-node (for exported policies and ONNX backbones) is detected alongside, with its execution
 * providers, so ONNX plugins and the gateway can pick one.
 *
 * @since 0.1.0
 */
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as tf from "@tensorflow/tfjs-core"
import { Context, Effect, Layer } from "effect"
import { findPackageDirectory } from "./PluginLoader.ts"
import { SdkError } from "./SdkError.ts"

/**
 * @since 0.1.0
 * @category models
 */
export type TfjsBackendName = "tensorflow" | "wasm" | "cpu"

/**
 * One package or backend the selection tried, and why it failed.
 *
 * @since 0.1.0
 * @category models
 */
export interface BackendAttempt {
  /** The package imported (`@tensorflow/tfjs-node`, `@tensorflow/tfjs-backend-wasm`, …). */
  readonly name: string
  readonly backend: TfjsBackendName
  readonly ok: boolean
  readonly error?: string
}

/**
 * The active tfjs backend and how it was chosen. Plain data: print it, log it, put it in a report.
 *
 * @since 0.1.0
 * @category models
 */
export interface BackendSelection {
  readonly backend: TfjsBackendName
  /** One sentence saying why this backend (forced by whom, or what was missing). */
  readonly reason: string
  readonly forced: boolean
  readonly tried: ReadonlyArray<BackendAttempt>
  /** WebAssembly capabilities when the backend is `wasm`. */
  readonly wasm?: { readonly simd: boolean; readonly multithreading: boolean }
}

/**
 * What onnxruntime-node offers in this process.
 *
 * @since 0.1.0
 * @category models
 */
export interface OnnxAvailability {
  readonly available: boolean
  readonly version?: string
  /**
   * Execution providers from `listSupportedBackends()` (`bundled: false` means its binaries must be installed
   * separately). Versions without that function report `cpu` only.
   */
  readonly executionProviders: ReadonlyArray<{ readonly name: string; readonly bundled: boolean }>
  readonly error?: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SelectBackendOptions {
  /** Force a backend; `"auto"` (default) follows `ROBOVLA_TFJS_BACKEND`, then the preference order. */
  readonly backend?: TfjsBackendName | "auto"
  /** Where to read `ROBOVLA_TFJS_BACKEND`; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>
}

/**
 * The environment variable that forces a tfjs backend.
 *
 * @since 0.1.0
 * @category constants
 */
export const BACKEND_ENV_VAR = "ROBOVLA_TFJS_BACKEND"

const BACKENDS: ReadonlyArray<TfjsBackendName> = ["tensorflow", "wasm", "cpu"]
const NATIVE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const

const here = path.dirname(fileURLToPath(import.meta.url))

/** Thrown (and reported as "not installed") when an optional package is absent, whatever the module runner. */
class NotInstalled extends Error {}

/**
 * Imports a package that may not be installed. Presence is checked on disk first, so "not installed" is reported
 * the same under Node, tsx and vitest; the name is a variable so no bundler or type checker needs the package.
 */
const importOptional = (name: string): Promise<unknown> =>
  findPackageDirectory(name, here) === undefined ? Promise.reject(new NotInstalled(name)) : import(name)

const describeImportError = (cause: unknown): string => {
  if (cause instanceof NotInstalled) return "not installed"
  const message = cause instanceof Error ? cause.message : String(cause)
  return message.split("\n")[0]!
}

/** Activates a registered backend; `tf.setBackend` resolves false (and logs) when initialisation fails. */
const activate = async (backend: TfjsBackendName): Promise<string | undefined> => {
  if (tf.findBackendFactory(backend) === null) return `backend "${backend}" is not registered`
  try {
    return (await tf.setBackend(backend)) ? undefined : `backend "${backend}" failed to initialise`
  } catch (cause) {
    return describeImportError(cause)
  }
}

const tryTensorflow = async (tried: Array<BackendAttempt>): Promise<boolean> => {
  for (const name of NATIVE_PACKAGES) {
    let error: string | undefined
    try {
      await importOptional(name)
      error = await activate("tensorflow")
    } catch (cause) {
      error = describeImportError(cause)
    }
    tried.push(error === undefined ? { name, backend: "tensorflow", ok: true } : { name, backend: "tensorflow", ok: false, error })
    if (error === undefined) return true
  }
  return false
}

const tryBundled = async (backend: "wasm" | "cpu", tried: Array<BackendAttempt>): Promise<boolean> => {
  const name = backend === "wasm" ? "@tensorflow/tfjs-backend-wasm" : "@tensorflow/tfjs-backend-cpu"
  let error: string | undefined
  try {
    await importOptional(name)
    error = await activate(backend)
  } catch (cause) {
    error = describeImportError(cause)
  }
  tried.push(error === undefined ? { name, backend, ok: true } : { name, backend, ok: false, error })
  return error === undefined
}

const wasmCapabilities = async (): Promise<NonNullable<BackendSelection["wasm"]>> => ({
  simd: Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")),
  multithreading: Boolean(await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT"))
})

const failures = (tried: ReadonlyArray<BackendAttempt>): string =>
  tried.filter((t) => !t.ok).map((t) => `${t.name}: ${t.error}`).join("; ")

const resolveRequest = (options: SelectBackendOptions): { requested: TfjsBackendName | "auto"; by: string } => {
  if (options.backend !== undefined && options.backend !== "auto") return { requested: options.backend, by: "the backend option" }
  const raw = (options.env ?? process.env)[BACKEND_ENV_VAR]?.trim().toLowerCase()
  if (raw === undefined || raw === "" || raw === "auto") return { requested: "auto", by: "preference order" }
  if (!(BACKENDS as ReadonlyArray<string>).includes(raw)) {
    throw new SdkError({
      reason: "InvalidInput",
      subject: BACKEND_ENV_VAR,
      message: `${BACKEND_ENV_VAR}=${raw} is not one of ${BACKENDS.join(", ")}, auto`
    })
  }
  return { requested: raw as TfjsBackendName, by: `${BACKEND_ENV_VAR}=${raw}` }
}

const select = async (requested: TfjsBackendName | "auto", by: string): Promise<BackendSelection> => {
  const tried: Array<BackendAttempt> = []
  const done = async (backend: TfjsBackendName, reason: string): Promise<BackendSelection> => {
    const base = { backend, reason, forced: requested !== "auto", tried }
    return backend === "wasm" ? { ...base, wasm: await wasmCapabilities() } : base
  }
  if (requested !== "auto") {
    const ok = requested === "tensorflow" ? await tryTensorflow(tried) : await tryBundled(requested, tried)
    if (ok) return done(requested, `forced by ${by}`)
    const hint =
      requested === "tensorflow"
        ? "install @tensorflow/tfjs-node (or -gpu; both download libtensorflow at install time) or choose wasm or cpu"
        : "check that the package is installed"
    throw new SdkError({
      reason: "EngineUnavailable",
      subject: requested,
      message: `tfjs backend "${requested}" was forced by ${by} but cannot be loaded (${failures(tried)}); ${hint}`
    })
  }
  if (await tryTensorflow(tried)) {
    const via = tried.find((t) => t.ok)!.name
    return done("tensorflow", `native TensorFlow via ${via} is installed, the fastest tfjs backend`)
  }
  if (await tryBundled("wasm", tried)) {
    return done("wasm", `no native TensorFlow (${failures(tried)}), so WebAssembly, the fastest remaining backend`)
  }
  if (await tryBundled("cpu", tried)) {
    return done("cpu", `neither native TensorFlow nor WebAssembly could load (${failures(tried)}), so the pure-JS cpu backend`)
  }
  throw new SdkError({ reason: "EngineUnavailable", message: `no tfjs backend could be loaded: ${failures(tried)}` })
}

/** Keyed by request and by who made it, so each selection's `reason` stays true. */
const selections = new Map<string, Promise<BackendSelection>>()

/**
 * Chooses and activates the tfjs backend (see the module docs). Idempotent: a second call with the same request
 * returns the same selection (re-activating its backend if another call switched tfjs meanwhile). Rejects with
 * `SdkError`: `"EngineUnavailable"` when a forced backend cannot load, `"InvalidInput"` for a bad env value.
 *
 * @since 0.1.0
 * @category engines
 */
export const selectBackend = async (options: SelectBackendOptions = {}): Promise<BackendSelection> => {
  const { requested, by } = resolveRequest(options)
  const key = `${requested} ${by}`
  let pending = selections.get(key)
  if (pending === undefined) {
    pending = select(requested, by)
    selections.set(key, pending)
    pending.catch(() => selections.delete(key))
  }
  const selection = await pending
  if (tf.getBackend() !== selection.backend) await tf.setBackend(selection.backend)
  return selection
}

let onnxDetection: Promise<OnnxAvailability> | undefined

/**
 * Detects onnxruntime-node and its execution providers (cached after the first call). Never fails: an absent
 * runtime is reported as `available: false` with the reason.
 *
 * @since 0.1.0
 * @category engines
 */
export const detectOnnxRuntime = (): Promise<OnnxAvailability> => {
  onnxDetection ??= (async (): Promise<OnnxAvailability> => {
    try {
      const ort = (await importOptional("onnxruntime-node")) as {
        listSupportedBackends?: () => ReadonlyArray<{ name: string; bundled: boolean }>
        env?: { versions?: { node?: string; common?: string } }
      }
      const version = ort.env?.versions?.node ?? ort.env?.versions?.common
      const executionProviders =
        typeof ort.listSupportedBackends === "function"
          ? ort.listSupportedBackends().map(({ name, bundled }) => ({ name, bundled }))
          : [{ name: "cpu", bundled: true }]
      return version === undefined ? { available: true, executionProviders } : { available: true, version, executionProviders }
    } catch (cause) {
      return { available: false, executionProviders: [], error: describeImportError(cause) }
    }
  })()
  return onnxDetection
}

/**
 * The compute engines of this process.
 *
 * @since 0.1.0
 * @category models
 */
export interface ComputeEngineShape {
  readonly tfjs: BackendSelection
  readonly onnx: OnnxAvailability
  /** The tfjs-core module, with `tfjs.backend` active. */
  readonly tf: typeof tf
  /** A short human-readable summary for logs and `/readyz`. */
  readonly summary: string
}

const summarize = (tfjs: BackendSelection, onnx: OnnxAvailability): string => {
  const providers = onnx.executionProviders.filter((p) => p.bundled).map((p) => p.name)
  const onnxPart = onnx.available
    ? `onnxruntime-node ${onnx.version ?? "?"} (providers: ${providers.join(", ")})`
    : `onnxruntime-node unavailable (${onnx.error})`
  return `tfjs ${tfjs.backend} — ${tfjs.reason}; ${onnxPart}`
}

/**
 * Chooses the engines as an Effect (see `selectBackend`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fn("ComputeEngine.make")(function*(options: SelectBackendOptions = {}) {
  const tfjs = yield* Effect.tryPromise({
    try: () => selectBackend(options),
    catch: (cause) =>
      cause instanceof SdkError
        ? cause
        : new SdkError({ reason: "EngineUnavailable", message: `tfjs backend selection failed: ${String(cause)}`, cause })
  })
  const onnx = yield* Effect.promise(() => detectOnnxRuntime())
  return ComputeEngine.of({ tfjs, onnx, tf, summary: summarize(tfjs, onnx) })
})

/**
 * The compute-engine service: the chosen tfjs backend and the onnxruntime availability.
 *
 * @since 0.1.0
 * @category services
 */
export class ComputeEngine extends Context.Service<ComputeEngine, ComputeEngineShape>()("@robovla/sdk/ComputeEngine") {
  /** Chooses by `ROBOVLA_TFJS_BACKEND`, else the preference order. */
  static readonly layer: Layer.Layer<ComputeEngine, SdkError> = Layer.effect(ComputeEngine, make())

  /** Chooses with explicit options (e.g. `{ backend: "cpu" }` in tests). */
  static layerWith(options: SelectBackendOptions): Layer.Layer<ComputeEngine, SdkError> {
    return Layer.effect(ComputeEngine, make(options))
  }
}
