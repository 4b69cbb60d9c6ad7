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
 * Evaluation (§5.3): for the first W steps after a reset the output is the LSTM run from the reset on; after
 * that it is the LSTM re-run from a zero state over the last W features. The stepper gets both without re-running
 * anything: it keeps W staggered runs, one started (from zero) at each of the last W frames, and advances them
 * all by the new frame; the oldest run has then seen exactly the last W frames (or every frame since the reset),
 * so it is the output, and it is dropped once it is W frames old. One (runs × B)-row product per weight and call
 * instead of W one-row products per layer; `stepMany` stacks the runs of several steppers (the policies of a
 * batch) into the same products.
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { HeadDimensions, HeadStepOutput, SdkError, StepperHooks, StepperHooksStep } from "@robovla/sdk"
import { makeRng, PolicyHead } from "@robovla/sdk"
import type { HeadTensors, LstmStackStep, TfPolicyHead } from "@robovla/tfjs"
import {
  acquireParameters,
  continuousLoss,
  lastPosition,
  makeActionMlps,
  makeFrozenProducts,
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

/** x · W: the kit's `matMul` (differentiable), or a stepper's frozen-weight product. */
type Product = (x: tf.Tensor2D, weight: tf.Variable) => tf.Tensor2D

const trainableProduct: Product = (x, weight) => matMul(x, weight as tf.Tensor2D)

/** One cell step from precomputed input gates (B, 4H). */
const cell = (layer: LstmLayer, inputGates: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D, hidden: number, product: Product = trainableProduct) => {
  const gates = tf.add(inputGates, product(h, layer.weightHh))
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
    // Inference products by weights packed once (rebuilt after training steps or loadWeights change them).
    const frozen = makeFrozenProducts()
    yield* Effect.addFinalizer(() => Effect.sync(frozen.clear))
    const steppers = makeStaggeredSteppers(built.layers, dimensions, hidden, readOut, frozen.matMul, () => frozen.lstmStep(built.layers, tokenFeatures, hidden))
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
      stepper: steppers.stepper,
      stepMany: steppers.stepMany
    })
  })

/**
 * One stepper's session, in plain arrays (a stepper holds no tensors, so an abandoned one leaks nothing): the
 * runs started at the last frames (oldest first, at most W − 1 between calls), each with every layer's h and c,
 * (layers, B, H) flat.
 */
interface Session {
  batch: number
  runs: Array<{ readonly h: Float32Array; readonly c: Float32Array }>
}

/**
 * The §5.3 steppers over staggered runs (see the module comment). Every call (one session or several) adds a
 * zero run per session, advances all runs of all sessions by their session's new frame as one stacked LSTM step
 * (rows: session, run, batch element), reads each session's oldest run out through the MLPs, and keeps the runs
 * that are younger than W frames.
 */
const makeStaggeredSteppers = (
  layers: ReadonlyArray<LstmLayer>,
  dimensions: HeadDimensions,
  hidden: number,
  readOut: (output: tf.Tensor3D) => HeadTensors,
  product: Product,
  /** The stacked step as one native call, where the fast path is on. */
  stackStep: () => LstmStackStep | undefined
) => {
  const { inputSize, latent, windowSize } = dimensions
  const tokenFeatures = latent * inputSize
  const numLayers = layers.length
  const sessions = new WeakMap<StepperHooks, Session>()

  const advance = (steps: ReadonlyArray<{ readonly session: Session; readonly lrn: Float32Array; readonly batch: number }>): Array<HeadStepOutput> => {
    // Row layout: for each session, its runs oldest first with the new (zero) run last, each run B rows.
    const runCounts = steps.map(({ session }) => session.runs.length + 1)
    const rows = steps.reduce((n, { batch }, s) => n + runCounts[s]! * batch, 0)
    const frames = steps.reduce((n, { batch }) => n + batch, 0)
    const frameOfRow = new Int32Array(rows)
    const oldestRows = new Int32Array(frames)
    const frameData = new Float32Array(frames * tokenFeatures)
    {
      let row = 0
      let frame = 0
      steps.forEach(({ batch, lrn }, s) => {
        frameData.set(lrn, frame * tokenFeatures)
        for (let b = 0; b < batch; b++) oldestRows[frame + b] = row + b
        for (let r = 0; r < runCounts[s]!; r++) for (let b = 0; b < batch; b++) frameOfRow[row++] = frame + b
        frame += batch
      })
    }
    const layerState = (which: "h" | "c", l: number): Float32Array => {
      const out = new Float32Array(rows * hidden)
      let row = 0
      steps.forEach(({ batch, session }) => {
        const size = batch * hidden
        for (const run of session.runs) {
          out.set(run[which].subarray(l * size, (l + 1) * size), row * hidden)
          row += batch
        }
        row += batch // the new run starts from zeros
      })
      return out
    }
    const pickRows = (from: Float32Array, indices: Int32Array, width: number) => {
      const out = new Float32Array(indices.length * width)
      indices.forEach((index, row) => out.set(from.subarray(index * width, (index + 1) * width), row * width))
      return out
    }
    const readOldest = (top: Float32Array) =>
      tidyRead(() => lastPosition(readOut(tf.tensor3d(pickRows(top, oldestRows, hidden), [frames, 1, hidden]))))
    const native = stackStep()
    const { newC, newH, output } = native !== undefined
      ? (() => {
        // The fast path: the whole stacked step in one native call (every run reads its session's new frame).
        const next = native.run(pickRows(frameData, frameOfRow, tokenFeatures), rows, layers.map((_, l) => layerState("h", l)), layers.map((_, l) => layerState("c", l)))
        return { newH: next.h, newC: next.c, output: readOldest(next.h[numLayers - 1]!) }
      })()
      : tidyRead(() => {
      // Layer 0's input is the new frame for every run of a session: its input gates once per frame, then per row.
      // Rows copied in JavaScript: wasm's GatherV2 takes ~10 ms for 64 rows of 4096.
      const frameGates = tf.add(tf.add(product(tf.tensor2d(frameData, [frames, tokenFeatures]), layers[0]!.weightIh), layers[0]!.biasIh), layers[0]!.biasHh)
      let below: tf.Tensor2D | undefined
      const hs: Array<Float32Array> = []
      const cs: Array<Float32Array> = []
      layers.forEach((layer, l) => {
        const inputGates = below === undefined
          ? tf.tensor2d(pickRows(frameGates.dataSync() as Float32Array, frameOfRow, 4 * hidden), [rows, 4 * hidden])
          : tf.add(tf.add(product(below, layer.weightIh), layer.biasIh), layer.biasHh) as tf.Tensor2D
        const state = (which: "h" | "c") => tf.tensor2d(layerState(which, l), [rows, hidden])
        const { c, h } = cell(layer, inputGates, state("h"), state("c"), hidden, product)
        hs.push(h.dataSync() as Float32Array)
        cs.push(c.dataSync() as Float32Array)
        below = h
      })
      return { newH: hs, newC: cs, output: readOldest(hs[numLayers - 1]!) }
    })
    // Commit only now, so that a failed call leaves every session as it was.
    let row = 0
    let frame = 0
    return steps.map(({ batch, session }, s) => {
      const size = batch * hidden
      const runs: Session["runs"] = []
      for (let r = 0; r < runCounts[s]!; r++) {
        const h = new Float32Array(numLayers * size)
        const c = new Float32Array(numLayers * size)
        for (let l = 0; l < numLayers; l++) {
          h.set(newH[l]!.subarray(row * hidden, row * hidden + size), l * size)
          c.set(newC[l]!.subarray(row * hidden, row * hidden + size), l * size)
        }
        runs.push({ h, c })
        row += batch
      }
      // The oldest run has now seen W frames: it was this call's output, and it leaves.
      if (runs.length === windowSize) runs.shift()
      session.runs = runs
      session.batch = batch
      const take = (t: HeadStepOutput["arm"] | HeadStepOutput["gripperLogits"], width: number) => {
        const per = t.shape[1]! * width
        return { data: t.data.slice(frame * per, (frame + batch) * per), shape: [batch, t.shape[1]!, width] }
      }
      const out = { arm: take(output.arm, 6), gripperLogits: take(output.gripperLogits, 1) } as HeadStepOutput
      frame += batch
      return out
    })
  }

  const stepper = (): StepperHooks => {
    const session: Session = { batch: 0, runs: [] }
    const hooks: StepperHooks = {
      reset: () => {
        session.runs = []
        session.batch = 0
      },
      step: (lrn) => advance([{ session, lrn: lrn.data, batch: lrn.shape[0]! }])[0]!
    }
    sessions.set(hooks, session)
    return hooks
  }
  const stepMany = (steps: ReadonlyArray<StepperHooksStep>): Array<HeadStepOutput> =>
    advance(steps.map(({ lrn, stepper }) => {
      const session = sessions.get(stepper)
      if (session === undefined) throw new Error("lstm: stepMany got a stepper this head did not make")
      return { session, lrn: lrn.data, batch: lrn.shape[0]! }
    }))
  return { stepper, stepMany }
}
