/**
 * Matrix products that stay fast on tfjs' wasm backend while training.
 *
 * On tfjs-backend-wasm 4.22's stock kernels a `matMul` with `transposeA` or `transposeB` is 10–30× slower than a
 * plain one (measured, 2-core x86_64: 512×2048 · 2048×1024 forward 50 ms; the default gradient's `transposeA`
 * product for dW 6.7 s against 0.21 s with an explicit `tf.transpose` first). tfjs' built-in MatMul gradient uses
 * those flags, so `matMul` here carries a custom gradient with explicit transposes: dA = dY·Bᵀ, dB = Aᵀ·dY.
 *
 * With the kit's fast kernels active (`fastKernelsActive`), a transposed operand costs nothing extra in the GEMM,
 * while an explicit transpose of a large weight is a full copy (1024×4096 LSTM weights: 20.7 ms against 0.98 ms
 * for the flagged product, 35 of them per LSTM training step). Then the weight side uses the flags; the
 * activation side keeps its explicit transpose (small, and the plain product it feeds may run on XNNPACK).
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { fastKernelsActive } from "./kernels/index.ts"

/** Swaps the last two axes (rank 2 or 3). */
const transposeLast = (t: tf.Tensor): tf.Tensor => tf.transpose(t, t.rank === 2 ? [1, 0] : [0, 2, 1])

type Rank23 = tf.Tensor2D | tf.Tensor3D

/** Explicit transposes only: right for the stock kernels. */
const stockProduct = tf.customGrad((a, b, save) => {
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

/** A·op(B) with the GEMM's transpose flag on B (the weight side), for the fast kernels. */
const fastProduct = (transposeB: boolean) =>
  tf.customGrad((a, b, save) => {
    const left = a as Rank23
    const right = b as Rank23
    ;(save as tf.GradSaveFunc)([left, right])
    return {
      value: tf.matMul(left as tf.Tensor3D, right as tf.Tensor3D, false, transposeB),
      gradFunc: (dy: tf.Tensor, saved: Array<tf.Tensor>) => {
        const [savedLeft, savedRight] = saved as [tf.Tensor3D, tf.Tensor3D]
        const gradient = dy as tf.Tensor3D
        return transposeB
          ? // y = A·Bᵀ: dA = dY·B, dB = dYᵀ·A
            [tf.matMul(gradient, savedRight), tf.matMul(transposeLast(gradient) as tf.Tensor3D, savedLeft)]
          : // y = A·B: dA = dY·Bᵀ, dB = Aᵀ·dY
            [tf.matMul(gradient, savedRight, false, true), tf.matMul(transposeLast(savedLeft) as tf.Tensor3D, gradient)]
      }
    }
  })
const fastPlain = fastProduct(false)
const fastTransposedB = fastProduct(true)

/**
 * A·B for rank-2 `(m, k)·(k, n)` or batched rank-3 `(b, m, k)·(b, k, n)` operands, with a wasm-friendly
 * gradient. Pass `transposeB` to multiply by Bᵀ (an explicit transpose on the stock kernels, the GEMM's flag on
 * the fast ones).
 *
 * @since 0.1.0
 * @category ops
 */
export const matMul = <T extends tf.Tensor2D | tf.Tensor3D>(a: T, b: tf.Tensor2D | tf.Tensor3D, transposeB = false): T => {
  if (fastKernelsActive(tf.getBackend())) return (transposeB ? fastTransposedB : fastPlain)(a, b) as T
  return stockProduct(a, transposeB ? transposeLast(b) : b) as T
}
