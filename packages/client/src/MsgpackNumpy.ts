/**
 * msgpack with openpi's numpy extension (`openpi_client/msgpack_numpy.py`): an ndarray travels as a map
 * `{b"__ndarray__": true, b"data": <raw bytes>, b"dtype": "<f4", b"shape": [..]}` whose keys are msgpack
 * *bin* (Python bytes), scalars as `{b"__npgeneric__": true, b"data": x, b"dtype": ..}`.
 *
 * The msgpack itself is done by maintained libraries; this module keeps only the numpy layer and the limits.
 * - Decoding uses `@msgpack/msgpack`: it builds values without recursion, takes per-container length limits
 *   (set to the message size, so a length that claims more items than there are bytes fails at once), turns bin
 *   map keys into text through `mapKeyConverter`, and refuses `__proto__` keys. Extension types are refused
 *   (`maxExtLength: 0`), maps become null-prototype objects, and nesting and UTF-8 are checked from the headers
 *   before decoding (`checkHeaders`), since a deep message would otherwise build one container per byte first.
 * - Encoding uses `msgpackr`, which writes a `Map`'s `Uint8Array` keys as bin, as openpi's `unpack_array` needs
 *   (`@msgpack/msgpack` writes only string keys, which a Python client would not recognise as an array).
 *
 * @since 0.1.0
 */
import { Decoder } from "@msgpack/msgpack"
import { Packr } from "msgpackr"
import { ClientError } from "./ClientError.ts"

/**
 * A numpy array on the wire: raw bytes in the dtype's byte order, row-major.
 *
 * @since 0.1.0
 * @category models
 */
export class NdArray {
  constructor(
    readonly data: Uint8Array,
    readonly dtype: string,
    readonly shape: ReadonlyArray<number>
  ) {}

  static fromFloat32(values: Float32Array, shape: ReadonlyArray<number>): NdArray {
    return new NdArray(new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)), "<f4", shape)
  }

  static fromFloat64(values: Float64Array, shape: ReadonlyArray<number>): NdArray {
    return new NdArray(new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)), "<f8", shape)
  }

  static fromUint8(values: Uint8Array, shape: ReadonlyArray<number>): NdArray {
    return new NdArray(values, "|u1", shape)
  }

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1)
  }

  /** The values as plain numbers (any integer, float or bool dtype, either byte order). */
  toNumbers(): Array<number> {
    const { kind, bytes, little } = parseDtype(this.dtype)
    const view = new DataView(this.data.buffer, this.data.byteOffset, this.data.byteLength)
    const out = new Array<number>(this.size)
    for (let i = 0; i < out.length; i++) out[i] = readScalar(view, i * bytes, kind, bytes, little)
    return out
  }
}

const invalid = (message: string) => new ClientError({ reason: "InvalidMsgpack", message })

const DTYPE = /^([<>|=])([fiub])(1|2|4|8)$/

const parseDtype = (dtype: string): { kind: "f" | "i" | "u" | "b"; bytes: number; little: boolean } => {
  const m = DTYPE.exec(dtype)
  if (m === null || (m[2] === "f" && m[3] !== "4" && m[3] !== "8")) throw invalid(`unsupported dtype '${dtype}'`)
  return { kind: m[2] as "f" | "i" | "u" | "b", bytes: Number(m[3]), little: m[1] !== ">" }
}

const readScalar = (view: DataView, at: number, kind: string, bytes: number, little: boolean): number => {
  if (kind === "f") return bytes === 4 ? view.getFloat32(at, little) : view.getFloat64(at, little)
  if (kind === "b") return view.getUint8(at) === 0 ? 0 : 1
  if (kind === "u") {
    return bytes === 1 ? view.getUint8(at) : bytes === 2 ? view.getUint16(at, little) : bytes === 4 ? view.getUint32(at, little) : Number(view.getBigUint64(at, little))
  }
  return bytes === 1 ? view.getInt8(at) : bytes === 2 ? view.getInt16(at, little) : bytes === 4 ? view.getInt32(at, little) : Number(view.getBigInt64(at, little))
}

// ---------------------------------------------------------------------------------------------- encode

const textEncoder = new TextEncoder()
const NDARRAY_KEYS = ["__ndarray__", "data", "dtype", "shape"].map((k) => textEncoder.encode(k)) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array]
const MAX_ENCODE_DEPTH = 64

// Plain maps sized to their entries (fixmap when small), no msgpackr records, undefined as nil.
const packr = new Packr({ useRecords: false, variableMapSize: true, encodeUndefinedAsNil: true })

/** NdArrays → `Map`s with bin keys; objects lose `undefined` members (as in JSON). */
const toPackable = (value: unknown, depth: number): unknown => {
  if (depth > MAX_ENCODE_DEPTH) throw invalid("value nested too deeply")
  if (value instanceof NdArray) {
    const [ndarray, data, dtype, shape] = NDARRAY_KEYS
    return new Map<Uint8Array, unknown>([[ndarray, true], [data, value.data], [dtype, value.dtype], [shape, [...value.shape]]])
  }
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) {
    if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") throw invalid(`cannot encode a ${typeof value}`)
    return value
  }
  if (Array.isArray(value)) return value.map((item) => toPackable(item, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = toPackable(item, depth + 1)
  return out
}

/**
 * Encodes a value; `NdArray`s become openpi ndarray maps.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (value: unknown): Uint8Array => {
  const packed = packr.pack(toPackable(value, 0))
  return new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength)
}

// ---------------------------------------------------------------------------------------------- decode

/**
 * @since 0.1.0
 * @category models
 */
export interface DecodeOptions {
  /** Deepest nesting of arrays and maps accepted. */
  readonly maxDepth?: number
}

const strictText = new TextDecoder("utf-8", { fatal: true })

const keyText = (key: unknown): string | number => {
  if (typeof key === "string" || typeof key === "number") return key
  // Python bytes keys (openpi's b"__ndarray__") arrive as bin; treat them as their UTF-8 text.
  if (key instanceof Uint8Array) {
    try {
      return strictText.decode(key)
    } catch {
      throw invalid("invalid UTF-8 in a map key")
    }
  }
  throw invalid("map keys must be strings, bytes or numbers")
}

/**
 * Reads a message's headers without building values and refuses what the decoder would accept but this codec
 * must not: nesting deeper than `maxDepth` (the decoder has no depth option, so a deep message would be built
 * first, one container per byte) and strings that are not valid UTF-8 (the decoder would pass them through as
 * mojibake). Bin payloads are skipped, so the cost is one pass over the headers and the strings.
 */
const checkHeaders = (bytes: Uint8Array, maxDepth: number): void => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const open: Array<number> = [] // values still to read in each open array/map
  let pos = 0
  const length = (width: 1 | 2 | 4): number => {
    if (pos + width > bytes.length) return Number.POSITIVE_INFINITY
    const n = width === 1 ? view.getUint8(pos) : width === 2 ? view.getUint16(pos) : view.getUint32(pos)
    pos += width
    return n
  }
  while (pos < bytes.length) {
    const b = bytes[pos++]!
    let children = 0
    let skip = 0
    let text = false
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) skip = 0
    else if ((b & 0xe0) === 0xa0) [skip, text] = [b & 0x1f, true]
    else if ((b & 0xf0) === 0x90) children = b & 0x0f
    else if ((b & 0xf0) === 0x80) children = (b & 0x0f) * 2
    else if (b === 0xc4) skip = length(1)
    else if (b === 0xc5) skip = length(2)
    else if (b === 0xc6) skip = length(4)
    else if (b === 0xd9) [skip, text] = [length(1), true]
    else if (b === 0xda) [skip, text] = [length(2), true]
    else if (b === 0xdb) [skip, text] = [length(4), true]
    else if (b === 0xcc || b === 0xd0) skip = 1
    else if (b === 0xcd || b === 0xd1) skip = 2
    else if (b === 0xca || b === 0xce || b === 0xd2) skip = 4
    else if (b === 0xcb || b === 0xcf || b === 0xd3) skip = 8
    else if (b === 0xdc) children = length(2)
    else if (b === 0xdd) children = length(4)
    else if (b === 0xde) children = length(2) * 2
    else if (b === 0xdf) children = length(4) * 2
    else return // an extension or reserved byte: the decoder refuses it
    if (text && pos + skip <= bytes.length) {
      try {
        strictText.decode(bytes.subarray(pos, pos + skip))
      } catch {
        throw invalid("invalid UTF-8 in a string")
      }
    }
    pos += skip
    if (children > 0) {
      open.push(children)
      if (open.length > maxDepth) throw invalid(`msgpack data nested deeper than ${maxDepth}`)
      continue
    }
    // One value is complete: close every container it completes.
    while (open.length > 0) {
      const left = open[open.length - 1]! - 1
      if (left > 0) {
        open[open.length - 1] = left
        break
      }
      open.pop()
    }
  }
}

/** Null-prototype maps, openpi ndarray/scalar maps lifted to `NdArray`s and numbers, extension values refused. */
const liftNumpy = (value: unknown): unknown => {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = liftNumpy(value[i])
    return value
  }
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return value
  if (Object.getPrototypeOf(value) !== Object.prototype) throw invalid("extension types are not accepted")
  const m: Record<string, unknown> = Object.create(null)
  for (const [key, item] of Object.entries(value)) m[key] = liftNumpy(item)
  if (m["__ndarray__"] === true) {
    const { data, dtype, shape } = m
    if (!(data instanceof Uint8Array) || typeof dtype !== "string" || !Array.isArray(shape)) {
      throw invalid("malformed ndarray: needs data (bytes), dtype (str) and shape (list)")
    }
    if (!shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0) || shape.length > 8) {
      throw invalid("malformed ndarray: shape must be at most 8 non-negative integers")
    }
    const { bytes } = parseDtype(dtype)
    const size = (shape as Array<number>).reduce((a, b) => a * b, 1)
    if (size * bytes !== data.length) {
      throw invalid(`malformed ndarray: shape [${shape.join(", ")}] of ${dtype} needs ${size * bytes} bytes, got ${data.length}`)
    }
    // A copy: the decoder's bytes view the whole message, which a worker `postMessage` would clone entire.
    return new NdArray(data.slice(), dtype, shape as Array<number>)
  }
  if (m["__npgeneric__"] === true) {
    const { data, dtype } = m
    if (typeof dtype !== "string") throw invalid("malformed numpy scalar: dtype must be a string")
    parseDtype(dtype)
    if (typeof data !== "number" && typeof data !== "boolean") throw invalid("malformed numpy scalar")
    return typeof data === "boolean" ? (data ? 1 : 0) : data
  }
  return m
}

/**
 * Decodes one msgpack value that must fill `bytes` exactly; ndarray maps become `NdArray`s. Fails with
 * `ClientError` reason `InvalidMsgpack`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (bytes: Uint8Array, options: DecodeOptions = {}): unknown => {
  const maxDepth = options.maxDepth ?? 32
  if (bytes.length === 0) throw invalid("empty message")
  checkHeaders(bytes, maxDepth)
  const decoder = new Decoder({
    maxStrLength: bytes.length,
    maxBinLength: bytes.length,
    maxArrayLength: bytes.length,
    maxMapLength: bytes.length,
    maxExtLength: 0,
    mapKeyConverter: keyText
  })
  let value: unknown
  try {
    value = decoder.decode(bytes)
  } catch (error) {
    if (error instanceof ClientError) throw error
    throw invalid(error instanceof Error ? error.message : "not msgpack")
  }
  return liftNumpy(value)
}
