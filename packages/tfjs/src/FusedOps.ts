/**
 * Layer norm, softmax, GELU and ReLU as single ops with their own gradients while the kit's fast kernels are active on
 * the current backend (`kernels/Fused.ts`: one kernel forward, one backward), and as the usual composition of tfjs
 * ops otherwise (`ROBOVLA_FAST_KERNELS=0` or `ROBOVLA_FUSED_OPS=0`, other backends, non-float32 input). Both paths agree to ~1e-6 relative
 * (`test/kernels/fused.test.ts`).
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { FusedKernel } from "./kernels/Fused.ts"
import { fusedOpsActive } from "./kernels/index.ts"

const fused = (x: tf.Tensor): boolean => x.dtype === "float32" && fusedOpsActive(tf.getBackend())

/**
 * PyTorch's `LayerNorm` over the last axis: (x − mean) / sqrt(var + ε) · γ + β, biased variance.
 *
 * @since 0.1.0
 * @category ops
 */
export const layerNorm = <T extends tf.Tensor>(x: T, gamma: tf.Tensor, beta: tf.Tensor, epsilon = 1e-5): T => {
  if (fused(x)) return tf.engine().runKernel(FusedKernel.LayerNorm, { x, gamma, beta }, { epsilon }) as T
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true)
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon))), gamma), beta) as T
  })
}

/**
 * softmax(scale · x) over the last axis (attention: scores `q·kᵀ` with scale 1/√d in the same op).
 *
 * @since 0.1.0
 * @category ops
 */
export const softmax = <T extends tf.Tensor>(x: T, scale = 1): T => {
  if (fused(x)) return tf.engine().runKernel(FusedKernel.Softmax, { x }, { scale }) as T
  return tf.tidy(() => tf.softmax(scale === 1 ? x : tf.mul(x, scale)) as T)
}

/**
 * ReLU; on the fast path its gradient is one kernel (tfjs': Step, Cast, Multiply).
 *
 * @since 0.1.0
 * @category ops
 */
export const relu = <T extends tf.Tensor>(x: T): T => {
  if (fused(x)) return tf.engine().runKernel(FusedKernel.Relu, { x }, {}) as T
  return tf.relu(x)
}

/**
 * GPT-2's `gelu_new` (PyTorch `gelu(approximate="tanh")`): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
 *
 * @since 0.1.0
 * @category ops
 */
export const geluTanh = <T extends tf.Tensor>(x: T): T => {
  if (fused(x)) return tf.engine().runKernel(FusedKernel.GeluTanh, { x }, {}) as T
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI))))) as T)
}
