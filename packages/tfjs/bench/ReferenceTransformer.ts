/**
 * The reference transformer of issue 10, in tfjs-core ops: PyTorch's `nn.TransformerEncoder` of
 * `nn.TransformerEncoderLayer(d_model 128, nhead 4, dim_feedforward 512, dropout 0, activation relu,
 * batch_first, post-LN)` × 4 layers = 793,088 parameters, trained with Adam on an MSE loss against a fixed target,
 * batch 16 × sequence 80. `reference_transformer.py` is the same model in PyTorch.
 *
 * Layer norm, the scaled softmax, ReLU and Adam are the kit's ops: single fused kernels (one pass for the whole Adam
 * update) on the fast path, composed tfjs ops on the stock path.
 *
 * Attention is one batched product over (batch × heads), as PyTorch computes it: the QKV projection is split by
 * a reshape + transpose, scores are `q · kᵀ` (transposeB), the context `softmax · v`.
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { mulberry32 } from "@robovla/sdk"
import { adamWUpdate, zeroMoments } from "../src/AdamW.ts"
import { layerNorm, relu, softmax } from "../src/FusedOps.ts"

export interface TransformerConfig {
  readonly layers: number
  readonly dModel: number
  readonly heads: number
  readonly feedForward: number
  readonly batch: number
  readonly sequence: number
  readonly learningRate: number
  readonly seed: number
}

/** Issue 10's reference: 4 layers, d 128, batch 16, sequence 80 (0.79 M parameters). */
export const referenceConfig: TransformerConfig = {
  layers: 4,
  dModel: 128,
  heads: 4,
  feedForward: 512,
  batch: 16,
  sequence: 80,
  learningRate: 1e-3,
  seed: 7
}

interface Layer {
  readonly inW: tf.Variable
  readonly inB: tf.Variable
  readonly outW: tf.Variable
  readonly outB: tf.Variable
  readonly ln1G: tf.Variable
  readonly ln1B: tf.Variable
  readonly ff1W: tf.Variable
  readonly ff1B: tf.Variable
  readonly ff2W: tf.Variable
  readonly ff2B: tf.Variable
  readonly ln2G: tf.Variable
  readonly ln2B: tf.Variable
}

export interface TrainableTransformer {
  readonly parameterCount: number
  /** One Adam step on the fixed batch; returns the loss before the update. */
  readonly step: () => number
  readonly dispose: () => void
}

const uniform = (next: () => number, shape: Array<number>, bound: number): tf.Variable =>
  tf.variable(
    tf.tensor(
      Float32Array.from({ length: shape.reduce((n, d) => n * d, 1) }, () => (next() * 2 - 1) * bound),
      shape
    )
  )

/**
 * Builds the model, its fixed input / target batch and an Adam optimizer. Deterministic from `config.seed`.
 */
export const makeTransformer = (config: TransformerConfig = referenceConfig): TrainableTransformer => {
  const { layers: depth, dModel: d, heads, feedForward: ff, batch: B, sequence: T } = config
  const dh = d / heads
  const next = mulberry32(config.seed)
  const layers: Array<Layer> = Array.from({ length: depth }, () => ({
    inW: uniform(next, [d, 3 * d], Math.sqrt(6 / (d + 3 * d))),
    inB: tf.variable(tf.zeros([3 * d])),
    outW: uniform(next, [d, d], 1 / Math.sqrt(d)),
    outB: tf.variable(tf.zeros([d])),
    ln1G: tf.variable(tf.ones([d])),
    ln1B: tf.variable(tf.zeros([d])),
    ff1W: uniform(next, [d, ff], 1 / Math.sqrt(d)),
    ff1B: uniform(next, [ff], 1 / Math.sqrt(d)),
    ff2W: uniform(next, [ff, d], 1 / Math.sqrt(ff)),
    ff2B: uniform(next, [d], 1 / Math.sqrt(ff)),
    ln2G: tf.variable(tf.ones([d])),
    ln2B: tf.variable(tf.zeros([d]))
  }))
  const variables = layers.flatMap((l) => Object.values(l) as Array<tf.Variable>)
  const parameterCount = variables.reduce((n, v) => n + v.size, 0)
  const input = tf.tensor2d(Float32Array.from({ length: B * T * d }, () => next() * 2 - 1), [B * T, d])
  const target = tf.tensor2d(Float32Array.from({ length: B * T * d }, () => next() * 2 - 1), [B * T, d])
  // PyTorch's Adam (β 0.9 / 0.999, ε 1e-8): the kit's AdamW at weight decay 0, one fused pass on the fast path.
  const moments = variables.map(zeroMoments)
  let updates = 0

  const forward = (x0: tf.Tensor2D): tf.Tensor2D => {
    let x = x0
    for (const l of layers) {
      const qkv = tf.add(tf.matMul(x, l.inW), l.inB)
      // (B·T, 3d) → (3, B·H, T, dh): one transpose splits q, k, v and the heads.
      const split = tf.reshape(tf.transpose(tf.reshape(qkv, [B, T, 3, heads, dh]), [2, 0, 3, 1, 4]), [3, B * heads, T, dh])
      const [q, k, v] = tf.unstack(split) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D]
      const weights = softmax(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh))
      const context = tf.reshape(tf.transpose(tf.reshape(tf.matMul(weights, v), [B, heads, T, dh]), [0, 2, 1, 3]), [B * T, d])
      const attention = tf.add(tf.matMul(context, l.outW), l.outB)
      x = layerNorm(tf.add(x, attention), l.ln1G, l.ln1B)
      const hidden = relu(tf.add(tf.matMul(x, l.ff1W), l.ff1B))
      x = layerNorm(tf.add(x, tf.add(tf.matMul(hidden, l.ff2W), l.ff2B)), l.ln2G, l.ln2B)
    }
    return x as tf.Tensor2D
  }

  return {
    parameterCount,
    step: () => {
      const { value: loss, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(target, forward(input)) as tf.Scalar, variables)
      updates += 1
      const slots = variables.map((variable, i) => ({ variable, grad: grads[variable.name]!, ...moments[i]! }))
      adamWUpdate(slots, { learningRate: config.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, step: updates })
      tf.dispose(Object.values(grads))
      const value = loss.dataSync()[0]!
      loss.dispose()
      return value
    },
    dispose: () => {
      for (const v of variables) v.dispose()
      input.dispose()
      target.dispose()
      for (const { m, v } of moments) tf.dispose([m, v])
    }
  }
}
