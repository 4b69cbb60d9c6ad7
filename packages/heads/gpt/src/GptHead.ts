/**
 * The GPT head (RoboVLMs' `GPTDecoder`, reference/robovlms.md §6): a small GPT-2 fuses the window's history
 * causally, then the shared arm/gripper MLPs read out every position.
 *
 *   [LRN] (B, T, latent, D) → Linear(D → H) per token when D ≠ H → (B, T, latent·H = n_embd)
 *     → + learned positions (n_positions = W) → n_layer pre-LN blocks (causal self-attention with masked logits
 *       −1e4 and scores ÷ √head_dim, GELU-new MLP ×4) → final LN → arm / gripper MLPs
 *
 * Weights use Hugging Face GPT2Model names and Conv1D layout `(in, out)` under `gpt.` (the unused token
 * embedding `wte` is left out). Init: GPT-2's normal(0, 0.02) with zero biases and LN (1, 0), residual
 * projections `c_proj` at 0.02/√(2·n_layer) as GPT2PreTrainedModel does; the input projection and the MLPs
 * keep PyTorch's nn.Linear defaults, as in RoboVLMs. Dropout only in training mode.
 *
 * Evaluation (§5.3): the stepper re-runs the GPT over the stored (≤ W) features and takes the last position.
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { HeadDimensions, Rng } from "@robovla/sdk"
import { makeRng, PolicyHead, SdkError } from "@robovla/sdk"
import type { Linear, Parameters, TfPolicyHead } from "@robovla/tfjs"
import { acquireParameters, continuousLoss, makeActionMlps, makeLinear, makeTfHead, matMul, normal } from "@robovla/tfjs"
import { Effect } from "effect"
import type { Scope } from "effect"
import type { GptConfig } from "./GptConfig.ts"

interface LayerNorm {
  readonly apply: (x: tf.Tensor) => tf.Tensor
}

const makeLayerNorm = (parameters: Parameters, name: string, size: number, epsilon: number): LayerNorm => {
  const weight = parameters.add(`${name}.weight`, [size], new Float32Array(size).fill(1))
  const bias = parameters.add(`${name}.bias`, [size], new Float32Array(size))
  return {
    apply: (x) => {
      const { mean, variance } = tf.moments(x, -1, true)
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), weight), bias)
    }
  }
}

/** GPT-2's `gelu_new`: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
const geluNew = (x: tf.Tensor): tf.Tensor =>
  tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))))

interface Block {
  readonly ln1: LayerNorm
  readonly attention: Linear
  readonly attentionProjection: Linear
  readonly ln2: LayerNorm
  readonly fc: Linear
  readonly fcProjection: Linear
}

/** Applies a 2-D linear layer to the last axis of (B, T, in). */
const applyLast = (layer: Linear, x: tf.Tensor3D): tf.Tensor3D => {
  const [batch, time, features] = x.shape
  return tf.reshape(layer.apply(tf.reshape(x, [batch * time, features])), [batch, time, layer.outFeatures])
}

/**
 * Builds the head's variables in the Scope (disposed when it closes).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (config: GptConfig, dimensions: HeadDimensions) => Effect.Effect<TfPolicyHead, SdkError, Scope.Scope> =
  Effect.fn("GptHead.make")(function*(config: GptConfig, dimensions: HeadDimensions) {
    yield* PolicyHead.checkDimensions("gpt", dimensions)
    const { chunkSize, inputSize, latent, windowSize } = dimensions
    const tokenWidth = config.hidden_size
    const embedding = tokenWidth * latent
    const heads = config.n_head
    if (embedding % heads !== 0) {
      return yield* Effect.fail(
        new SdkError({
          reason: "InvalidInput",
          message: `head gpt: n_embd = hidden_size·latent = ${embedding} is not divisible by n_head = ${heads}`,
          subject: "gpt"
        })
      )
    }
    const headWidth = embedding / heads
    const epsilon = config.layer_norm_epsilon
    const { built, parameters } = yield* acquireParameters("gpt", (parameters) => {
      const rng: Rng = makeRng(config.seed)
      const projection = inputSize === tokenWidth
        ? undefined
        : makeLinear(parameters, rng, "proj", inputSize, tokenWidth, { kind: "torch" })
      const positions = parameters.add("gpt.wpe.weight", [windowSize, embedding], normal(rng, windowSize * embedding, 0.02))
      const residualStd = 0.02 / Math.sqrt(2 * config.n_layer)
      const blocks: Array<Block> = []
      for (let i = 0; i < config.n_layer; i++) {
        const name = `gpt.h.${i}`
        blocks.push({
          ln1: makeLayerNorm(parameters, `${name}.ln_1`, embedding, epsilon),
          attention: makeLinear(parameters, rng, `${name}.attn.c_attn`, embedding, 3 * embedding, { kind: "gpt2" }, "conv1d"),
          attentionProjection: makeLinear(parameters, rng, `${name}.attn.c_proj`, embedding, embedding, { kind: "gpt2", std: residualStd }, "conv1d"),
          ln2: makeLayerNorm(parameters, `${name}.ln_2`, embedding, epsilon),
          fc: makeLinear(parameters, rng, `${name}.mlp.c_fc`, embedding, 4 * embedding, { kind: "gpt2" }, "conv1d"),
          fcProjection: makeLinear(parameters, rng, `${name}.mlp.c_proj`, 4 * embedding, embedding, { kind: "gpt2", std: residualStd }, "conv1d")
        })
      }
      const finalNorm = makeLayerNorm(parameters, "gpt.ln_f", embedding, epsilon)
      const mlps = makeActionMlps(parameters, rng, {
        inputSize: embedding,
        widths: config.mlp_widths,
        chunkSize,
        init: { kind: "torch" }
      })
      return { projection, positions, blocks, finalNorm, mlps }
    })

    const attend = (block: Block, x: tf.Tensor3D, dropout: (t: tf.Tensor) => tf.Tensor): tf.Tensor3D => {
      const [batch, time] = x.shape
      const toHeads = (t: tf.Tensor3D) =>
        tf.reshape(tf.transpose(tf.reshape(t, [batch, time, heads, headWidth]), [0, 2, 1, 3]), [batch * heads, time, headWidth]) as tf.Tensor3D
      const [q, k, v] = tf.split(applyLast(block.attention, x), 3, 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D]
      const scores = tf.div(matMul(toHeads(q), toHeads(k), true), Math.sqrt(headWidth))
      const causal = tf.linalg.bandPart(tf.ones([time, time]), -1, 0)
      const masked = tf.add(tf.mul(scores, causal), tf.mul(tf.sub(1, causal), -1e4))
      const weights = dropout(tf.softmax(masked, -1)) as tf.Tensor3D
      const context = tf.reshape(
        tf.transpose(tf.reshape(matMul(weights, toHeads(v)), [batch, heads, time, headWidth]), [0, 2, 1, 3]),
        [batch, time, embedding]
      ) as tf.Tensor3D
      return dropout(applyLast(block.attentionProjection, context)) as tf.Tensor3D
    }

    const predictTensors = (lrn: tf.Tensor4D, options?: { readonly training?: boolean }) => {
      const [batch, time] = lrn.shape
      const rate = options?.training === true ? config.dropout : 0
      const dropout = (t: tf.Tensor) => rate > 0 ? tf.dropout(t, rate) : t
      const tokens = built.projection === undefined
        ? lrn
        : tf.reshape(built.projection.apply(tf.reshape(lrn, [batch * time * latent, inputSize])), [batch, time, latent, tokenWidth])
      let h = dropout(
        tf.add(tf.reshape(tokens, [batch, time, embedding]), tf.slice(built.positions, [0, 0], [time, embedding]))
      ) as tf.Tensor3D
      for (const block of built.blocks) {
        h = tf.add(h, attend(block, block.ln1.apply(h) as tf.Tensor3D, dropout)) as tf.Tensor3D
        const mlp = applyLast(block.fcProjection, geluNew(applyLast(block.fc, block.ln2.apply(h) as tf.Tensor3D)) as tf.Tensor3D)
        h = tf.add(h, dropout(mlp)) as tf.Tensor3D
      }
      const out = built.finalNorm.apply(h)
      return built.mlps.apply(tf.reshape(out, [batch * time, embedding]), batch, time)
    }

    // No stepper hook: the SDK's window stepper re-runs the GPT over the last W frames (§5.3).
    return yield* makeTfHead({
      name: "gpt",
      kind: "continuous",
      dimensions,
      parameters,
      maxWindow: windowSize,
      predictTensors,
      loss: (output, labels, mask) => continuousLoss(output, labels, mask, config.arm_gripper_loss_ratio)
    })
  })
