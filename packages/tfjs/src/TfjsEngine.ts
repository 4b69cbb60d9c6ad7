/**
 * The tfjs engine of this process, chosen once and reported with reasons: which backend, gradients registered,
 * fast kernels on or off. Every tfjs plugin goes through here (their `make` calls {@link ensureTfjs}), so the
 * SDK itself never loads tfjs.
 *
 * Backend: the native `tensorflow` backend (`@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node`) when
 * installed, then `wasm`, then the pure-JS `cpu`. The native packages download libtensorflow from outside the
 * npm registry at install time, so they are optional peers imported only if present; on the project machines
 * the choice is `wasm` (ARCHITECTURE.md § Compute engines). `ROBOVLA_TFJS_BACKEND=wasm|cpu|tensorflow` (or the
 * `backend` option) forces one; forcing one that cannot load fails with `SdkError` reason `"EngineUnavailable"`
 * instead of silently falling back.
 *
 * Gradients: tfjs-core registers none by itself, and its `register_all_gradients.js` only loads where
 * extension-less ESM imports resolve (vitest, bundlers); {@link registerGradients} makes it load in plain Node too.
 *
 * Kernels: after a backend is active, `registerFastKernels(backend)` from `./kernels/index.ts` may replace the
 * stock kernels of the ops that dominate training; what it says is kept in `TfjsSetup.kernels`.
 *
 * @since 0.1.0
 */
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as tf from "@tensorflow/tfjs-core"
import { PluginLoader, SdkError } from "@robovla/sdk"
import { Context, Effect, Layer } from "effect"

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
  PluginLoader.findPackageDirectory(name, here) === undefined ? Promise.reject(new NotInstalled(name)) : import(name)

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
/** The selection made last, whatever its key: what `ensureTfjs` keeps. */
let current: BackendSelection | undefined

/**
 * Chooses and activates the tfjs backend (see the module docs). Idempotent: a second call with the same request
 * returns the same selection (re-activating its backend if another call switched tfjs meanwhile). Rejects with
 * `SdkError`: `"EngineUnavailable"` when a forced backend cannot load, `"InvalidInput"` for a bad env value.
 * Backend only: {@link initTfjs} also registers gradients and fast kernels.
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
  current = selection
  return selection
}

// ---------------------------------------------------------------------------------------------------------------
// gradients
// ---------------------------------------------------------------------------------------------------------------

/**
 * Resolves the extensionless relative imports inside tfjs-core's ESM `dist/` (which plain Node refuses), only
 * for modules under `@tensorflow/tfjs-core/dist/`. The registries are process globals, so gradients loaded
 * from the ESM files serve the CommonJS build Node loads for `@tensorflow/tfjs-core`.
 */
const TFJS_DIST_RESOLVE_HOOK = `
export async function resolve(specifier, context, next) {
  try { return await next(specifier, context) } catch (error) {
    const parent = context.parentURL ?? ""
    if (specifier.startsWith(".") && parent.includes("/@tensorflow/tfjs-core/dist/")) {
      try { return await next(specifier + ".js", context) } catch { return next(specifier + "/index.js", context) }
    }
    throw error
  }
}`

let gradientsRegistered: Promise<void> | undefined

/**
 * Registers tfjs-core's gradient functions (the `@tensorflow/tfjs` union package does; tfjs-core alone does
 * not). Needed for training only; idempotent. Works under vitest / bundlers (plain import) and in plain Node
 * and tsx (with a narrow module-resolution hook, Node ≥ 20.6).
 *
 * @since 0.1.0
 * @category engines
 */
export const registerGradients = (): Promise<void> => {
  gradientsRegistered ??= (async () => {
    // Register the hook before the first attempt: a failed ESM import stays failed in the module map.
    const nodeModule = await import("node:module").catch(() => undefined)
    if (typeof nodeModule?.register === "function") {
      nodeModule.register("data:text/javascript," + encodeURIComponent(TFJS_DIST_RESOLVE_HOOK), import.meta.url)
    }
    await import("@tensorflow/tfjs-core/dist/register_all_gradients.js")
  })()
  return gradientsRegistered
}

/**
 * Whether tfjs has a gradient for `kernelName` (e.g. `"BatchMatMul"`) in this process.
 *
 * @since 0.1.0
 * @category engines
 */
export const hasGradient = (kernelName: string): boolean => tf.getGradient(kernelName) !== undefined

// ---------------------------------------------------------------------------------------------------------------
// the one entry point
// ---------------------------------------------------------------------------------------------------------------

/**
 * What {@link initTfjs} set up: the backend selection, and what the fast-kernel registration said for it
 * (`undefined` when it had nothing to say, e.g. no fast kernels for this backend).
 *
 * @since 0.1.0
 * @category models
 */
export interface TfjsSetup {
  readonly selection: BackendSelection
  readonly kernels: string | undefined
  /** One line for logs and `/readyz`. */
  readonly summary: string
}

/** Fast kernels registered once per backend; the promise keeps concurrent callers from registering twice. */
const kernelsByBackend = new Map<string, Promise<string | undefined>>()

const registerKernelsFor = (backend: string): Promise<string | undefined> => {
  let pending = kernelsByBackend.get(backend)
  if (pending === undefined) {
    pending = import("./kernels/index.ts").then(async (kernels) => await kernels.registerFastKernels(backend))
    kernelsByBackend.set(backend, pending)
    pending.catch(() => kernelsByBackend.delete(backend))
  }
  return pending
}

const setupOf = (selection: BackendSelection, kernels: string | undefined): TfjsSetup => ({
  selection,
  kernels,
  summary: `tfjs ${selection.backend} — ${selection.reason}${kernels === undefined ? "" : `; ${kernels}`}`
})

/**
 * The kit's one entry point: selects the backend ({@link selectBackend}), registers gradients
 * ({@link registerGradients}) and the fast kernels for that backend. Idempotent; a call with other options
 * switches the backend (tests force `cpu` this way).
 *
 * @since 0.1.0
 * @category engines
 */
export const initTfjs = async (options: SelectBackendOptions = {}): Promise<TfjsSetup> => {
  const selection = await selectBackend(options)
  await registerGradients()
  return setupOf(selection, await registerKernelsFor(selection.backend))
}

/**
 * Makes sure the kit is initialised without switching a backend already chosen: the first call is
 * `initTfjs()`, later calls keep the current selection. Plugins call this from `make`, so a policy assembled
 * anywhere (gateway, bench, a script) runs on the selected backend and its fast kernels.
 *
 * @since 0.1.0
 * @category engines
 */
export const ensureTfjs = async (): Promise<TfjsSetup> => {
  if (current === undefined) return initTfjs()
  const selection = current
  if (tf.getBackend() !== selection.backend) await tf.setBackend(selection.backend)
  await registerGradients()
  return setupOf(selection, await registerKernelsFor(selection.backend))
}

const toSdkError = (cause: unknown): SdkError =>
  cause instanceof SdkError
    ? cause
    : new SdkError({ reason: "EngineUnavailable", message: `tfjs initialisation failed: ${String(cause)}`, cause })

/**
 * {@link ensureTfjs} as an Effect, for plugins' `make`.
 *
 * @since 0.1.0
 * @category engines
 */
export const ensureTfjsEffect: Effect.Effect<TfjsSetup, SdkError> = Effect.tryPromise({ try: () => ensureTfjs(), catch: toSdkError })

/**
 * The tfjs engine as a service.
 *
 * @since 0.1.0
 * @category models
 */
export interface TfjsEngineShape extends TfjsSetup {
  /** The tfjs-core module, with `selection.backend` active. */
  readonly tf: typeof tf
}

/**
 * Initialises the kit as an Effect (see {@link initTfjs}).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fn("TfjsEngine.make")(function*(options: SelectBackendOptions = {}) {
  const setup = yield* Effect.tryPromise({ try: () => initTfjs(options), catch: toSdkError })
  return TfjsEngine.of({ ...setup, tf })
})

/**
 * The tfjs engine service: the chosen backend, gradients registered, fast kernels where available.
 *
 * @since 0.1.0
 * @category services
 */
export class TfjsEngine extends Context.Service<TfjsEngine, TfjsEngineShape>()("@robovla/tfjs/TfjsEngine") {
  /** Chooses by `ROBOVLA_TFJS_BACKEND`, else the preference order. */
  static readonly layer: Layer.Layer<TfjsEngine, SdkError> = Layer.effect(TfjsEngine, make())

  /** Chooses with explicit options (e.g. `{ backend: "cpu" }` in tests). */
  static layerWith(options: SelectBackendOptions): Layer.Layer<TfjsEngine, SdkError> {
    return Layer.effect(TfjsEngine, make(options))
  }
}
