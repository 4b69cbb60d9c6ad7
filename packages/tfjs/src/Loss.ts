/**
 * The continuous head loss of RoboVLMs (`BasePolicyHead.loss`, reference/robovlms.md §6.1), in tfjs-core ops
 * so it can sit inside `tf.variableGrads`:
 *
 *   L = smoothL1_{δ=1}(arm) averaged over valid (b, t, k) × 6 dims
 *     + ratio · BCE-with-logits(gripper) averaged over valid (b, t, k)
 *
 * plus the logged gripper accuracy (sigmoid(logit) > 0.5 equals the 0/1 label, over valid positions).
 * With no valid position the sums are divided by 1 instead of 0 (PyTorch would give NaN).
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"

/**
 * Labels for one batch of windows.
 *
 * @since 0.1.0
 * @category models
 */
export interface HeadLabels {
  /** (B, W, N, 6) normalised arm actions in [−1, 1]. */
  readonly arm: tf.Tensor4D
  /** (B, W, N) gripper labels, 0 = close, 1 = open (reference/robovlms.md §1.5). */
  readonly gripper: tf.Tensor3D
}

/**
 * Loss terms, each a scalar tensor the caller disposes (or gets from `tf.tidy`).
 *
 * @since 0.1.0
 * @category models
 */
export interface HeadLoss {
  /** What the optimiser minimises. */
  readonly loss: tf.Scalar
  readonly armLoss: tf.Scalar
  readonly gripperLoss: tf.Scalar
  readonly gripperAccuracy: tf.Scalar
}

/**
 * Huber loss with δ = 1, element-wise (PyTorch `smooth_l1_loss` default).
 *
 * @since 0.1.0
 * @category math
 */
export const smoothL1 = (prediction: tf.Tensor, target: tf.Tensor): tf.Tensor => {
  const diff = tf.abs(tf.sub(prediction, target))
  const quadratic = tf.minimum(diff, 1)
  return tf.add(tf.mul(0.5, tf.square(quadratic)), tf.sub(diff, quadratic))
}

/**
 * Numerically stable BCE with logits, element-wise: max(x, 0) − x·y + log(1 + e^−|x|).
 *
 * @since 0.1.0
 * @category math
 */
export const bceWithLogits = (logits: tf.Tensor, labels: tf.Tensor): tf.Tensor =>
  tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))))

/**
 * Mean gripper accuracy over valid positions. `logits` and `labels` are (B, W, N).
 *
 * @since 0.1.0
 * @category math
 */
export const gripperAccuracy = (logits: tf.Tensor, labels: tf.Tensor, mask: tf.Tensor, validCount: tf.Tensor): tf.Scalar =>
  tf.div(
    tf.sum(tf.mul(tf.cast(tf.equal(tf.greater(logits, 0), tf.greater(labels, 0.5)), "float32"), mask)),
    validCount
  ) as tf.Scalar

/**
 * The §6.1 loss. `output.gripperLogits` is (B, W, N, 1); `mask` is the (B, W, N) chunk mask (1 valid, 0 not).
 *
 * @since 0.1.0
 * @category math
 */
export const continuousLoss = (
  output: { readonly arm: tf.Tensor4D; readonly gripperLogits: tf.Tensor4D },
  labels: HeadLabels,
  mask: tf.Tensor3D,
  gripperLossRatio: number
): HeadLoss => {
  const validMask = tf.cast(mask, "float32")
  const validCount = tf.maximum(tf.sum(validMask), 1)
  const armLoss = tf.div(
    tf.sum(tf.mul(smoothL1(output.arm, labels.arm), tf.expandDims(validMask, -1))),
    tf.mul(validCount, 6)
  ) as tf.Scalar
  const logits = tf.squeeze(output.gripperLogits, [-1])
  const gripperLabels = tf.cast(labels.gripper, "float32")
  const gripperLoss = tf.div(tf.sum(tf.mul(bceWithLogits(logits, gripperLabels), validMask)), validCount) as tf.Scalar
  return {
    loss: tf.add(armLoss, tf.mul(gripperLossRatio, gripperLoss)) as tf.Scalar,
    armLoss,
    gripperLoss,
    gripperAccuracy: gripperAccuracy(logits, gripperLabels, validMask, validCount)
  }
}
