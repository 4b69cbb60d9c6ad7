/**
 * The discrete head: per window position, a linear projection of the [LRN] features to N·7 distributions over
 * the action tokenizer's bins (reference/robovlms.md §3). In RoboVLMs the discrete path reads these logits from
 * the LM's vocabulary (`DiscreteDecoder` is the identity); here the same bins get their own projection so the
 * head fits the robovla head contract with any backbone.
 *
 *   [LRN] (B, T, latent, D) → Linear(latent·D → N·7·bins) → binLogits (B, T, N, 7, bins)
 *     arm          = bin centres of the argmax bins of dims 0–5 (the tokenizer's `decode`)
 *     gripperLogit = log P(centre > 0) − log P(centre ≤ 0) over the gripper dim's bins
 *
 * Class c of a dim is the tokenizer's bin index k − 1 (token id `base − 1 − c`); its value is
 * `binCenters[min(c, bins − 2)]`. Loss: cross-entropy over bins at valid positions, labels binned like the
 * tokenizer's `encode` (gripper 0/1 labels become −1/+1 first, §1.5). Linear weights: Xavier-uniform, zero bias.
 * The stepper is stateless (§5.3: discrete runs without history).
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { HeadDimensions, SdkError } from "@robovla/sdk"
import { ActionTokenizer, makeRng, PolicyHead } from "@robovla/sdk"
import type { HeadLabels, HeadLoss, HeadTensors, TfPolicyHead } from "@robovla/tfjs"
import { acquireParameters, gripperAccuracy, makeLinear, makeTfHead, statelessStepper } from "@robovla/tfjs"
import { Effect } from "effect"
import type { Scope } from "effect"
import type { DiscreteConfig } from "./DiscreteConfig.ts"

/** Action dims per step: 6 arm + 1 gripper. */
const DIMS = 7

/**
 * The tokenizer whose bins the head predicts (vocabulary sized so that `base = bins + 1`; only bins matter).
 *
 * @since 0.1.0
 * @category constructors
 */
export const tokenizerFor = (config: DiscreteConfig): ActionTokenizer =>
  new ActionTokenizer({
    vocabSize: config.bins + 11,
    specialTokensCount: 0,
    nBins: config.bins,
    minAction: config.min_action,
    maxAction: config.max_action
  })

/**
 * The value of every class c (`binCenters[min(c, bins − 2)]`), as float32.
 *
 * @since 0.1.0
 * @category constructors
 */
export const classValues = (tokenizer: ActionTokenizer): Float32Array =>
  Float32Array.from({ length: tokenizer.nBins }, (_, c) => tokenizer.binCenters[Math.min(c, tokenizer.nBins - 2)]!)

/** The smallest float32 ≥ x, so that `x32 ≥ edge32` ⟺ `x32 ≥ edge` for every float32 x32. */
const ceilToFloat32 = (x: number): number => {
  const rounded = Math.fround(x)
  if (rounded >= x) return rounded
  const bits = new Float32Array([rounded])
  const view = new Int32Array(bits.buffer)
  view[0] = rounded > 0 ? view[0]! + 1 : rounded < 0 ? view[0]! - 1 : 1
  return bits[0]!
}

/**
 * Classes of continuous float32 values (…) → (…) int32: bin index k − 1, k = number of edges ≤ clip(x).
 *
 * @since 0.1.0
 * @category math
 */
export const valuesToClasses = (tokenizer: ActionTokenizer, values: tf.Tensor): tf.Tensor => {
  // Labels carry no gradient, so they are binned here rather than as a (…, bins) broadcast comparison, which
  // the wasm backend runs element by element (90 ms for one batch of the what-matters W 8 row).
  // float32 edges rounded up: the same comparisons as the tokenizer's float64 `digitize` on float32 inputs
  const edges = Float32Array.from(tokenizer.binEdges, ceilToFloat32)
  const x = values.dataSync()
  const classes = new Int32Array(x.length)
  for (let i = 0; i < x.length; i++) {
    const v = Math.min(Math.max(x[i]!, tokenizer.minAction), tokenizer.maxAction)
    // count of edges ≤ v (edges ascending), by bisection
    let lo = 0
    let hi = edges.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (edges[mid]! <= v) lo = mid + 1
      else hi = mid
    }
    classes[i] = lo - 1
  }
  return tf.tensor(classes, values.shape, "int32")
}

/**
 * Builds the head's variables in the Scope (disposed when it closes).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (config: DiscreteConfig, dimensions: HeadDimensions) => Effect.Effect<TfPolicyHead, SdkError, Scope.Scope> =
  Effect.fn("DiscreteHead.make")(function*(config: DiscreteConfig, dimensions: HeadDimensions) {
    yield* PolicyHead.checkDimensions("discrete", dimensions)
    const { chunkSize, inputSize, latent } = dimensions
    const bins = config.bins
    const tokenizer = tokenizerFor(config)
    const values = classValues(tokenizer)
    const firstPositive = values.findIndex((v) => v > 0)
    const tokenFeatures = latent * inputSize
    const { built: logitsLayer, parameters } = yield* acquireParameters("discrete", (parameters) =>
      makeLinear(parameters, makeRng(config.seed), "logits", tokenFeatures, chunkSize * DIMS * bins, { kind: "xavier" })
    )

    const predictTensors = (lrn: tf.Tensor4D): HeadTensors => {
      const [batch, time] = lrn.shape
      const binLogits = tf.reshape(
        logitsLayer.apply(tf.reshape(lrn, [batch * time, tokenFeatures])),
        [batch, time, chunkSize, DIMS, bins]
      ) as tf.Tensor5D
      const armLogits = tf.slice(binLogits, [0, 0, 0, 0, 0], [batch, time, chunkSize, 6, bins])
      const arm = tf.gather(tf.tensor1d(values), tf.argMax(armLogits, -1)) as tf.Tensor as tf.Tensor4D
      const gripper = tf.slice(binLogits, [0, 0, 0, 6, 0], [batch, time, chunkSize, 1, bins])
      const open = tf.logSumExp(tf.slice(gripper, [0, 0, 0, 0, firstPositive], [batch, time, chunkSize, 1, bins - firstPositive]), -1)
      const close = tf.logSumExp(tf.slice(gripper, [0, 0, 0, 0, 0], [batch, time, chunkSize, 1, firstPositive]), -1)
      return { arm, gripperLogits: tf.sub(open, close) as tf.Tensor4D, binLogits }
    }

    const loss = (output: HeadTensors, labels: HeadLabels, mask: tf.Tensor3D): HeadLoss => {
      if (output.binLogits === undefined) throw new Error("the discrete loss needs binLogits")
      const gripperValues = tf.sub(tf.mul(tf.cast(labels.gripper, "float32"), 2), 1)
      const targets = valuesToClasses(tokenizer, tf.concat([labels.arm, tf.expandDims(gripperValues, -1)], -1))
      const crossEntropy = tf.neg(tf.sum(tf.mul(tf.logSoftmax(output.binLogits, -1), tf.oneHot(targets as tf.Tensor4D, bins)), -1))
      const validMask = tf.cast(mask, "float32")
      const validCount = tf.maximum(tf.sum(validMask), 1)
      const masked = tf.mul(crossEntropy, tf.expandDims(validMask, -1))
      const [armPart, gripperPart] = tf.split(masked, [6, 1], -1)
      const armLoss = tf.div(tf.sum(armPart!), tf.mul(validCount, 6)) as tf.Scalar
      const gripperLoss = tf.div(tf.sum(gripperPart!), validCount) as tf.Scalar
      return {
        loss: tf.div(tf.sum(masked), tf.mul(validCount, DIMS)) as tf.Scalar,
        armLoss,
        gripperLoss,
        gripperAccuracy: gripperAccuracy(tf.squeeze(output.gripperLogits, [-1]), labels.gripper, validMask, validCount)
      }
    }

    return yield* makeTfHead({
      name: "discrete",
      kind: "discrete",
      dimensions,
      parameters,
      predictTensors,
      loss,
      stepper: () => statelessStepper(predictTensors)
    })
  })
