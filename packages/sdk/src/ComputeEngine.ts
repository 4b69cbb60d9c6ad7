/**
 * Which engines besides the plugins' own this process can use, detected without loading them at import.
 *
 * onnxruntime-node (for exported policies and ONNX backbones) is detected with its execution providers, so ONNX
 * plugins and the gateway can pick one. tfjs backend selection lives in `@robovla/tfjs` (`initTfjs`): the SDK
 * itself depends on no engine, and importing it loads none.
 *
 * @since 0.1.0
 */
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { findPackageDirectory } from "./PluginLoader.ts"

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

const here = path.dirname(fileURLToPath(import.meta.url))

/** Thrown (and reported as "not installed") when an optional package is absent, whatever the module runner. */
class NotInstalled extends Error {}

/**
 * Imports a package that may not be installed, from the SDK's folder or else the working directory (the SDK
 * declares no engine, so the application installs it). Presence is checked on disk first, so "not installed"
 * is reported the same under Node, tsx and vitest; the name is a variable so no type checker needs the package.
 */
const importOptional = (name: string): Promise<unknown> => {
  if (findPackageDirectory(name, here) !== undefined) return import(name)
  if (findPackageDirectory(name, process.cwd()) === undefined) return Promise.reject(new NotInstalled(name))
  return import(pathToFileURL(createRequire(path.join(process.cwd(), "noop.js")).resolve(name)).href)
}

const describeImportError = (cause: unknown): string => {
  if (cause instanceof NotInstalled) return "not installed"
  const message = cause instanceof Error ? cause.message : String(cause)
  return message.split("\n")[0]!
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
