/**
 * Where a backend keeps tensor data, seen as float32 views, so one kernel body serves wasm and cpu.
 *
 * wasm: views of the module's heap. Take every `output` before any `view` of the same call: an allocation may
 * grow the heap and detach earlier views. cpu: the backend's own typed arrays.
 *
 * @since 0.1.0
 */
import type * as tf from "@tensorflow/tfjs-core"

type TensorInfo = tf.TensorInfo

/**
 * @since 0.1.0
 * @category models
 */
export interface Storage {
  /** Allocates an output; its values are written through `view(output)`. */
  readonly output: (shape: ReadonlyArray<number>, dtype?: "float32" | "int32") => TensorInfo
  /** The data of a tensor (float32 or int32), without copying. */
  readonly view: (t: TensorInfo) => Float32Array | Int32Array
}

/** The parts of `BackendWasm` used here (typed structurally: the package exports no declaration for them). */
interface WasmBackendLike {
  makeOutput(shape: Array<number>, dtype: tf.DataType): TensorInfo
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array
}

/** The parts of `MathBackendCPU` used here. */
interface CpuBackendLike {
  data: { get(dataId: object): { values?: unknown } }
  makeTensorInfo(shape: Array<number>, dtype: tf.DataType, values?: Float32Array | Int32Array): TensorInfo
}

const wasmStorage = (backend: WasmBackendLike): Storage => ({
  output: (shape, dtype = "float32") => backend.makeOutput([...shape], dtype),
  view: (t) => backend.typedArrayFromHeap(t) as Float32Array | Int32Array
})

/** `makeTensorInfo` keeps the array it is given, so the kernel writes the output after wrapping it. */
const cpuStorage = (backend: CpuBackendLike): Storage => ({
  output: (shape, dtype = "float32") => {
    const size = shape.reduce((n, d) => n * d, 1)
    return backend.makeTensorInfo([...shape], dtype, dtype === "float32" ? new Float32Array(size) : new Int32Array(size))
  },
  view: (t) => backend.data.get(t.dataId).values as Float32Array | Int32Array
})

/**
 * The storage of a backend by name, or undefined for one whose memory we do not know.
 *
 * @since 0.1.0
 * @category constructors
 */
export const storageOf = (backendName: string, backend: unknown): Storage | undefined =>
  backendName === "wasm"
    ? wasmStorage(backend as WasmBackendLike)
    : backendName === "cpu"
      ? cpuStorage(backend as CpuBackendLike)
      : undefined
