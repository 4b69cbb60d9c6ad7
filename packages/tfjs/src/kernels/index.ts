/**
 * Native-speed kernels for the ops that dominate a profiled training step of robovla's models, registered over
 * tfjs' stock kernels of the active backend (wasm; cpu too). On by default; `ROBOVLA_FAST_KERNELS=0` keeps the
 * stock kernels.
 *
 * - `BatchMatMul` (every transpose pair, 2-D / batched / broadcast batch): onnxruntime-node's MLAS GEMM, called
 *   synchronously (see `MlasEngine.ts`). onnxruntime-node is an npm dependency with prebuilt binaries, so a
 *   fresh `npm install` has it; where it cannot load, the stock kernel runs and this says so once.
 * - `Transpose`, `Unpack`, `Slice`, `Sum` (contiguous axes), `Identity` (wasm): JavaScript over the wasm heap, where
 *   the stock kernels transpose or copy element by element (see `Transpose.ts`, `Slice.ts`, `Reduce.ts`).
 * - Fused ops under the kit's own kernel names (layer norm, softmax, GELU, with gradient kernels: `Fused.ts`) and
 *   the fused AdamW update (`../AdamW.ts`): the kit's ops use them while the fast kernels are active.
 *
 * The README's "Native kernels" section has the spike behind the engine choice and the measured figures.
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { makeBatchMatMul } from "./BatchMatMul.ts"
import type { MatMulEngine } from "./MlasEngine.ts"
import { loadMlasEngine } from "./MlasEngine.ts"
import { fusedKernelsRegistered, registerFusedKernels } from "./Fused.ts"
import { makeIdentity, makeSum } from "./Reduce.ts"
import { makeSlice } from "./Slice.ts"
import { makeTranspose, makeUnpack } from "./Transpose.ts"

/**
 * `0` / `false` / `off` switches the fast kernels off (the stock tfjs kernels run).
 *
 * @since 0.1.0
 * @category constants
 */
export const FAST_KERNELS_ENV_VAR = "ROBOVLA_FAST_KERNELS"

/**
 * Whether the environment asks for the fast kernels (anything but `0`, `false`, `off`, `no`).
 *
 * @since 0.1.0
 * @category engines
 */
export const fastKernelsRequested = (env: NodeJS.ProcessEnv = process.env): boolean =>
  !["0", "false", "off", "no"].includes(env[FAST_KERNELS_ENV_VAR]?.trim().toLowerCase() ?? "")

const BACKENDS = ["wasm", "cpu"] as const

let engine: MatMulEngine | string | undefined
const mlas = (): MatMulEngine | string => (engine ??= loadMlasEngine())

/** Stock configs we replaced, per backend, so `useStockKernels` can put them back. */
const replaced = new Map<string, Array<tf.KernelConfig>>()
const said = new Set<string>()
const sayOnce = (message: string): void => {
  if (said.has(message)) return
  said.add(message)
  console.warn(`[@robovla/tfjs] ${message}`)
}

const swap = (config: tf.KernelConfig): void => {
  tf.unregisterKernel(config.kernelName, config.backendName)
  tf.registerKernel(config)
}

/**
 * Registers the fast kernels for `backendName`, ignoring `ROBOVLA_FAST_KERNELS` (tests and benches switch
 * between both paths in one process). Returns what was registered, or why nothing was.
 *
 * @since 0.1.0
 * @category engines
 */
export const useFastKernels = (backendName: string): { readonly registered: boolean; readonly description: string } => {
  if (!(BACKENDS as ReadonlyArray<string>).includes(backendName)) {
    return { registered: false, description: `no fast kernels for the ${backendName} backend (its own kernels are native)` }
  }
  if (replaced.has(backendName)) return { registered: true, description: describe(backendName) }
  const stock = (name: string) => {
    try {
      return tf.getKernel(name, backendName)
    } catch {
      return undefined
    }
  }
  const matMulEngine = mlas()
  const configs: Array<tf.KernelConfig> = []
  const batchMatMul = stock(tf.BatchMatMul)
  if (typeof matMulEngine === "string") {
    sayOnce(`stock BatchMatMul kernel on ${backendName}: ${matMulEngine}`)
  } else if (batchMatMul !== undefined) {
    configs.push({ ...batchMatMul, kernelFunc: makeBatchMatMul(matMulEngine, backendName, batchMatMul.kernelFunc) })
  }
  // The cpu backend's own Transpose, Sum and Identity are already JavaScript (and its Identity shares data).
  if (backendName === "wasm") {
    const javascript: Array<[string, (stock: tf.KernelFunc) => tf.KernelFunc]> = [
      [tf.Transpose, (f) => makeTranspose(backendName, f)],
      [tf.Sum, (f) => makeSum(backendName, f)],
      [tf.Identity, makeIdentity],
      [tf.Unpack, (f) => makeUnpack(backendName, f)],
      [tf.Slice, (f) => makeSlice(backendName, f)]
    ]
    for (const [name, make] of javascript) {
      const config = stock(name)
      if (config !== undefined) configs.push({ ...config, kernelFunc: make(config.kernelFunc) })
    }
  }
  if (configs.length === 0) return { registered: false, description: `no fast kernels for ${backendName}` }
  replaced.set(
    backendName,
    configs.map((c) => stock(c.kernelName)!)
  )
  for (const config of configs) swap(config)
  registerFusedKernels(backendName)
  return { registered: true, description: describe(backendName) }
}

const describe = (backendName: string): string => {
  const names = (replaced.get(backendName) ?? []).map((c) => c.kernelName)
  const matMul = typeof engine === "object" ? ` (GEMM: ${engine.description})` : ""
  return `fast kernels on ${backendName}: ${names.join(", ")}${matMul}; fused ops: layer norm, softmax, GELU, AdamW`
}

/**
 * Whether the fast kernels are registered for `backendName` now. Code that works around the stock wasm kernels
 * (e.g. explicit transposes instead of matMul's transpose flags, which copy 4 M-element weights per LSTM step)
 * can use the flags directly when this is true.
 *
 * @since 0.1.0
 * @category engines
 */
export const fastKernelsActive = (backendName: string): boolean => replaced.has(backendName)

/**
 * `0` / `false` / `off` keeps the fused ops (layer norm, softmax, GELU, AdamW) composed from tfjs ops even with the
 * fast kernels on: to measure what the fusion gives, or to rule it out.
 *
 * @since 0.1.0
 * @category constants
 */
export const FUSED_OPS_ENV_VAR = "ROBOVLA_FUSED_OPS"

let fusedOpsWanted = !["0", "false", "off", "no"].includes(process.env[FUSED_OPS_ENV_VAR]?.trim().toLowerCase() ?? "")

/**
 * Switches the fused ops on or off in this process (they run only while the fast kernels are active, too).
 *
 * @since 0.1.0
 * @category engines
 */
export const useFusedOps = (on: boolean): void => {
  fusedOpsWanted = on
}

/**
 * Whether the kit's fused ops (`layerNorm`, `softmax`, `geluTanh`, `adamWUpdate`) run as single kernels on
 * `backendName` now: the fast kernels are active there and `ROBOVLA_FUSED_OPS` / `useFusedOps` did not turn them off.
 *
 * @since 0.1.0
 * @category engines
 */
export const fusedOpsActive = (backendName: string): boolean =>
  fusedOpsWanted && fastKernelsActive(backendName) && fusedKernelsRegistered(backendName)

/**
 * Puts tfjs' stock kernels back for `backendName` (a no-op when none were replaced).
 *
 * @since 0.1.0
 * @category engines
 */
export const useStockKernels = (backendName: string): void => {
  const stock = replaced.get(backendName)
  if (stock === undefined) return
  for (const config of stock) swap(config)
  replaced.delete(backendName)
}

/**
 * The kit's hook: registers the fast kernels for the backend it selected, unless `ROBOVLA_FAST_KERNELS=0`.
 * Returns one line saying what was registered, or undefined (after saying once why the stock kernels run).
 *
 * @since 0.1.0
 * @category engines
 */
export const registerFastKernels = (backendName: string, env: NodeJS.ProcessEnv = process.env): string | undefined => {
  if (!fastKernelsRequested(env)) {
    sayOnce(`${FAST_KERNELS_ENV_VAR}=${env[FAST_KERNELS_ENV_VAR]}: stock tfjs kernels on ${backendName}`)
    return undefined
  }
  const result = useFastKernels(backendName)
  return result.registered ? result.description : undefined
}
