/**
 * Native matrix products through onnxruntime-node's MLAS, called synchronously.
 *
 * tfjs kernels are synchronous, and onnxruntime's public `InferenceSession.run` is a Promise; but underneath,
 * the package's native session `run` is synchronous (its JS wraps it in `setImmediate`). We call that handle
 * directly, with pre-allocated outputs, so inputs and outputs are views of the tfjs backend's own memory (the
 * wasm heap, or the cpu backend's arrays): no copies either way.
 *
 * One session per (rank of A, rank of B, transposeA, transposeB), a `MatMul` (numpy batch broadcasting) or `Gemm`
 * graph over symbolic dims, so a handful of sessions serve every shape a model uses.
 *
 * @since 0.1.0
 */
import { createRequire } from "node:module"
import * as os from "node:os"
import type { OnnxInitializer, OnnxNode, OnnxValue } from "./OnnxGraph.ts"
import { onnxModel } from "./OnnxGraph.ts"

/** The part of onnxruntime-node's native `InferenceSession` used here. */
export interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void
  run(feeds: Record<string, unknown>, fetches: Record<string, unknown>, options: object): unknown
}

/** @since 0.1.0 */
export interface NativeBinding {
  readonly InferenceSession: new () => NativeSession
}

type TensorClass = new (type: "float32", data: Float32Array, dims: ReadonlyArray<number>) => unknown

/**
 * A synchronous GEMM over float32 views: `out = op(a) · op(b)`, batch dims broadcast numpy-style.
 *
 * @since 0.1.0
 * @category models
 */
export interface MatMulEngine {
  /** One line for logs: engine, threads. */
  readonly description: string
  readonly threads: number
  readonly matMul: (
    a: Float32Array,
    aShape: ReadonlyArray<number>,
    b: Float32Array,
    bShape: ReadonlyArray<number>,
    transposeA: boolean,
    transposeB: boolean,
    out: Float32Array,
    outShape: ReadonlyArray<number>
  ) => void
}

/**
 * Threads per product: `ROBOVLA_KERNEL_THREADS` when set, else every available core.
 *
 * @since 0.1.0
 * @category engines
 */
export const kernelThreads = (env: NodeJS.ProcessEnv = process.env): number => {
  const raw = env["ROBOVLA_KERNEL_THREADS"]?.trim()
  const parsed = raw === undefined || raw === "" ? NaN : Number(raw)
  return Number.isInteger(parsed) && parsed >= 1 ? parsed : Math.max(1, os.availableParallelism())
}

/**
 * The nodes for one product form. Measured on MLAS with symbolic dims: `MatMul` 0.94 ms against
 * `FusedMatMul` 1.9 ms for a plain 1280×128 · 128×512; for attention's 64 × 80×32 · (80×32)ᵀ, `Transpose` +
 * `MatMul` 0.51 ms against `FusedMatMul` 1.0 ms. So: plain products `MatMul`; 2-D transposed ones `Gemm` (transA
 * / transB, as fast as MatMul); batched transposed ones an explicit `Transpose` of the last two axes, then `MatMul`.
 */
const productNodes = (rankA: number, rankB: number, transposeA: boolean, transposeB: boolean): Array<OnnxNode> => {
  if (rankA === 2 && rankB === 2 && (transposeA || transposeB)) {
    return [{ op: "Gemm", inputs: ["A", "B"], outputs: ["Y"], attributes: { transA: { int: transposeA ? 1 : 0 }, transB: { int: transposeB ? 1 : 0 } } }]
  }
  const swapLast = (rank: number) => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2]
  const nodes: Array<OnnxNode> = []
  if (transposeA) nodes.push({ op: "Transpose", inputs: ["A"], outputs: ["At"], attributes: { perm: { ints: swapLast(rankA) } } })
  if (transposeB) nodes.push({ op: "Transpose", inputs: ["B"], outputs: ["Bt"], attributes: { perm: { ints: swapLast(rankB) } } })
  nodes.push({ op: "MatMul", inputs: [transposeA ? "At" : "A", transposeB ? "Bt" : "B"], outputs: ["Y"] })
  return nodes
}

const symbolic = (rank: number, prefix: string) => Array.from({ length: rank }, (_, i) => `${prefix}${i}`)

/**
 * Loads onnxruntime-node's native binding and returns the engine, or a sentence saying why it cannot.
 *
 * @since 0.1.0
 * @category engines
 */
export const loadMlasEngine = (threads: number = kernelThreads()): MatMulEngine | string => {
  const loaded = loadBinding()
  if (typeof loaded === "string") return loaded
  const { binding, Tensor } = loaded
  const sessionOptions = sessionOptionsFor(threads)
  raiseMallocThresholds(binding)
  const sessions = new Map<string, NativeSession>()
  const session = (rankA: number, rankB: number, transposeA: boolean, transposeB: boolean): NativeSession => {
    const key = `${rankA} ${rankB} ${transposeA ? 1 : 0} ${transposeB ? 1 : 0}`
    let found = sessions.get(key)
    if (found === undefined) {
      const model = onnxModel(
        productNodes(rankA, rankB, transposeA, transposeB),
        [
          { name: "A", dims: symbolic(rankA, "a") },
          { name: "B", dims: symbolic(rankB, "b") }
        ],
        [{ name: "Y", dims: symbolic(Math.max(rankA, rankB), "y") }]
      )
      found = new binding.InferenceSession()
      found.loadModel(model.buffer, model.byteOffset, model.byteLength, sessionOptions)
      sessions.set(key, found)
    }
    return found
  }

  return {
    description: `onnxruntime-node ${onnxruntimeVersion()} MLAS, ${threads} thread${threads === 1 ? "" : "s"}`,
    threads,
    matMul: (a, aShape, b, bShape, transposeA, transposeB, out, outShape) => {
      session(aShape.length, bShape.length, transposeA, transposeB).run(
        { A: new Tensor("float32", a, aShape), B: new Tensor("float32", b, bShape) },
        { Y: new Tensor("float32", out, outShape) },
        {}
      )
    }
  }
}

/** onnxruntime-node's native binding and the Tensor class it was initialised with, or why they cannot load. */
const loadBinding = (): { readonly binding: NativeBinding; readonly Tensor: TensorClass } | string => {
  try {
    const require = createRequire(import.meta.url)
    // The package entry registers the public backend and re-exports onnxruntime-common's Tensor, the class the
    // native binding was initialised with; `dist/binding.js` exposes the native module (`initOrt` is idempotent).
    const ort = require("onnxruntime-node") as { Tensor: TensorClass }
    const native = require("onnxruntime-node/dist/binding.js") as { binding: NativeBinding; initOrt: () => void }
    native.initOrt()
    if (typeof native.binding.InferenceSession !== "function") return "onnxruntime-node's native binding has no InferenceSession"
    return { binding: native.binding, Tensor: ort.Tensor }
  } catch (cause) {
    const message = cause instanceof Error ? cause.message.split("\n")[0]! : String(cause)
    return `onnxruntime-node could not be loaded (${message}); run npm install`
  }
}

const sessionOptionsFor = (threads: number) => ({
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: "all",
  executionMode: "sequential",
  enableCpuMemArena: false,
  enableMemPattern: false,
  // Pool threads that spin between calls would steal the core the JS thread (and other workers) need.
  extra: { session: { intra_op: { allow_spinning: "0" } } }
})

/**
 * A product by one fixed weight: `out = a · W`, a (m, k), W (k, n), all row-major float32.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConstantProduct {
  readonly k: number
  readonly n: number
  readonly run: (a: Float32Array, m: number, out: Float32Array) => void
}

/**
 * A session whose `MatMul` has the weight as an initializer: onnxruntime pre-packs a constant right-hand side
 * once when the session loads, where a weight fed as an input is packed again on every call (MLAS, 1024×4096,
 * measured on the 2-core VM: 8 rows 0.7–1.3 ms against 2.0–5.5 ms; 64 rows 2.2 against 5.3 ms). For weights that
 * stay fixed across many calls (inference); the session keeps its own copy, so later changes to `weight` are not
 * seen. Returns why not when onnxruntime-node cannot load.
 *
 * @since 0.1.0
 * @category engines
 */
export const makeConstantProduct = (weight: Float32Array, k: number, n: number, threads: number = kernelThreads()): ConstantProduct | string => {
  if (weight.length !== k * n) throw new RangeError(`weight has ${weight.length} values, expected ${k} × ${n}`)
  const loaded = loadBinding()
  if (typeof loaded === "string") return loaded
  const { binding, Tensor } = loaded
  const model = onnxModel(
    [{ op: "MatMul", inputs: ["A", "W"], outputs: ["Y"] }],
    [{ name: "A", dims: ["m", k] }],
    [{ name: "Y", dims: ["m", n] }],
    [{ name: "W", dims: [k, n], data: weight }]
  )
  const session = new binding.InferenceSession()
  session.loadModel(model.buffer, model.byteOffset, model.byteLength, sessionOptionsFor(threads))
  return {
    k,
    n,
    run: (a, m, out) => {
      session.run({ A: new Tensor("float32", a, [m, k]) }, { Y: new Tensor("float32", out, [m, n]) }, {})
    }
  }
}

/**
 * One layer of a stacked LSTM in PyTorch's layout as the kit stores it: `weightIh` (in, 4H) and `weightHh` (H, 4H),
 * gate columns in PyTorch's order i, f, g, o; both biases (4H).
 *
 * @since 0.1.0
 * @category models
 */
export interface LstmLayerWeights {
  readonly weightIh: Float32Array
  readonly weightHh: Float32Array
  readonly biasIh: Float32Array
  readonly biasHh: Float32Array
}

/**
 * One time step of a stacked LSTM for `rows` independent sequences: layer 0 reads `x` (rows, in), layer l > 0 the
 * new h of layer l − 1; `h` / `c` hold every layer's state (rows, H) and get the new one.
 *
 * @since 0.1.0
 * @category models
 */
export interface LstmStackStep {
  readonly run: (x: Float32Array, rows: number, h: ReadonlyArray<Float32Array>, c: ReadonlyArray<Float32Array>) => {
    readonly h: ReadonlyArray<Float32Array>
    readonly c: ReadonlyArray<Float32Array>
  }
}

/** PyTorch's gate blocks (i, f, g, o) in ONNX's order (i, o, f, c). */
const ONNX_GATE_FROM_TORCH = [0, 3, 1, 2]

/** (k, 4H) with torch gate columns → ONNX (4H, k) rows in ONNX gate order. */
const onnxGateRows = (weight: Float32Array, k: number, hidden: number): Float32Array => {
  const out = new Float32Array(4 * hidden * k)
  ONNX_GATE_FROM_TORCH.forEach((torchGate, onnxGate) => {
    for (let j = 0; j < hidden; j++) {
      const column = torchGate * hidden + j
      const row = (onnxGate * hidden + j) * k
      for (let i = 0; i < k; i++) out[row + i] = weight[i * 4 * hidden + column]!
    }
  })
  return out
}

const onnxGateBias = (bias: Float32Array, hidden: number, out: Float32Array, offset: number) =>
  ONNX_GATE_FROM_TORCH.forEach((torchGate, onnxGate) => out.set(bias.subarray(torchGate * hidden, (torchGate + 1) * hidden), offset + onnxGate * hidden))

/**
 * A stacked LSTM step as one onnxruntime session (one `LSTM` node per layer, sequence length 1, the weights as
 * initializers that onnxruntime packs once): the whole step in one native call, gates and activations included,
 * where tfjs needs two products and ~12 element-wise kernels per layer. The session keeps its own copy of the
 * weights. Returns why not when onnxruntime-node cannot load.
 *
 * @since 0.1.0
 * @category engines
 */
export const makeLstmStackStep = (layers: ReadonlyArray<LstmLayerWeights>, inputSize: number, hidden: number, threads: number = kernelThreads()): LstmStackStep | string => {
  const loaded = loadBinding()
  if (typeof loaded === "string") return loaded
  const { binding, Tensor } = loaded
  const nodes: Array<OnnxNode> = []
  const initializers: Array<OnnxInitializer> = []
  const inputs: Array<OnnxValue> = [{ name: "X", dims: [1, "rows", inputSize] }]
  const outputs: Array<OnnxValue> = []
  layers.forEach((layer, l) => {
    const k = l === 0 ? inputSize : hidden
    const bias = new Float32Array(8 * hidden)
    onnxGateBias(layer.biasIh, hidden, bias, 0)
    onnxGateBias(layer.biasHh, hidden, bias, 4 * hidden)
    initializers.push(
      { name: `W${l}`, dims: [1, 4 * hidden, k], data: onnxGateRows(layer.weightIh, k, hidden) },
      { name: `R${l}`, dims: [1, 4 * hidden, hidden], data: onnxGateRows(layer.weightHh, hidden, hidden) },
      { name: `B${l}`, dims: [1, 8 * hidden], data: bias }
    )
    inputs.push({ name: `h${l}`, dims: [1, "rows", hidden] }, { name: `c${l}`, dims: [1, "rows", hidden] })
    outputs.push({ name: `hOut${l}`, dims: [1, "rows", hidden] }, { name: `cOut${l}`, dims: [1, "rows", hidden] })
    nodes.push({
      op: "LSTM",
      // Y_h (1, rows, H) is also the next layer's X (sequence 1, batch rows, H).
      inputs: [l === 0 ? "X" : `hOut${l - 1}`, `W${l}`, `R${l}`, `B${l}`, "", `h${l}`, `c${l}`],
      outputs: ["", `hOut${l}`, `cOut${l}`],
      attributes: { hidden_size: { int: hidden } }
    })
  })
  const model = onnxModel(nodes, inputs, outputs, initializers)
  const session = new binding.InferenceSession()
  session.loadModel(model.buffer, model.byteOffset, model.byteLength, sessionOptionsFor(threads))
  return {
    run: (x, rows, h, c) => {
      const feeds: Record<string, unknown> = { X: new Tensor("float32", x, [1, rows, inputSize]) }
      const fetches: Record<string, unknown> = {}
      const next = { h: layers.map(() => new Float32Array(rows * hidden)), c: layers.map(() => new Float32Array(rows * hidden)) }
      layers.forEach((_, l) => {
        feeds[`h${l}`] = new Tensor("float32", h[l]!, [1, rows, hidden])
        feeds[`c${l}`] = new Tensor("float32", c[l]!, [1, rows, hidden])
        fetches[`hOut${l}`] = new Tensor("float32", next.h[l]!, [1, rows, hidden])
        fetches[`cOut${l}`] = new Tensor("float32", next.c[l]!, [1, rows, hidden])
      })
      session.run(feeds, fetches, {})
      return next
    }
  }
}

/**
 * The native binding returns a copy of every output in a fresh ArrayBuffer (even a pre-allocated one), which V8
 * frees only at its next GC: tens of MB per training step. glibc then grows its heap for them and trims it again
 * after each GC, so the memory is faulted in anew every step (measured: 25–60 ms of system time per
 * reference-transformer step, and up to 2× its wall time). glibc raises its trim threshold to twice the size of
 * the largest mmap-ed block freed so far (up to 32 MiB; mallopt(3), "dynamic mmap threshold"); one ONNX run with a
 * 31 MiB intermediate (`ConstantOfShape` → `ReduceSum`) frees such a block, after which freed output copies stay
 * in the heap for reuse. Same effect as `MALLOC_TRIM_THRESHOLD_=64M` at process start, which a library cannot set.
 * Harmless elsewhere (another allocator simply frees the block). Returns whether the run went through.
 *
 * @since 0.1.0
 * @category engines
 */
export const raiseMallocThresholds = (binding: NativeBinding): boolean => {
  const floats = (31 * 2 ** 20) / 4
  try {
    const model = onnxModel(
      [
        { op: "Constant", inputs: [], outputs: ["shape"], attributes: { value: { int64Tensor: [floats] } } },
        { op: "ConstantOfShape", inputs: ["shape"], outputs: ["zeros"] },
        { op: "ReduceSum", inputs: ["zeros"], outputs: ["Y"], attributes: { keepdims: { int: 0 } } }
      ],
      [],
      [{ name: "Y", dims: [] }]
    )
    const session = new binding.InferenceSession()
    // No constant folding: the block is allocated and freed by `run`, on this thread.
    session.loadModel(model.buffer, model.byteOffset, model.byteLength, { graphOptimizationLevel: "disabled", intraOpNumThreads: 1, enableCpuMemArena: false })
    session.run({}, { Y: null }, {})
    return true
  } catch {
    // Only a speed matter: the products work either way.
    return false
  }
}

const onnxruntimeVersion = (): string => {
  try {
    const require = createRequire(import.meta.url)
    return (require("onnxruntime-node/package.json") as { version: string }).version
  } catch {
    return "?"
  }
}
