/**
 * Exporters for the four RoboVLMs heads (mlp, lstm, gpt, discrete): the head's weights (as the tfjs plugins hand
 * them out, PyTorch-style names and layouts) and config → one ONNX graph over a whole window.
 *
 *   inputs  `lrn` (B, T, latent, D)                       [+ lstm: `h0`, `c0` (layers, B, H)]
 *   outputs `arm` (B, T, N, 6), `gripper_logits` (B, T, N, 1) [+ discrete: `bin_logits` (B, T, N, 7, bins)]
 *                                                          [+ lstm: `h_n`, `c_n` (layers, B, H)]
 *
 * The LSTM's recurrent state is an explicit input/output, so the runtime's stepper can carry it between calls
 * exactly like the tfjs stepper (reference/robovlms.md §5.3); the GPT's history is the window itself.
 *
 * @since 0.1.0
 */
import { ActionTokenizer } from "@robovla/sdk"
import { ExportError } from "../ExportError.ts"
import { GraphBuilder } from "../graph/GraphBuilder.ts"
import { actionMlps, causalOnes, dimOf, geluTanh, layerNorm, linear, reluStack, reshapeKeeping, weight, type Weights } from "../graph/Layers.ts"

/** The head dimensions (the SDK's `HeadDimensions`). @since 0.1.0 @category models */
export interface HeadDims {
  readonly inputSize: number
  readonly windowSize: number
  readonly chunkSize: number
  readonly latent: number
}

/** How the runtime steps the head at evaluation. @since 0.1.0 @category models */
export type StepperKind = "stateless" | "window" | "lstm"

/** One exported head graph and what the runtime needs to drive it. @since 0.1.0 @category models */
export interface HeadGraph {
  /** mlp, lstm, gpt, discrete, or the name a registered exporter gives. */
  readonly type: string
  readonly kind: "continuous" | "discrete"
  readonly bytes: Uint8Array
  readonly stepper: StepperKind
  /** Longest window `predict` accepts (GPT: W, its learned positions). */
  readonly maxWindow?: number
  /** LSTM only: layers and hidden width of the state inputs. */
  readonly lstm?: { readonly layers: number; readonly hidden: number }
}

const num = (config: Readonly<Record<string, unknown>>, key: string, fallback: number): number => {
  const v = config[key]
  if (v === undefined) return fallback
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ExportError({ reason: "InvalidInput", message: `head config ${key} must be a number`, subject: key })
  return v
}

const lrnInput = (g: GraphBuilder, dims: HeadDims) => g.input("lrn", "float32", ["B", "T", dims.latent, dims.inputSize])

const continuousOutputs = (g: GraphBuilder, out: { arm: string; gripperLogits: string }, dims: HeadDims) => {
  g.output("arm", out.arm, "float32", ["B", "T", dims.chunkSize, 6])
  g.output("gripper_logits", out.gripperLogits, "float32", ["B", "T", dims.chunkSize, 1])
}

/** MLP (`FCDecoder`): rows of latent·D → fc stack → arm / gripper MLPs. */
const mlpGraph = (weights: Weights, dims: HeadDims): HeadGraph => {
  const g = new GraphBuilder("robovla_head_mlp")
  const lrn = lrnInput(g, dims)
  const rows = g.op("Reshape", [lrn, g.ints([-1, dims.latent * dims.inputSize])])
  const features = reluStack(g, rows, weights, "fc")
  continuousOutputs(g, actionMlps(g, features, weights, lrn, dims.chunkSize), dims)
  return { type: "mlp", kind: "continuous", bytes: g.toBytes({ docString: "robovla mlp head" }), stepper: "stateless" }
}

/** PyTorch gate blocks (i, f, g, o) → ONNX LSTM order (i, o, f, c). */
const reorderGates = (data: Float32Array, hidden: number, cols: number): Float32Array => {
  const out = new Float32Array(data.length)
  const block = hidden * cols
  ;[0, 3, 1, 2].forEach((from, to) => out.set(data.subarray(from * block, (from + 1) * block), to * block))
  return out
}

/** LSTM (`LSTMDecoder`): stacked ONNX LSTM ops with explicit initial / final state, then the MLPs. */
const lstmGraph = (weights: Weights, dims: HeadDims): HeadGraph => {
  let layers = 0
  while (weights.has(`rnn.weight_ih_l${layers}`)) layers++
  if (layers === 0) throw new ExportError({ reason: "InvalidInput", message: "the lstm head has no rnn.weight_ih_l0", subject: "rnn" })
  const hidden = weight(weights, "rnn.weight_hh_l0").shape[1]!
  const tokenFeatures = dims.latent * dims.inputSize
  const g = new GraphBuilder("robovla_head_lstm")
  const lrn = lrnInput(g, dims)
  const h0 = g.input("h0", "float32", [layers, "B", hidden])
  const c0 = g.input("c0", "float32", [layers, "B", hidden])
  // (B, T, latent, D) → (T, B, latent·D): the ONNX LSTM's default layout is time-major.
  let x = g.op("Transpose", [reshapeKeeping(g, lrn, lrn, 2, [tokenFeatures])], { perm: [1, 0, 2] })
  const finalH: Array<string> = []
  const finalC: Array<string> = []
  for (let l = 0; l < layers; l++) {
    const inFeatures = l === 0 ? tokenFeatures : hidden
    const wIh = weight(weights, `rnn.weight_ih_l${l}`, [4 * hidden, inFeatures])
    const wHh = weight(weights, `rnn.weight_hh_l${l}`, [4 * hidden, hidden])
    const bIh = weight(weights, `rnn.bias_ih_l${l}`, [4 * hidden])
    const bHh = weight(weights, `rnn.bias_hh_l${l}`, [4 * hidden])
    const W = g.initializer({ data: reorderGates(wIh.data, hidden, inFeatures), dims: [1, 4 * hidden, inFeatures] }, `rnn.W_l${l}`)
    const R = g.initializer({ data: reorderGates(wHh.data, hidden, hidden), dims: [1, 4 * hidden, hidden] }, `rnn.R_l${l}`)
    const bias = new Float32Array(8 * hidden)
    bias.set(reorderGates(bIh.data, hidden, 1), 0)
    bias.set(reorderGates(bHh.data, hidden, 1), 4 * hidden)
    const B = g.initializer({ data: bias, dims: [1, 8 * hidden] }, `rnn.B_l${l}`)
    const pick = (state: string) => g.op("Slice", [state, g.ints([l]), g.ints([l + 1]), g.ints([0])])
    const [y, yH, yC] = g.opN("LSTM", [x, W, R, B, "", pick(h0), pick(c0)], 3, { hidden_size: hidden })
    x = g.op("Squeeze", [y!, g.ints([1])]) // (T, 1, B, H) → (T, B, H)
    finalH.push(yH!)
    finalC.push(yC!)
  }
  const hN = layers === 1 ? finalH[0]! : g.op("Concat", finalH, { axis: 0 })
  const cN = layers === 1 ? finalC[0]! : g.op("Concat", finalC, { axis: 0 })
  const batchMajor = g.op("Transpose", [x], { perm: [1, 0, 2] }) // (B, T, H)
  const rows = g.op("Reshape", [batchMajor, g.ints([-1, hidden])])
  continuousOutputs(g, actionMlps(g, rows, weights, lrn, dims.chunkSize), dims)
  g.output("h_n", hN, "float32", [layers, "B", hidden])
  g.output("c_n", cN, "float32", [layers, "B", hidden])
  return { type: "lstm", kind: "continuous", bytes: g.toBytes({ docString: "robovla lstm head" }), stepper: "lstm", lstm: { layers, hidden } }
}

/** GPT (`GPTDecoder`): optional input projection, learned positions, pre-LN blocks, final LN, MLPs. */
const gptGraph = (weights: Weights, dims: HeadDims, config: Readonly<Record<string, unknown>>): HeadGraph => {
  const heads = num(config, "n_head", 8)
  const epsilon = num(config, "layer_norm_epsilon", 1e-5)
  const wpe = weight(weights, "gpt.wpe.weight")
  const [window, embedding] = wpe.shape as [number, number]
  const headWidth = embedding / heads
  if (!Number.isInteger(headWidth)) throw new ExportError({ reason: "InvalidInput", message: `gpt: n_embd ${embedding} is not divisible by n_head ${heads}`, subject: "n_head" })
  let layers = 0
  while (weights.has(`gpt.h.${layers}.ln_1.weight`)) layers++
  const g = new GraphBuilder("robovla_head_gpt")
  const lrn = lrnInput(g, dims)
  const time = dimOf(g, lrn, 1)
  let tokens = lrn
  if (weights.has("proj.weight")) {
    tokens = linear(g, g.op("Reshape", [lrn, g.ints([-1, dims.inputSize])]), weights, "proj", "torch")
  }
  const positions = g.op("Slice", [g.initializer({ data: wpe.data, dims: wpe.shape }, "gpt.wpe.weight"), g.ints([0]), time, g.ints([0])])
  let h = g.op("Add", [reshapeKeeping(g, tokens, lrn, 2, [embedding]), positions])
  const causal = causalOnes(g, time)
  const maskFill = g.op("Mul", [g.op("Sub", [g.scalar(1), causal]), g.scalar(-1e4)])
  const toHeads = (t: string) => g.op("Transpose", [reshapeKeeping(g, t, lrn, 2, [heads, headWidth])], { perm: [0, 2, 1, 3] })
  const ln = (x: string, name: string) => layerNorm(g, x, weight(weights, `${name}.weight`), weight(weights, `${name}.bias`), epsilon, "rsqrt", name)
  for (let i = 0; i < layers; i++) {
    const p = `gpt.h.${i}`
    const qkv = linear(g, ln(h, `${p}.ln_1`), weights, `${p}.attn.c_attn`, "conv1d")
    const [q, k, v] = g.opN("Split", [qkv], 3, { axis: 2 })
    const scores = g.op("Div", [g.op("MatMul", [toHeads(q!), g.op("Transpose", [toHeads(k!)], { perm: [0, 1, 3, 2] })]), g.scalar(Math.sqrt(headWidth))])
    const masked = g.op("Add", [g.op("Mul", [scores, causal]), maskFill])
    const context = g.op("MatMul", [g.op("Softmax", [masked], { axis: -1 }), toHeads(v!)])
    const merged = reshapeKeeping(g, g.op("Transpose", [context], { perm: [0, 2, 1, 3] }), lrn, 2, [embedding])
    h = g.op("Add", [h, linear(g, merged, weights, `${p}.attn.c_proj`, "conv1d")])
    const fc = geluTanh(g, linear(g, ln(h, `${p}.ln_2`), weights, `${p}.mlp.c_fc`, "conv1d"))
    h = g.op("Add", [h, linear(g, fc, weights, `${p}.mlp.c_proj`, "conv1d")])
  }
  const out = g.op("Reshape", [ln(h, "gpt.ln_f"), g.ints([-1, embedding])])
  continuousOutputs(g, actionMlps(g, out, weights, lrn, dims.chunkSize), dims)
  return { type: "gpt", kind: "continuous", bytes: g.toBytes({ docString: "robovla gpt head" }), stepper: "window", maxWindow: window }
}

/** Discrete: one projection to N·7·bins logits; arm = value of the argmax bin; gripper = log-odds of a positive bin. */
const discreteGraph = (weights: Weights, dims: HeadDims, config: Readonly<Record<string, unknown>>): HeadGraph => {
  const bins = num(config, "bins", 256)
  const tokenizer = new ActionTokenizer({
    vocabSize: bins + 11,
    specialTokensCount: 0,
    nBins: bins,
    minAction: num(config, "min_action", -1),
    maxAction: num(config, "max_action", 1)
  })
  const values = Float32Array.from({ length: bins }, (_, c) => tokenizer.binCenters[Math.min(c, bins - 2)]!)
  const firstPositive = values.findIndex((v) => v > 0)
  weight(weights, "logits.weight", [dims.chunkSize * 7 * bins, dims.latent * dims.inputSize])
  const g = new GraphBuilder("robovla_head_discrete")
  const lrn = lrnInput(g, dims)
  const logits = linear(g, g.op("Reshape", [lrn, g.ints([-1, dims.latent * dims.inputSize])]), weights, "logits", "torch")
  const binLogits = reshapeKeeping(g, logits, lrn, 2, [dims.chunkSize, 7, bins])
  const slice = (x: string, axis: number, from: number, to: number) => g.op("Slice", [x, g.ints([from]), g.ints([to]), g.ints([axis])])
  const classes = g.op("ArgMax", [slice(binLogits, 3, 0, 6)], { axis: -1, keepdims: 0 })
  const arm = g.op("Gather", [g.floats(values), classes], { axis: 0 })
  const gripper = slice(binLogits, 3, 6, 7)
  const open = g.op("ReduceLogSumExp", [slice(gripper, 4, firstPositive, bins)], { axes: [-1], keepdims: 0 })
  const close = g.op("ReduceLogSumExp", [slice(gripper, 4, 0, firstPositive)], { axes: [-1], keepdims: 0 })
  continuousOutputs(g, { arm, gripperLogits: g.op("Sub", [open, close]) }, dims)
  g.output("bin_logits", binLogits, "float32", ["B", "T", dims.chunkSize, 7, bins])
  return { type: "discrete", kind: "discrete", bytes: g.toBytes({ docString: "robovla discrete head" }), stepper: "stateless" }
}

/**
 * The head types with a built-in exporter.
 *
 * @since 0.1.0
 * @category constants
 */
export const EXPORTABLE_HEADS = ["mlp", "lstm", "gpt", "discrete"] as const

/**
 * An exporter for one head type: its weights (as `weights()` hands them out), dimensions and decoded config → the
 * head graph with the I/O described above, and how the runtime steps it.
 *
 * @since 0.1.0
 * @category models
 */
export type HeadExporter = (weights: Weights, dims: HeadDims, config: Readonly<Record<string, unknown>>) => HeadGraph

const registered = new Map<string, HeadExporter>()

/**
 * Registers an exporter for heads named `name` (the manifest's `name`), so a head plugin can ship its own
 * exporter before the plugin contract has a capability for it. A registered exporter wins over a built-in one.
 *
 * @since 0.1.0
 * @category exporters
 */
export const registerHeadExporter = (name: string, exporter: HeadExporter): void => {
  registered.set(name, exporter)
}

/**
 * Builds the graph of a head from its name (`mlp` | `lstm` | `gpt` | `discrete`), weights and decoded config.
 *
 * @since 0.1.0
 * @category exporters
 */
export const exportHead = (name: string, weights: Weights, dims: HeadDims, config: Readonly<Record<string, unknown>>): HeadGraph => {
  const own = registered.get(name)
  if (own !== undefined) return own(weights, dims, config)
  switch (name) {
    case "mlp":
      return mlpGraph(weights, dims)
    case "lstm":
      return lstmGraph(weights, dims)
    case "gpt":
      return gptGraph(weights, dims, config)
    case "discrete":
      return discreteGraph(weights, dims, config)
    default:
      throw new ExportError({ reason: "Unsupported", message: `no exporter for head "${name}" (exportable: ${[...EXPORTABLE_HEADS, ...registered.keys()].join(", ")}; registerHeadExporter adds one)`, subject: name })
  }
}
