/**
 * Products by weights that stay fixed between calls (inference), on the fast path: `x · W` for a (k, n) weight
 * variable runs in a constant-weight MLAS session (`makeConstantProduct`: the weight packed once when the session
 * loads, not on every call), built on first use and rebuilt when the variable is assigned (training steps and
 * `loadWeights` give it new data). Where the fast kernels are not active on the backend (`ROBOVLA_FAST_KERNELS=0`,
 * another backend, no onnxruntime-node), the kit's `matMul`. No gradient: for steppers and other inference paths.
 * `lstmStep` does the same for a whole stacked-LSTM step (`makeLstmStackStep`), or says there is none.
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { fastKernelsActive } from "./kernels/index.ts"
import type { ConstantProduct, LstmStackStep } from "./kernels/MlasEngine.ts"
import { kernelThreads, makeConstantProduct, makeLstmStackStep } from "./kernels/MlasEngine.ts"
import { matMul } from "./MatMul.ts"

export type { LstmStackStep } from "./kernels/MlasEngine.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface FrozenProducts {
  /** x (m, k) · weight (k, n). */
  readonly matMul: (x: tf.Tensor2D, weight: tf.Variable) => tf.Tensor2D
  /**
   * One step of the stacked LSTM with these weights (PyTorch layout, stored (in, 4H)) as one native session, or
   * undefined where the fast path is off (then the caller composes the step from tfjs ops).
   */
  readonly lstmStep: (layers: ReadonlyArray<FrozenLstmLayer>, inputSize: number, hidden: number) => LstmStackStep | undefined
  /** Drops every session (the owner's Scope closing). */
  readonly clear: () => void
}

/**
 * @since 0.1.0
 * @category models
 */
export interface FrozenLstmLayer {
  readonly weightIh: tf.Variable
  readonly weightHh: tf.Variable
  readonly biasIh: tf.Variable
  readonly biasHh: tf.Variable
}

/**
 * One cache of constant-weight sessions, for the weights of one model.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeFrozenProducts = (): FrozenProducts => {
  const cache = new Map<tf.Variable, { readonly data: object; readonly product: ConstantProduct }>()
  let unavailable = false
  const productFor = (weight: tf.Variable): ConstantProduct | undefined => {
    const cached = cache.get(weight)
    // A variable's dataId changes with every assign, so it tells a stale session.
    if (cached !== undefined && cached.data === weight.dataId) return cached.product
    const [k, n] = weight.shape as [number, number]
    const product = makeConstantProduct(weight.dataSync() as Float32Array, k, n, kernelThreads())
    if (typeof product === "string") {
      unavailable = true
      return undefined
    }
    cache.set(weight, { data: weight.dataId, product })
    return product
  }
  let lstm: { readonly data: ReadonlyArray<object>; readonly step: LstmStackStep } | undefined
  const lstmStep = (layers: ReadonlyArray<FrozenLstmLayer>, inputSize: number, hidden: number): LstmStackStep | undefined => {
    if (unavailable || !fastKernelsActive(tf.getBackend())) return undefined
    const variables = layers.flatMap((layer) => [layer.weightIh, layer.weightHh, layer.biasIh, layer.biasHh])
    if (lstm !== undefined && lstm.data.length === variables.length && variables.every((v, i) => v.dataId === lstm!.data[i])) return lstm.step
    const read = (v: tf.Variable) => v.dataSync() as Float32Array
    const step = makeLstmStackStep(
      layers.map((layer) => ({ weightIh: read(layer.weightIh), weightHh: read(layer.weightHh), biasIh: read(layer.biasIh), biasHh: read(layer.biasHh) })),
      inputSize,
      hidden,
      kernelThreads()
    )
    if (typeof step === "string") {
      unavailable = true
      return undefined
    }
    lstm = { data: variables.map((v) => v.dataId), step }
    return step
  }
  return {
    lstmStep,
    matMul: (x, weight) => {
      const product = unavailable || weight.rank !== 2 || !fastKernelsActive(tf.getBackend()) ? undefined : productFor(weight)
      if (product === undefined) return matMul(x, weight as tf.Tensor2D)
      const m = x.shape[0]
      const out = new Float32Array(m * product.n)
      product.run(x.dataSync() as Float32Array, m, out)
      return tf.tensor2d(out, [m, product.n])
    },
    clear: () => {
      cache.clear()
      lstm = undefined
    }
  }
}
