/**
 * Python pickles as CALVIN's numpy files contain them (object arrays, `auto_lang_ann.npy`, `scene_info.npy`).
 *
 * Reading uses `pickleparser` with a strict name registry: only numpy's array/dtype/scalar reconstructors
 * and `_codecs.encode` are known; any other global is refused, so nothing from a file is ever executed.
 * Writing emits protocol-3 pickles of plain values and numpy arrays that `np.load(..., allow_pickle=True)`
 * reads back.
 *
 * @since 0.1.0
 */
import { NameRegistry, Parser } from "pickleparser"
import { TrainError } from "../TrainError.ts"
import type { NdArray, NumericData, NumericDtype, ObjectArray } from "./NdArray.ts"
import { bytesOf, DTYPE_SIZE, isNdArray, normaliseDescr, sizeOfShape, typedFromBytes } from "./NdArray.ts"

/** A Python tuple when writing (JS arrays are written as lists). @since 0.1.0 @category models */
export class PyTuple {
  readonly items: ReadonlyArray<unknown>
  constructor(...items: ReadonlyArray<unknown>) {
    this.items = items
  }
}

// ---- reading -----------------------------------------------------------------------------------------------

class PickledDtype {
  descr: string
  constructor(kind: string) {
    this.descr = kind
  }
  __setstate__(state: ReadonlyArray<unknown>): void {
    // state = (version, byteorder, subarray, names, fields, elsize, alignment, flags)
    const order = typeof state[1] === "string" ? state[1] : "|"
    this.descr = `${order === "=" ? "<" : order}${this.descr}`
  }
}

class PickledArray {
  dtype: NumericDtype | "|O" = "|O"
  shape: Array<number> = []
  data: NumericData | ReadonlyArray<unknown> = []
  __setstate__(state: ReadonlyArray<unknown>): void {
    // state = (version, shape, dtype, is_fortran, rawdata | list)
    const [, shape, dtype, fortran, raw] = state as [number, ReadonlyArray<number>, PickledDtype, boolean, unknown]
    this.shape = [...shape].map(Number)
    const descr = normaliseDescr(dtype.descr.replace(/^\|(?=[fiu][2-8])/, "<"))
    if (descr === undefined) throw new Error(`unsupported pickled dtype ${dtype.descr}`)
    if (fortran && this.shape.length > 1) throw new Error("Fortran-ordered pickled arrays are not supported")
    this.dtype = descr
    if (descr === "|O") {
      this.data = Array.isArray(raw) ? raw : []
      return
    }
    const bytes = raw instanceof Uint8Array ? raw : typeof raw === "string" ? latin1Bytes(raw) : undefined
    if (bytes === undefined) throw new Error("pickled array has no raw data")
    if (bytes.byteLength !== sizeOfShape(this.shape) * DTYPE_SIZE[descr]) {
      throw new Error(`pickled array data has ${bytes.byteLength} bytes, shape needs ${sizeOfShape(this.shape) * DTYPE_SIZE[descr]}`)
    }
    this.data = typedFromBytes(descr, bytes)
  }
}

const latin1Bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff)

const scalar = (dtype: PickledDtype, raw: unknown): number | bigint | boolean => {
  const descr = normaliseDescr(dtype.descr)
  const bytes = raw instanceof Uint8Array ? raw : typeof raw === "string" ? latin1Bytes(raw) : undefined
  if (descr === undefined || descr === "|O" || bytes === undefined) throw new Error(`unsupported numpy scalar ${dtype.descr}`)
  const value = typedFromBytes(descr, bytes)[0]!
  if (descr === "|b1") return value !== 0
  return typeof value === "bigint" ? (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value) : value
}

class StrictRegistry extends NameRegistry {
  override onMissingName(module: string, name: string): never {
    throw new Error(`pickle refers to ${module}.${name}, which this reader does not load (only numpy arrays and plain values)`)
  }
}

const makeRegistry = (): NameRegistry => {
  const registry = new StrictRegistry()
  for (const core of ["numpy.core.multiarray", "numpy._core.multiarray"]) {
    registry.register(core, "_reconstruct", () => new PickledArray())
    registry.register(core, "scalar", scalar)
  }
  // REDUCE calls these as functions, NEWOBJ constructs them: accept both.
  registry.register("numpy", "ndarray", function ndarray() { return new PickledArray() })
  registry.register("numpy", "dtype", function dtype(kind: string) { return new PickledDtype(kind) })
  registry.register("_codecs", "encode", (text: string) => latin1Bytes(text))
  return registry
}

const finish = (value: unknown): unknown => {
  if (value instanceof PickledArray) {
    return value.dtype === "|O"
      ? ({ dtype: "|O", shape: value.shape, data: (value.data as ReadonlyArray<unknown>).map(finish) } satisfies ObjectArray)
      : ({ dtype: value.dtype, shape: value.shape, data: value.data as NumericData } satisfies NdArray)
  }
  if (Array.isArray(value)) return value.map(finish)
  if (value instanceof Uint8Array || ArrayBuffer.isView(value)) return value
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = finish(v)
    return out
  }
  return value
}

/**
 * Unpickles bytes into plain JS values: dict → object, list/tuple → array, numpy array → NdArray / ObjectArray,
 * numpy scalar → number. Refuses any other Python global.
 *
 * @since 0.1.0
 * @category decoding
 */
export const unpickle = (bytes: Uint8Array, file?: string): unknown => {
  try {
    const parser = new Parser({ nameResolver: makeRegistry(), unpicklingTypeOfDictionary: "object", unpicklingTypeOfSet: "array" })
    return finish(parser.parse(bytes))
  } catch (cause) {
    throw new TrainError({
      reason: "CorruptFile",
      message: `cannot unpickle${file ? ` ${file}` : ""}: ${cause instanceof Error ? cause.message : String(cause)}`,
      ...(file ? { file } : {}),
      cause
    })
  }
}

// ---- writing -----------------------------------------------------------------------------------------------

class Writer {
  private chunks: Array<Uint8Array> = []
  byte(...values: Array<number>): void {
    this.chunks.push(Uint8Array.from(values))
  }
  raw(bytes: Uint8Array): void {
    this.chunks.push(bytes)
  }
  u32(value: number): void {
    const b = new Uint8Array(4)
    new DataView(b.buffer).setUint32(0, value, true)
    this.chunks.push(b)
  }
  text(value: string): void {
    this.raw(new TextEncoder().encode(value))
  }
  concat(): Uint8Array {
    const total = this.chunks.reduce((n, c) => n + c.byteLength, 0)
    const out = new Uint8Array(total)
    let offset = 0
    for (const c of this.chunks) {
      out.set(c, offset)
      offset += c.byteLength
    }
    return out
  }
}

const OP = {
  MARK: 0x28,
  STOP: 0x2e,
  NONE: 0x4e,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  BININT: 0x4a,
  LONG1: 0x8a,
  BINFLOAT: 0x47,
  BINUNICODE: 0x58,
  BINBYTES: 0x42,
  EMPTY_LIST: 0x5d,
  APPENDS: 0x65,
  EMPTY_DICT: 0x7d,
  SETITEMS: 0x75,
  TUPLE: 0x74,
  GLOBAL: 0x63,
  REDUCE: 0x52,
  BUILD: 0x62,
  PROTO: 0x80
} as const

const writeGlobal = (w: Writer, module: string, name: string): void => {
  w.byte(OP.GLOBAL)
  w.text(`${module}\n${name}\n`)
}

const writeString = (w: Writer, value: string): void => {
  const bytes = new TextEncoder().encode(value)
  w.byte(OP.BINUNICODE)
  w.u32(bytes.byteLength)
  w.raw(bytes)
}

const writeInt = (w: Writer, value: number | bigint): void => {
  const big = BigInt(value)
  if (big >= -(2n ** 31n) && big < 2n ** 31n) {
    w.byte(OP.BININT)
    const b = new Uint8Array(4)
    new DataView(b.buffer).setInt32(0, Number(big), true)
    w.raw(b)
    return
  }
  // LONG1: little-endian two's complement of minimal length
  const bytes: Array<number> = []
  let v = big
  for (;;) {
    bytes.push(Number(v & 0xffn))
    v >>= 8n
    const sign = (bytes[bytes.length - 1]! & 0x80) !== 0
    if ((v === 0n && !sign) || (v === -1n && sign)) break
  }
  w.byte(OP.LONG1, bytes.length, ...bytes)
}

const writeDtype = (w: Writer, dtype: NumericDtype | "|O"): void => {
  writeGlobal(w, "numpy", "dtype")
  w.byte(OP.MARK)
  writeString(w, dtype.slice(1))
  w.byte(OP.NEWFALSE, OP.NEWTRUE, OP.TUPLE, OP.REDUCE)
  w.byte(OP.MARK)
  writeInt(w, 3)
  writeString(w, dtype[0]!)
  w.byte(OP.NONE, OP.NONE, OP.NONE)
  writeInt(w, -1)
  writeInt(w, -1)
  writeInt(w, dtype === "|O" ? 63 : 0)
  w.byte(OP.TUPLE, OP.BUILD)
}

const writeArray = (w: Writer, array: NdArray | ObjectArray): void => {
  writeGlobal(w, "numpy.core.multiarray", "_reconstruct")
  w.byte(OP.MARK)
  writeGlobal(w, "numpy", "ndarray")
  w.byte(OP.MARK)
  writeInt(w, 0)
  w.byte(OP.TUPLE)
  w.byte(OP.BINBYTES)
  w.u32(1)
  w.text("b")
  w.byte(OP.TUPLE, OP.REDUCE)
  w.byte(OP.MARK)
  writeInt(w, 1)
  w.byte(OP.MARK)
  for (const d of array.shape) writeInt(w, d)
  w.byte(OP.TUPLE)
  writeDtype(w, array.dtype)
  w.byte(OP.NEWFALSE)
  if (array.dtype === "|O") {
    writeValue(w, [...(array.data as ReadonlyArray<unknown>)])
  } else {
    const bytes = bytesOf(array.data as NumericData)
    w.byte(OP.BINBYTES)
    w.u32(bytes.byteLength)
    w.raw(bytes.slice())
  }
  w.byte(OP.TUPLE, OP.BUILD)
}

const writeValue = (w: Writer, value: unknown): void => {
  if (value === null || value === undefined) return w.byte(OP.NONE)
  if (typeof value === "boolean") return w.byte(value ? OP.NEWTRUE : OP.NEWFALSE)
  if (typeof value === "bigint") return writeInt(w, value)
  if (typeof value === "number") {
    if (Number.isInteger(value) && Number.isSafeInteger(value)) return writeInt(w, value)
    const b = new Uint8Array(8)
    new DataView(b.buffer).setFloat64(0, value, false)
    w.byte(OP.BINFLOAT)
    return w.raw(b)
  }
  if (typeof value === "string") return writeString(w, value)
  if (value instanceof PyTuple) {
    w.byte(OP.MARK)
    for (const item of value.items) writeValue(w, item)
    return w.byte(OP.TUPLE)
  }
  if (Array.isArray(value)) {
    w.byte(OP.EMPTY_LIST, OP.MARK)
    for (const item of value) writeValue(w, item)
    return w.byte(OP.APPENDS)
  }
  if (isNdArray(value) || (typeof value === "object" && (value as { dtype?: unknown }).dtype === "|O")) {
    return writeArray(w, value as NdArray | ObjectArray)
  }
  if (typeof value === "object") {
    w.byte(OP.EMPTY_DICT, OP.MARK)
    for (const [k, v] of Object.entries(value)) {
      writeString(w, k)
      writeValue(w, v)
    }
    return w.byte(OP.SETITEMS)
  }
  throw new TrainError({ reason: "InvalidInput", message: `cannot pickle a value of type ${typeof value}` })
}

/**
 * Pickles plain values (null, booleans, numbers, strings, arrays → lists, `PyTuple`, plain objects → dicts with
 * string keys) and NdArray / ObjectArray (→ numpy arrays) with protocol 3.
 *
 * @since 0.1.0
 * @category encoding
 */
export const pickle = (value: unknown): Uint8Array => {
  const w = new Writer()
  w.byte(OP.PROTO, 3)
  writeValue(w, value)
  w.byte(OP.STOP)
  return w.concat()
}
