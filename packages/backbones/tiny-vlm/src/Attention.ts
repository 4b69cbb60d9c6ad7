/**
 * Multi-head scaled dot-product attention over a fused (B, L, 3C) q|k|v projection, two ways with equal outputs
 * (tested to 1e-5): `attendBatched`, all heads as one (B·H)-batched product (the model's path: fewer, larger ops,
 * which is what fast BatchMatMul kernels want), and `attendPerHead`, a loop of per-head slices (the earlier path,
 * kept as the reference and for the bench comparison).
 *
 * @since 0.1.0
 */
import { softmax } from "@robovla/tfjs"
import * as tf from "@tensorflow/tfjs-core"

/**
 * (B, L, 3C) → (B, L, C) with all heads in one batched product. `bias` (B, L, L) is added to every head's scores.
 *
 * @since 0.1.0
 * @category ops
 */
export const attendBatched = (qkv: tf.Tensor, heads: number, bias: tf.Tensor | undefined): tf.Tensor => {
  const [b, l, c3] = qkv.shape as [number, number, number]
  const c = c3 / 3
  const hd = c / heads
  // (B, L, C) → (B, H, L, hd) → (B·H, L, hd); rank 4 at most, which every backend transposes natively.
  const split = (offset: number) =>
    tf.reshape(tf.transpose(tf.reshape(tf.slice(qkv, [0, 0, offset], [b, l, c]), [b, l, heads, hd]), [0, 2, 1, 3]), [b * heads, l, hd])
  const q = split(0)
  const k = split(c)
  const v = split(2 * c)
  // The kit's softmax: one kernel forward and one backward on the fast path (the 1/√hd scale inside it when no bias
  // comes between).
  const raw = tf.matMul(q, k, false, true) // (B·H, L, L)
  const weights =
    bias === undefined
      ? softmax(raw, 1 / Math.sqrt(hd))
      : softmax(tf.reshape(tf.add(tf.reshape(tf.mul(raw, 1 / Math.sqrt(hd)), [b, heads, l, l]), tf.reshape(bias, [b, 1, l, l])), [b * heads, l, l]))
  const out = tf.matMul(weights, v) // (B·H, L, hd)
  return tf.reshape(tf.transpose(tf.reshape(out, [b, heads, l, hd]), [0, 2, 1, 3]), [b, l, c])
}

/**
 * The same attention as a loop over heads (per-head slices, one (B, L, L) product pair each).
 *
 * @since 0.1.0
 * @category ops
 */
export const attendPerHead = (qkv: tf.Tensor, heads: number, bias: tf.Tensor | undefined): tf.Tensor => {
  const [b, l, c3] = qkv.shape as [number, number, number]
  const c = c3 / 3
  const hd = c / heads
  const outputs: Array<tf.Tensor> = []
  for (let head = 0; head < heads; head++) {
    const q = tf.slice(qkv, [0, 0, head * hd], [b, l, hd])
    const k = tf.slice(qkv, [0, 0, c + head * hd], [b, l, hd])
    const v = tf.slice(qkv, [0, 0, 2 * c + head * hd], [b, l, hd])
    let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)) // (B, L, L)
    if (bias !== undefined) scores = tf.add(scores, bias)
    outputs.push(tf.matMul(tf.softmax(scores), v))
  }
  return heads === 1 ? outputs[0]! : tf.concat(outputs, 2)
}
