/**
 * Fused ops as single kernels with their own gradient kernels, in JavaScript over the backend's memory (wasm heap
 * or cpu arrays): layer norm, softmax with a scale, GELU (tanh form). Composed from tfjs ops, a layer norm is ~10
 * kernels forward and ~20 backward, each a 7–25 µs dispatch plus a pass over the data; here it is one pass forward
 * and one backward. Registered under the kit's own kernel names (nothing of tfjs' is replaced), with gradient
 * configs, so `tf.grads` / `tf.variableGrads` differentiate through them. ReLU too: its forward is the backend's
 * own kernel, its gradient one pass instead of tfjs' Step, Cast and Multiply. The public ops (`../FusedOps.ts`) use
 * them while the fast kernels are active and compose tfjs ops otherwise.
 *
 * On wasm, rows whose length is a multiple of 4 run as WebAssembly SIMD loops over the heap (`Simd.ts`, float32
 * like the composed ops); otherwise (cpu, odd row lengths) JavaScript loops accumulate in float64.
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { storageOf } from "./Storage.ts"

/** @since 0.1.0 @category constants */
export const FusedKernel = {
  LayerNorm: "RobovlaLayerNorm",
  LayerNormGrad: "RobovlaLayerNormGrad",
  Softmax: "RobovlaSoftmax",
  SoftmaxGrad: "RobovlaSoftmaxGrad",
  Relu: "RobovlaRelu",
  ReluGrad: "RobovlaReluGrad",
  GeluTanh: "RobovlaGeluTanh",
  GeluTanhGrad: "RobovlaGeluTanhGrad"
} as const

const GELU_C = Math.sqrt(2 / Math.PI)
const GELU_K = 0.044715

type Inputs = Record<string, tf.TensorInfo>

const storage = (args: { backend: unknown }, backendName: string) => {
  const s = storageOf(backendName, args.backend)
  if (s === undefined) throw new Error(`no fused kernels for the ${backendName} backend`)
  return s
}

/** Mean and 1/sqrt(var + ε) of one row: one float64 pass (sum and sum of squares; inputs are float32). */
const rowStatistics = (xs: Float32Array, base: number, d: number, epsilon: number): [mean: number, rstd: number] => {
  let sum = 0
  let squares = 0
  for (let i = base, end = base + d; i < end; i++) {
    const v = xs[i]!
    sum += v
    squares += v * v
  }
  const mean = sum / d
  const variance = Math.max(0, squares / d - mean * mean)
  return [mean, 1 / Math.sqrt(variance + epsilon)]
}

/** y = (x − mean) / sqrt(var + ε) · γ + β over the last axis (biased variance, as PyTorch's LayerNorm). */
const layerNorm =
  (backendName: string): tf.KernelFunc =>
  (args) => {
    const { x, gamma, beta } = args.inputs as Inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo }
    const { epsilon } = args.attrs as unknown as { epsilon: number }
    const s = storage(args, backendName)
    const out = s.output(x.shape)
    const xs = s.view(x) as Float32Array
    const g = s.view(gamma) as Float32Array
    const b = s.view(beta) as Float32Array
    const y = s.view(out) as Float32Array
    const d = x.shape.at(-1)!
    const rows = d === 0 ? 0 : xs.length / d
    if (s.simd !== undefined && d % 4 === 0 && rows > 0) {
      s.simd.kernels.layerNorm(s.simd.address(x), s.simd.address(gamma), s.simd.address(beta), s.simd.address(out), rows, d, epsilon)
      return out
    }
    for (let r = 0, base = 0; r < rows; r++, base += d) {
      const [mean, rstd] = rowStatistics(xs, base, d, epsilon)
      for (let i = 0; i < d; i++) y[base + i] = (xs[base + i]! - mean) * rstd * g[i]! + b[i]!
    }
    return out
  }

/**
 * dβ = Σ dy, dγ = Σ dy·x̂, dx = rstd · (dy·γ − mean(dy·γ) − x̂ · mean(dy·γ·x̂)); the statistics are recomputed from x
 * (one pass, cheaper than keeping them as extra outputs through the tape).
 */
const layerNormGrad =
  (backendName: string): tf.KernelFunc =>
  (args) => {
    const { dy, x, gamma } = args.inputs as Inputs as { dy: tf.TensorInfo; x: tf.TensorInfo; gamma: tf.TensorInfo }
    const { epsilon } = args.attrs as unknown as { epsilon: number }
    const s = storage(args, backendName)
    const d = x.shape.at(-1)!
    const dxOut = s.output(x.shape)
    const dgOut = s.output([d])
    const dbOut = s.output([d])
    const xs = s.view(x) as Float32Array
    const dys = s.view(dy) as Float32Array
    const g = s.view(gamma) as Float32Array
    const dx = s.view(dxOut) as Float32Array
    if (s.simd !== undefined && d % 4 === 0 && xs.length > 0) {
      ;(s.view(dgOut) as Float32Array).fill(0)
      ;(s.view(dbOut) as Float32Array).fill(0)
      const at = s.simd.address
      s.simd.kernels.layerNormGrad(at(dy), at(x), at(gamma), at(dxOut), at(dgOut), at(dbOut), xs.length / d, d, epsilon)
      return [dxOut, dgOut, dbOut]
    }
    const dgSum = new Float64Array(d)
    const dbSum = new Float64Array(d)
    const xhat = new Float64Array(d)
    const dxhat = new Float64Array(d)
    const rows = d === 0 ? 0 : xs.length / d
    for (let r = 0, base = 0; r < rows; r++, base += d) {
      const [mean, rstd] = rowStatistics(xs, base, d, epsilon)
      let sumDxhat = 0
      let sumDxhatXhat = 0
      for (let i = 0; i < d; i++) {
        const h = (xs[base + i]! - mean) * rstd
        const dyi = dys[base + i]!
        const dh = dyi * g[i]!
        xhat[i] = h
        dxhat[i] = dh
        sumDxhat += dh
        sumDxhatXhat += dh * h
        dgSum[i]! += dyi * h
        dbSum[i]! += dyi
      }
      const meanDxhat = sumDxhat / d
      const meanDxhatXhat = sumDxhatXhat / d
      for (let i = 0; i < d; i++) dx[base + i] = rstd * (dxhat[i]! - meanDxhat - xhat[i]! * meanDxhatXhat)
    }
    ;(s.view(dgOut) as Float32Array).set(dgSum)
    ;(s.view(dbOut) as Float32Array).set(dbSum)
    return [dxOut, dgOut, dbOut]
  }

/**
 * y = softmax(scale · x) over the last axis. The exponentials run in the backend's own `Softmax` kernel (wasm: 0.6 ms
 * for 64×80×80, ten times JavaScript's `Math.exp` loop); this kernel scales into a temporary first, and the gain is
 * the fused gradient below (and one dispatch for scale + softmax).
 */
const softmax =
  (backendName: string, stockSoftmax: tf.KernelFunc): tf.KernelFunc =>
  (args) => {
    const { x } = args.inputs as Inputs as { x: tf.TensorInfo }
    const { scale } = args.attrs as unknown as { scale: number }
    // The stock kernels read `dim` as a non-negative axis.
    const dim = x.shape.length - 1
    if (scale === 1) return stockSoftmax({ inputs: { logits: x }, attrs: { dim }, backend: args.backend })
    const s = storage(args, backendName)
    const scaled = s.output(x.shape)
    const xs = s.view(x) as Float32Array
    const out = s.view(scaled) as Float32Array
    let from = 0
    if (s.simd !== undefined) {
      from = xs.length - (xs.length % 4)
      if (from > 0) s.simd.kernels.scale(s.simd.address(x), s.simd.address(scaled), from, scale)
    }
    for (let i = from; i < xs.length; i++) out[i] = xs[i]! * scale
    try {
      return stockSoftmax({ inputs: { logits: scaled }, attrs: { dim }, backend: args.backend })
    } finally {
      ;(args.backend as unknown as { disposeData(dataId: object, force?: boolean): void }).disposeData(scaled.dataId, true)
    }
  }

/** dx = scale · y · (dy − Σ dy·y). */
const softmaxGrad =
  (backendName: string): tf.KernelFunc =>
  (args) => {
    const { dy, y } = args.inputs as Inputs as { dy: tf.TensorInfo; y: tf.TensorInfo }
    const { scale } = args.attrs as unknown as { scale: number }
    const s = storage(args, backendName)
    const out = s.output(y.shape)
    const ys = s.view(y) as Float32Array
    const dys = s.view(dy) as Float32Array
    const dx = s.view(out) as Float32Array
    const d = y.shape.at(-1)!
    const rows = d === 0 ? 0 : ys.length / d
    if (s.simd !== undefined && d % 4 === 0 && rows > 0) {
      s.simd.kernels.softmaxGrad(s.simd.address(dy), s.simd.address(y), s.simd.address(out), rows, d, scale)
      return out
    }
    for (let r = 0, base = 0; r < rows; r++, base += d) {
      let dot = 0
      for (let i = 0; i < d; i++) dot += dys[base + i]! * ys[base + i]!
      for (let i = 0; i < d; i++) dx[base + i] = scale * ys[base + i]! * (dys[base + i]! - dot)
    }
    return out
  }

/** dx = y > 0 ? dy : 0 in one pass (tfjs' Relu gradient is Step, Cast and Multiply: three kernels). */
const reluGrad =
  (backendName: string): tf.KernelFunc =>
  (args) => {
    const { dy, y } = args.inputs as Inputs as { dy: tf.TensorInfo; y: tf.TensorInfo }
    const s = storage(args, backendName)
    const out = s.output(y.shape)
    const ys = s.view(y) as Float32Array
    const dys = s.view(dy) as Float32Array
    const dx = s.view(out) as Float32Array
    let from = 0
    if (s.simd !== undefined) {
      from = ys.length - (ys.length % 4)
      if (from > 0) s.simd.kernels.reluGrad(s.simd.address(dy), s.simd.address(y), s.simd.address(out), from)
    }
    for (let i = from; i < ys.length; i++) dx[i] = ys[i]! > 0 ? dys[i]! : 0
    return out
  }

/** GPT-2's `gelu_new`: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
const geluTanh =
  (backendName: string): tf.KernelFunc =>
  (args) => {
    const { x } = args.inputs as Inputs as { x: tf.TensorInfo }
    const s = storage(args, backendName)
    const out = s.output(x.shape)
    const xs = s.view(x) as Float32Array
    const y = s.view(out) as Float32Array
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i]!
      y[i] = 0.5 * v * (1 + Math.tanh(GELU_C * (v + GELU_K * v * v * v)))
    }
    return out
  }

const geluTanhGrad =
  (backendName: string): tf.KernelFunc =>
  (args) => {
    const { dy, x } = args.inputs as Inputs as { dy: tf.TensorInfo; x: tf.TensorInfo }
    const s = storage(args, backendName)
    const out = s.output(x.shape)
    const xs = s.view(x) as Float32Array
    const dys = s.view(dy) as Float32Array
    const dx = s.view(out) as Float32Array
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i]!
      const t = Math.tanh(GELU_C * (v + GELU_K * v * v * v))
      dx[i] = dys[i]! * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_C * (1 + 3 * GELU_K * v * v))
    }
    return out
  }

const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap): Array<tf.Tensor> => {
  const out = tf.engine().runKernel(name, inputs, attrs)
  return Array.isArray(out) ? out : [out]
}

let gradientsRegistered = false
const registerGradients = (): void => {
  if (gradientsRegistered) return
  gradientsRegistered = true
  tf.registerGradient({
    kernelName: FusedKernel.LayerNorm,
    inputsToSave: ["x", "gamma"],
    gradFunc: (dy, saved, attrs) => {
      const [x, gamma] = saved as [tf.Tensor, tf.Tensor]
      // One kernel for all three gradients, run here rather than in the thunks: tfjs calls each thunk inside its
      // own tidy, which would dispose the outputs the other two return. Unused ones go with the backward scope.
      const [dx, dgamma, dbeta] = run(FusedKernel.LayerNormGrad, { dy: dy as tf.Tensor, x, gamma }, attrs)
      return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! }
    }
  })
  tf.registerGradient({
    kernelName: FusedKernel.Softmax,
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [y] = saved as [tf.Tensor]
      return { x: () => run(FusedKernel.SoftmaxGrad, { dy: dy as tf.Tensor, y }, attrs)[0]! }
    }
  })
  tf.registerGradient({
    kernelName: FusedKernel.Relu,
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [y] = saved as [tf.Tensor]
      return { x: () => run(FusedKernel.ReluGrad, { dy: dy as tf.Tensor, y }, {})[0]! }
    }
  })
  tf.registerGradient({
    kernelName: FusedKernel.GeluTanh,
    inputsToSave: ["x"],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tf.Tensor]
      return { x: () => run(FusedKernel.GeluTanhGrad, { dy: dy as tf.Tensor, x }, {})[0]! }
    }
  })
}

const registered = new Set<string>()

/**
 * Registers the fused kernels (and, once, their gradients) for `backendName` (wasm or cpu). They replace nothing,
 * so they stay registered when the stock kernels are put back; the public ops decide which path runs.
 *
 * @since 0.1.0
 * @category engines
 */
export const registerFusedKernels = (backendName: string): boolean => {
  if (backendName !== "wasm" && backendName !== "cpu") return false
  registerGradients()
  if (registered.has(backendName)) return true
  const stockSoftmax = tf.getKernel(tf.Softmax, backendName)?.kernelFunc
  const stockRelu = tf.getKernel(tf.Relu, backendName)?.kernelFunc
  if (stockSoftmax === undefined || stockRelu === undefined) return false
  registered.add(backendName)
  const kernels: Array<[string, (backend: string) => tf.KernelFunc]> = [
    [FusedKernel.LayerNorm, layerNorm],
    [FusedKernel.LayerNormGrad, layerNormGrad],
    [FusedKernel.Softmax, (name) => softmax(name, stockSoftmax)],
    // The backend's own Relu forward (fast already); the gain is the one-pass gradient.
    [FusedKernel.Relu, () => (args) => stockRelu({ ...args, inputs: { x: (args.inputs as Inputs)["x"]! } })],
    [FusedKernel.ReluGrad, reluGrad],
    [FusedKernel.SoftmaxGrad, softmaxGrad],
    [FusedKernel.GeluTanh, geluTanh],
    [FusedKernel.GeluTanhGrad, geluTanhGrad]
  ]
  for (const [kernelName, make] of kernels) tf.registerKernel({ kernelName, backendName, kernelFunc: make(backendName) })
  return true
}

/**
 * Whether the fused kernels are registered for `backendName`.
 *
 * @since 0.1.0
 * @category engines
 */
export const fusedKernelsRegistered = (backendName: string): boolean => registered.has(backendName)
