/**
 * Matrix products that stay fast on tfjs' wasm backend while training.
 *
 * On tfjs-backend-wasm 4.22 a `matMul` with `transposeA` or `transposeB` is 10–30× slower than a plain one
 * (measured, 2-core x86_64: 512×2048 · 2048×1024 forward 50 ms; the default gradient's `transposeA` product for
 * dW 6.7 s against 0.21 s with an explicit `tf.transpose` first). tfjs' built-in MatMul gradient uses those flags,
 * so `matMul` here carries a custom gradient with explicit transposes: dA = dY·Bᵀ, dB = Aᵀ·dY.
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"

/** Swaps the last two axes (rank 2 or 3). */
const transposeLast = (t: tf.Tensor): tf.Tensor => tf.transpose(t, t.rank === 2 ? [1, 0] : [0, 2, 1])

const product = tf.customGrad((a, b, save) => {
  const left = a as tf.Tensor
  const right = b as tf.Tensor
  ;(save as tf.GradSaveFunc)([left, right])
  return {
    value: tf.matMul(left as tf.Tensor3D, right as tf.Tensor3D),
    gradFunc: (dy: tf.Tensor, saved: Array<tf.Tensor>) => {
      const [savedLeft, savedRight] = saved as [tf.Tensor3D, tf.Tensor3D]
      return [
        tf.matMul(dy as tf.Tensor3D, transposeLast(savedRight) as tf.Tensor3D),
        tf.matMul(transposeLast(savedLeft) as tf.Tensor3D, dy as tf.Tensor3D)
      ]
    }
  }
})

/**
 * A·B for rank-2 `(m, k)·(k, n)` or batched rank-3 `(b, m, k)·(b, k, n)` operands, with a wasm-friendly
 * gradient. Pass `transposeB` to multiply by Bᵀ via an explicit (cheap) transpose instead of the slow flag.
 *
 * @since 0.1.0
 * @category ops
 */
export const matMul = <T extends tf.Tensor2D | tf.Tensor3D>(a: T, b: tf.Tensor2D | tf.Tensor3D, transposeB = false): T =>
  product(a, transposeB ? transposeLast(b) : b) as T
