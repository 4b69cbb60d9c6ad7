/**
 * The LSTM head (RoboVLMs' `LSTMDecoder`, reference/robovlms.md §6): a stacked unidirectional LSTM fuses the
 * window's history, then the shared arm/gripper MLPs read out every position.
 *
 *   [LRN] (B, T, latent, D) → (B, T, latent·D) → LSTM (num_layers, hidden H·latent, zero initial state)
 *     → (B·T, H·latent) → arm MLP (…, N·6, tanh) and gripper MLP (…, N logits)
 *
 * The cell is written with tfjs-core ops (PyTorch gate order i, f, g, o; both biases kept so PyTorch state
 * dicts load as-is), so it trains on the wasm backend. Init: the LSTM keeps PyTorch's default U(±1/√hidden)
 * (RoboVLMs' Xavier routine does not reach it); the MLPs get Xavier-uniform with zero bias.
 *
 * Evaluation (§5.3): for the first W steps after a reset the stepper advances one step from the carried
 * state; after that it keeps the last W features and re-runs the LSTM over them from a zero state.
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { HeadDimensions, SdkError, StepperHooks } from "@robovla/sdk"
import { makeRng, PolicyHead } from "@robovla/sdk"
import type { HeadTensors, TfPolicyHead } from "@robovla/tfjs"
import {
  acquireParameters,
  continuousLoss,
  FeatureHistory,
  lastPosition,
  makeActionMlps,
  makeTfHead,
  matMul,
  tidyRead,
  uniform
} from "@robovla/tfjs"
import { Effect } from "effect"
import type { Scope } from "effect"
import type { LstmConfig } from "./LstmConfig.ts"

/**
 * One LSTM layer's weights. Exported in PyTorch layout (`weight_ih` (4H, in), `weight_hh` (4H, H), biases (4H));
 * the weight variables hold the transposes so the cell is plain x·W.
 */
interface LstmLayer {
  readonly weightIh: tf.Variable
  readonly weightHh: tf.Variable
  readonly biasIh: tf.Variable
  readonly biasHh: tf.Variable
}

/** Hidden and cell state per layer, each (B, H). */
interface LstmState {
  readonly h: ReadonlyArray<tf.Tensor2D>
  readonly c: ReadonlyArray<tf.Tensor2D>
}

/** One cell step from precomputed input gates (B, 4H). */
const cell = (layer: LstmLayer, inputGates: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D, hidden: number) => {
  const gates = tf.add(inputGates, matMul(h, layer.weightHh as tf.Tensor2D))
  const [i, f, g, o] = tf.split(gates, [hidden, hidden, hidden, hidden], 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]
  const nextC = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D
  const nextH = tf.mul(tf.sigmoid(o), tf.tanh(nextC)) as tf.Tensor2D
  return { h: nextH, c: nextC }
}

/**
 * Runs the stacked LSTM over (B, T, in) from `state` (zeros when absent) → top-layer outputs (B, T, H) and the
 * final state.
 */
const runLstm = (layers: ReadonlyArray<LstmLayer>, x: tf.Tensor3D, hidden: number, state?: LstmState) => {
  const [batch, time] = x.shape
  let input: tf.Tensor3D = x
  const finalH: Array<tf.Tensor2D> = []
  const finalC: Array<tf.Tensor2D> = []
  layers.forEach((layer, l) => {
    const inFeatures = input.shape[2]
    const inputGates = tf.reshape(
      tf.add(
        tf.add(matMul(tf.reshape(input, [batch * time, inFeatures]) as tf.Tensor2D, layer.weightIh as tf.Tensor2D), layer.biasIh),
        layer.biasHh
      ),
      [batch, time, 4 * hidden]
    )
    let h: tf.Tensor2D = state?.h[l] ?? tf.zeros([batch, hidden])
    let c: tf.Tensor2D = state?.c[l] ?? tf.zeros([batch, hidden])
    const outputs: Array<tf.Tensor2D> = []
    for (let t = 0; t < time; t++) {
      const step = tf.reshape(tf.slice(inputGates, [0, t, 0], [batch, 1, 4 * hidden]), [batch, 4 * hidden]) as tf.Tensor2D
      ;({ c, h } = cell(layer, step, h, c, hidden))
      outputs.push(h)
    }
    finalH.push(h)
    finalC.push(c)
    input = tf.stack(outputs, 1) as tf.Tensor3D
  })
  return { output: input, state: { h: finalH, c: finalC } }
}

/**
 * Builds the head's variables in the Scope (disposed when it closes).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (config: LstmConfig, dimensions: HeadDimensions) => Effect.Effect<TfPolicyHead, SdkError, Scope.Scope> =
  Effect.fn("LstmHead.make")(function*(config: LstmConfig, dimensions: HeadDimensions) {
    yield* PolicyHead.checkDimensions("lstm", dimensions)
    const { chunkSize, inputSize, latent } = dimensions
    const tokenFeatures = latent * inputSize
    const hidden = config.hidden_size * latent
    const { built, parameters } = yield* acquireParameters("lstm", (parameters) => {
      const rng = makeRng(config.seed)
      const bound = 1 / Math.sqrt(hidden)
      const layers: Array<LstmLayer> = []
      for (let l = 0; l < config.num_layers; l++) {
        const inFeatures = l === 0 ? tokenFeatures : hidden
        layers.push({
          weightIh: parameters.add(`rnn.weight_ih_l${l}`, [4 * hidden, inFeatures], uniform(rng, 4 * hidden * inFeatures, bound), {
            transposed: true
          }),
          weightHh: parameters.add(`rnn.weight_hh_l${l}`, [4 * hidden, hidden], uniform(rng, 4 * hidden * hidden, bound), {
            transposed: true
          }),
          biasIh: parameters.add(`rnn.bias_ih_l${l}`, [4 * hidden], uniform(rng, 4 * hidden, bound)),
          biasHh: parameters.add(`rnn.bias_hh_l${l}`, [4 * hidden], uniform(rng, 4 * hidden, bound))
        })
      }
      const mlps = makeActionMlps(parameters, rng, {
        inputSize: hidden,
        widths: config.mlp_widths,
        chunkSize,
        init: { kind: "xavier" }
      })
      return { layers, mlps }
    })
    const readOut = (output: tf.Tensor3D) => {
      const [batch, time] = output.shape
      return built.mlps.apply(tf.reshape(output, [batch * time, hidden]), batch, time)
    }
    const run = (features: tf.Tensor3D, state?: LstmState) => {
      const result = runLstm(built.layers, features, hidden, state)
      return { output: readOut(result.output), state: result.state }
    }
    return yield* makeTfHead({
      name: "lstm",
      kind: "continuous",
      dimensions,
      parameters,
      predictTensors: (lrn) => {
        const [batch, time] = lrn.shape
        return readOut(runLstm(built.layers, tf.reshape(lrn, [batch, time, tokenFeatures]), hidden).output)
      },
      loss: (output, labels, mask) => continuousLoss(output, labels, mask, config.arm_gripper_loss_ratio),
      stepper: () => lstmStepper(dimensions, run)
    })
  })

/** Copies a state out of tfjs so the stepper holds no tensors. */
const saveState = (state: LstmState) => ({
  h: state.h.map((t) => ({ data: new Float32Array(t.dataSync() as Float32Array), shape: t.shape })),
  c: state.c.map((t) => ({ data: new Float32Array(t.dataSync() as Float32Array), shape: t.shape }))
})

type SavedState = ReturnType<typeof saveState>

const loadState = (saved: SavedState): LstmState => ({
  h: saved.h.map((s) => tf.tensor2d(s.data, s.shape)),
  c: saved.c.map((s) => tf.tensor2d(s.data, s.shape))
})

/** The §5.3 evaluation stepper: carried state for W steps, then re-runs over the last W from zero. */
const lstmStepper = (
  dimensions: HeadDimensions,
  run: (features: tf.Tensor3D, state?: LstmState) => { output: HeadTensors; state: LstmState }
): StepperHooks => {
  const { inputSize, latent, windowSize } = dimensions
  const tokenFeatures = latent * inputSize
  const history = new FeatureHistory(windowSize)
  let carried: SavedState | undefined
  return {
    reset: () => {
      history.clear()
      carried = undefined
    },
    step: (lrn) => {
      const batch = lrn.shape[0]!
      return tidyRead(() => {
        if (history.seen < windowSize) {
          const result = run(tf.tensor3d(lrn.data, [batch, 1, tokenFeatures]), carried && loadState(carried))
          const out = lastPosition(result.output)
          carried = saveState(result.state)
          history.push(lrn)
          return out
        }
        history.push(lrn)
        const window = history.window(latent, inputSize)
        return lastPosition(run(tf.reshape(window, [batch, windowSize, tokenFeatures])).output)
      })
    }
  }
}
