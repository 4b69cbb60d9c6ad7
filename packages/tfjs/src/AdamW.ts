/**
 * The AdamW update (PyTorch `AdamW`; `Adam` at weight decay 0) over many variables at once, and the global gradient
 * norm for clipping.
 *
 * While the kit's fast kernels are active (wasm or cpu), one pass over every variable's data computes the new
 * weights and updates both moments in place: composed from tfjs ops the update is ~14 small kernels per variable
 * (`tf.train.adam`'s `applyGradients` alone measured 7.8–14 ms per reference-transformer step). On wasm the pass is
 * a WebAssembly SIMD loop over the heap (float32, `kernels/Simd.ts`), on cpu a JavaScript loop (float64
 * intermediates). Either is deterministic, so a resumed run stays bit-identical to an uninterrupted one. Otherwise
 * (stock kernels, another backend, a variable shared with another tensor that cannot be made private) the same
 * update runs as tfjs ops.
 *
 * PyTorch's order: p ← p·(1 − lr·wd); m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
 * p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε).
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { fusedOpsActive } from "./kernels/index.ts"
import { type Storage, storageOf } from "./kernels/Storage.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface AdamWHyper {
  readonly learningRate: number
  readonly beta1: number
  readonly beta2: number
  readonly epsilon: number
  readonly weightDecay: number
  /** The update's 1-based step count (bias corrections). */
  readonly step: number
  /** Multiplies every gradient first (gradient clipping); default 1. */
  readonly gradScale?: number
}

/**
 * One variable with its gradient and moments (same shape, float32).
 *
 * @since 0.1.0
 * @category models
 */
export interface AdamWSlot {
  readonly variable: tf.Variable
  readonly grad: tf.Tensor
  readonly m: tf.Variable
  readonly v: tf.Variable
}

const fastStorage = (tensors: ReadonlyArray<tf.Tensor>): Storage | undefined => {
  const backendName = tf.getBackend()
  if (!fusedOpsActive(backendName)) return undefined
  const storage = storageOf(backendName, tf.backend())
  if (storage === undefined) return undefined
  return tensors.every((t) => t.dtype === "float32" && !t.isDisposed && storage.holds(t)) ? storage : undefined
}

/**
 * √(Σ‖g‖²) over all gradients (PyTorch `clip_grad_norm_`'s total norm): one float64 pass while the fast kernels
 * are active, tfjs ops otherwise.
 *
 * @since 0.1.0
 * @category optimisers
 */
export const globalGradNorm = (grads: ReadonlyArray<tf.Tensor>): number => {
  if (grads.length === 0) return 0
  const storage = fastStorage(grads)
  if (storage === undefined) return tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))).dataSync()[0]!)
  let sum = 0
  for (const grad of grads) {
    const g = storage.view(grad) as Float32Array
    for (let i = 0; i < g.length; i++) sum += g[i]! * g[i]!
  }
  return Math.sqrt(sum)
}

/** Gives a moment data of its own when another tensor shares it (an in-place write would change that one too). */
const makePrivate = (moment: tf.Variable, storage: Storage): void => {
  if (storage.refCount(moment) === 1) return
  tf.tidy(() => moment.assign(tf.tensor((moment.dataSync() as Float32Array).slice(), moment.shape, "float32")))
}

/**
 * Applies one AdamW update to every slot. Returns which path ran.
 *
 * The moments are updated in place (they are the optimiser's own). The weights get new data, as `assign` gives
 * them: tfjs treats a tensor's data as immutable, and the wasm backend's XNNPACK matmul caches packed weights by
 * tensor id, so weights changed in place would be multiplied stale (measured: a training run that stalled).
 *
 * @since 0.1.0
 * @category optimisers
 */
export const adamWUpdate = (slots: ReadonlyArray<AdamWSlot>, hyper: AdamWHyper): "fused" | "composite" => {
  const storage = fastStorage(slots.flatMap((s) => [s.variable, s.grad, s.m, s.v]))
  if (storage === undefined || slots.some((s) => s.grad.size !== s.variable.size || s.m.size !== s.variable.size || s.v.size !== s.variable.size)) {
    composite(slots, hyper)
    return "composite"
  }
  const { learningRate: lr, beta1, beta2, epsilon, weightDecay } = hyper
  const scale = hyper.gradScale ?? 1
  const decay = weightDecay > 0 ? 1 - lr * weightDecay : 1
  const stepSize = lr / (1 - beta1 ** hyper.step)
  const rootCorrection2 = Math.sqrt(1 - beta2 ** hyper.step)
  for (const slot of slots) {
    makePrivate(slot.m, storage)
    makePrivate(slot.v, storage)
  }
  // Every allocation before any view or address (a wasm heap that grows detaches older views).
  const outputs = slots.map((s) => storage.output(s.variable.shape))
  const simd = storage.simd
  slots.forEach(({ variable, grad, m, v }, k) => {
    const out = outputs[k]!
    // Four lanes at a time on the wasm heap; the last n mod 4 elements (and the cpu backend) in the loop below.
    let from = 0
    if (simd !== undefined) {
      from = variable.size - (variable.size % 4)
      if (from > 0) {
        const at = simd.address
        simd.kernels.adam(at(out), at(variable), at(grad), at(m), at(v), from, scale, beta1, 1 - beta1, beta2, 1 - beta2, decay, stepSize, 1 / rootCorrection2, epsilon)
      }
    }
    const p = storage.view(variable) as Float32Array
    const target = storage.view(out) as Float32Array
    const g = storage.view(grad) as Float32Array
    const ms = storage.view(m) as Float32Array
    const vs = storage.view(v) as Float32Array
    for (let i = from; i < p.length; i++) {
      const gi = g[i]! * scale
      const m1 = beta1 * ms[i]! + (1 - beta1) * gi
      const v1 = beta2 * vs[i]! + (1 - beta2) * gi * gi
      ms[i] = m1
      vs[i] = v1
      target[i] = p[i]! * decay - (stepSize * m1) / (Math.sqrt(v1) / rootCorrection2 + epsilon)
    }
  })
  slots.forEach(({ variable }, k) => {
    const fresh = tf.engine().makeTensorFromTensorInfo(outputs[k]!)
    variable.assign(fresh)
    fresh.dispose()
  })
  return "fused"
}

/** The same update in tfjs ops (any backend, the stock path). */
const composite = (slots: ReadonlyArray<AdamWSlot>, hyper: AdamWHyper): void => {
  const { learningRate: lr, beta1, beta2, epsilon, weightDecay } = hyper
  const scale = hyper.gradScale ?? 1
  const correction1 = 1 - beta1 ** hyper.step
  const correction2 = 1 - beta2 ** hyper.step
  for (const { variable, grad, m, v } of slots) {
    tf.tidy(() => {
      const g = scale !== 1 ? tf.mul(grad, scale) : grad
      const decayed = weightDecay > 0 ? tf.mul(variable, 1 - lr * weightDecay) : variable
      const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1))
      const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2))
      const denominator = tf.add(tf.div(tf.sqrt(v1), Math.sqrt(correction2)), epsilon)
      const update = tf.mul(tf.div(m1, denominator), lr / correction1)
      m.assign(m1)
      v.assign(v1)
      variable.assign(tf.sub(decayed, update))
    })
  }
}

/**
 * Zero moments for `variable` (two non-trainable variables), for callers keeping their own optimiser state.
 *
 * @since 0.1.0
 * @category constructors
 */
export const zeroMoments = (variable: tf.Variable): { m: tf.Variable; v: tf.Variable } =>
  tf.tidy(() => ({ m: tf.variable(tf.zerosLike(variable), false), v: tf.variable(tf.zerosLike(variable), false) }))
