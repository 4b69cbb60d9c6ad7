/**
 * Where a backend keeps tensor data, seen as float32 views, so one kernel body serves wasm and cpu.
 *
 * wasm: views of the module's heap. Take every `output` before any `view` of the same call: an allocation may
 * grow the heap and detach earlier views. cpu: the backend's own typed arrays.
 *
 * @since 0.1.0
 */
import type * as tf from "@tensorflow/tfjs-core"
import { type SimdKernels, simdKernels, type WasmMemory } from "./Simd.ts"

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
  /** Whether this backend holds the tensor's data (it may live on another backend). */
  readonly holds: (t: TensorInfo) => boolean
  /** How many tensors share the data (1: writing it in place changes no other tensor). */
  readonly refCount: (t: TensorInfo) => number
  /** wasm: the SIMD loops over this heap and a tensor's byte offset in it (undefined on cpu, or without SIMD). */
  readonly simd?: { readonly kernels: SimdKernels; readonly address: (t: TensorInfo) => number }
}

/** The parts of `BackendWasm` used here (typed structurally: the package exports no declaration for them). */
interface WasmBackendLike {
  wasm: { asm?: { memory?: WasmMemory } }
  dataIdMap: { has(dataId: object): boolean; get(dataId: object): { memoryOffset: number } }
  refCount(dataId: object): number
  makeOutput(shape: Array<number>, dtype: tf.DataType): TensorInfo
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array
}

/** The parts of `MathBackendCPU` used here. */
interface CpuBackendLike {
  data: { get(dataId: object): { values?: unknown }; has(dataId: object): boolean }
  refCount(dataId: object): number
  makeTensorInfo(shape: Array<number>, dtype: tf.DataType, values?: Float32Array | Int32Array): TensorInfo
}

const simdOf = (backend: WasmBackendLike): Pick<Storage, "simd"> => {
  const memory = backend.wasm.asm?.memory
  const kernels = typeof memory?.grow === "function" ? simdKernels(memory) : undefined
  return typeof kernels === "object" ? { simd: { kernels, address: (t) => backend.dataIdMap.get(t.dataId).memoryOffset } } : {}
}

const wasmStorage = (backend: WasmBackendLike): Storage => ({
  ...simdOf(backend),
  output: (shape, dtype = "float32") => backend.makeOutput([...shape], dtype),
  view: (t) => backend.typedArrayFromHeap(t) as Float32Array | Int32Array,
  holds: (t) => backend.dataIdMap.has(t.dataId),
  refCount: (t) => backend.refCount(t.dataId)
})

/** `makeTensorInfo` keeps the array it is given, so the kernel writes the output after wrapping it. */
const cpuStorage = (backend: CpuBackendLike): Storage => ({
  output: (shape, dtype = "float32") => {
    const size = shape.reduce((n, d) => n * d, 1)
    return backend.makeTensorInfo([...shape], dtype, dtype === "float32" ? new Float32Array(size) : new Int32Array(size))
  },
  view: (t) => backend.data.get(t.dataId).values as Float32Array | Int32Array,
  holds: (t) => backend.data.has(t.dataId),
  refCount: (t) => backend.refCount(t.dataId)
})

/**
 * The storage of a backend by name, or undefined for one whose memory we do not know.
 *
 * @since 0.1.0
 * @category constructors
 */
export const storageOf = (backendName: string, backend: unknown): Storage | undefined => {
  if ((backendName !== "wasm" && backendName !== "cpu") || typeof backend !== "object" || backend === null) return undefined
  // One per backend object (kernels ask on every call; the wasm one holds its SIMD instance).
  let storage = storages.get(backend)
  if (storage === undefined) {
    storage = backendName === "wasm" ? wasmStorage(backend as WasmBackendLike) : cpuStorage(backend as CpuBackendLike)
    storages.set(backend, storage)
  }
  return storage
}

const storages = new WeakMap<object, Storage>()
