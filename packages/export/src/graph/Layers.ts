/**
 * Layer patterns the exporters share, written as ONNX nodes in the same arithmetic order as the tfjs code they
 * mirror (so float rounding stays within 1e-5 or so): linear layers, layer norm, GELU (tanh form), ReLU stacks,
 * dynamic reshapes that keep the leading (B, T) dims, and the arm / gripper read-out of the continuous heads.
 *
 * @since 0.1.0
 */
import { ExportError } from "../ExportError.ts"
import { float, type GraphBuilder } from "./GraphBuilder.ts"

/** A weight: values and shape, as plugins hand them out. @since 0.1.0 @category models */
export interface Weight {
  readonly data: Float32Array
  readonly shape: ReadonlyArray<number>
}

/** Named weights of a plugin. @since 0.1.0 @category models */
export type Weights = ReadonlyMap<string, Weight>

/**
 * Reads a weight, failing with a named error when it is missing or has another shape.
 *
 * @since 0.1.0
 * @category utils
 */
export const weight = (weights: Weights, name: string, shape?: ReadonlyArray<number>): Weight => {
  const w = weights.get(name)
  if (w === undefined) throw new ExportError({ reason: "InvalidInput", message: `the source has no weight ${name}`, subject: name })
  if (shape !== undefined && (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i]))) {
    throw new ExportError({ reason: "InvalidInput", message: `weight ${name} has shape [${w.shape.join(", ")}], expected [${shape.join(", ")}]`, subject: name })
  }
  return w
}

/**
 * (out, in) → (in, out): PyTorch's nn.Linear layout to the x·W layout MatMul needs (exact: a copy).
 *
 * @since 0.1.0
 * @category utils
 */
export const transpose2d = (data: Float32Array, rows: number, cols: number): Float32Array => {
  const out = new Float32Array(rows * cols)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!
  return out
}

/**
 * y = x·W + b with W given as (in, out).
 *
 * @since 0.1.0
 * @category layers
 */
export const linearInOut = (g: GraphBuilder, x: string, w: Weight, b: Weight, name: string): string => {
  const wn = g.initializer({ data: w.data, dims: w.shape }, `${name}.weight`)
  const bn = g.initializer({ data: b.data, dims: b.shape }, `${name}.bias`)
  return g.op("Add", [g.op("MatMul", [x, wn]), bn])
}

/**
 * A layer stored under `<prefix>.weight` / `<prefix>.bias`, in PyTorch layout `(out, in)` (`torch`) or GPT-2's
 * Conv1D layout `(in, out)` (`conv1d`).
 *
 * @since 0.1.0
 * @category layers
 */
export const linear = (g: GraphBuilder, x: string, weights: Weights, prefix: string, layout: "torch" | "conv1d"): string => {
  const w = weight(weights, `${prefix}.weight`)
  const b = weight(weights, `${prefix}.bias`)
  if (w.shape.length !== 2) throw new ExportError({ reason: "InvalidInput", message: `weight ${prefix}.weight is not 2-D`, subject: prefix })
  const inOut = layout === "torch" ? { data: transpose2d(w.data, w.shape[0]!, w.shape[1]!), shape: [w.shape[1]!, w.shape[0]!] } : w
  return linearInOut(g, x, inOut, b, prefix)
}

/**
 * `Linear → ReLU → … → Linear` over layers `<name>.0`, `<name>.1`, … (no ReLU after the last), torch layout.
 *
 * @since 0.1.0
 * @category layers
 */
export const reluStack = (g: GraphBuilder, x: string, weights: Weights, name: string): string => {
  let count = 0
  while (weights.has(`${name}.${count}.weight`)) count++
  if (count === 0) throw new ExportError({ reason: "InvalidInput", message: `the source has no layers ${name}.*`, subject: name })
  let h = x
  for (let i = 0; i < count; i++) {
    h = linear(g, h, weights, `${name}.${i}`, "torch")
    if (i + 1 < count) h = g.op("Relu", [h])
  }
  return h
}

/**
 * Layer norm over the last axis: (x − mean) / √(var + ε) · w + b, with `var` the mean squared deviation
 * (tfjs `moments`). `rsqrt` multiplies by 1/√ instead of dividing, as the GPT head's tfjs code does.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerNorm = (g: GraphBuilder, x: string, w: Weight, b: Weight, epsilon: number, style: "div" | "rsqrt" = "div", name?: string): string => {
  const mean = g.op("ReduceMean", [x], { axes: [-1], keepdims: 1 })
  const centred = g.op("Sub", [x, mean])
  const variance = g.op("ReduceMean", [g.op("Mul", [centred, centred])], { axes: [-1], keepdims: 1 })
  const std = g.op("Sqrt", [g.op("Add", [variance, g.scalar(epsilon)])])
  const normed = style === "div" ? g.op("Div", [centred, std]) : g.op("Mul", [centred, g.op("Reciprocal", [std])])
  const wn = g.initializer({ data: w.data, dims: w.shape }, name === undefined ? undefined : `${name}.weight`)
  const bn = g.initializer({ data: b.data, dims: b.shape }, name === undefined ? undefined : `${name}.bias`)
  return g.op("Add", [g.op("Mul", [normed, wn]), bn])
}

/**
 * GELU, tanh form: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
 *
 * @since 0.1.0
 * @category layers
 */
export const geluTanh = (g: GraphBuilder, x: string): string => {
  const cube = g.op("Mul", [g.op("Mul", [x, x]), x])
  const inner = g.op("Mul", [g.op("Add", [x, g.op("Mul", [cube, g.scalar(0.044715)])]), g.scalar(Math.sqrt(2 / Math.PI))])
  return g.op("Mul", [g.op("Mul", [x, g.scalar(0.5)]), g.op("Add", [g.scalar(1), g.op("Tanh", [inner])])])
}

/**
 * Reshapes `x` to `[leading dims of ref (first k)…, ...rest]`, keeping dynamic B / T.
 *
 * @since 0.1.0
 * @category layers
 */
export const reshapeKeeping = (g: GraphBuilder, x: string, ref: string, k: number, rest: ReadonlyArray<number>): string => {
  const leading = g.op("Slice", [g.op("Shape", [ref]), g.ints([0]), g.ints([k])])
  return g.op("Reshape", [x, g.op("Concat", [leading, g.ints(rest)], { axis: 0 })])
}

/**
 * The size of axis `axis` of `x` as a 1-element int64 tensor.
 *
 * @since 0.1.0
 * @category layers
 */
export const dimOf = (g: GraphBuilder, x: string, axis: number): string =>
  g.op("Slice", [g.op("Shape", [x]), g.ints([axis]), g.ints([axis + 1])])

/**
 * A (L, L) float lower triangle of ones (1 where key ≤ query), L = `length` (1-element int64).
 *
 * @since 0.1.0
 * @category layers
 */
export const causalOnes = (g: GraphBuilder, length: string): string => {
  const square = g.op("Concat", [length, length], { axis: 0 })
  const ones = g.op("ConstantOfShape", [square], { value: { tensor: { data: Float32Array.of(1), dims: [1] } } })
  return g.op("Trilu", [ones], { upper: 0 })
}

/**
 * The continuous heads' read-out: features (rows, in) → arm = tanh(MLP) reshaped to (B, T, N, 6) and gripper
 * logits (B, T, N, 1), with B, T taken from `ref` (the (B, T, …) head input).
 *
 * @since 0.1.0
 * @category layers
 */
export const actionMlps = (g: GraphBuilder, features: string, weights: Weights, ref: string, chunkSize: number): { arm: string; gripperLogits: string } => ({
  arm: reshapeKeeping(g, g.op("Tanh", [reluStack(g, features, weights, "arm")]), ref, 2, [chunkSize, 6]),
  gripperLogits: reshapeKeeping(g, reluStack(g, features, weights, "gripper"), ref, 2, [chunkSize, 1])
})

/** Re-export for exporters that need float attributes. @since 0.1.0 @category constructors */
export { float }
