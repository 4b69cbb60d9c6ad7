/**
 * msgpack with openpi's numpy extension (`openpi_client/msgpack_numpy.py`): an ndarray travels as a map
 * `{b"__ndarray__": true, b"data": <raw bytes>, b"dtype": "<f4", b"shape": [..]}` whose keys are msgpack
 * *bin* (Python bytes), scalars as `{b"__npgeneric__": true, b"data": x, b"dtype": ..}`.
 *
 * Written here rather than on `@msgpack/msgpack` because that library neither encodes bin map keys (a
 * Python client would not recognise the arrays) nor decodes them. The decoder is hardened for hostile
 * input: bounds-checked reads, a depth limit, no extension types, null-prototype maps.
 *
 * @since 0.1.0
 */

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

/**
 * Thrown for malformed msgpack or an unsupported array.
 *
 * @since 0.1.0
 * @category errors
 */
export class MsgpackError extends Error {
  override readonly name = "MsgpackError"
}

const DTYPE = /^([<>|=])([fiub])(1|2|4|8)$/

const parseDtype = (dtype: string): { kind: "f" | "i" | "u" | "b"; bytes: number; little: boolean } => {
  const m = DTYPE.exec(dtype)
  if (m === null || (m[2] === "f" && m[3] !== "4" && m[3] !== "8")) throw new MsgpackError(`unsupported dtype '${dtype}'`)
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
const textDecoder = new TextDecoder("utf-8", { fatal: true })

class Writer {
  buf = new Uint8Array(256)
  view = new DataView(this.buf.buffer)
  pos = 0
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
    this.view = new DataView(next.buffer)
  }
  u8(v: number): void {
    this.ensure(1)
    this.buf[this.pos++] = v
  }
  head(tag: number, width: 1 | 2 | 4 | 8, v: number): void {
    this.ensure(1 + width)
    this.buf[this.pos++] = tag
    if (width === 1) this.view.setUint8(this.pos, v)
    else if (width === 2) this.view.setUint16(this.pos, v)
    else if (width === 4) this.view.setUint32(this.pos, v)
    else this.view.setFloat64(this.pos, v)
    this.pos += width
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
  }
}

const writeStr = (w: Writer, s: string): void => {
  const b = textEncoder.encode(s)
  if (b.length < 32) w.u8(0xa0 | b.length)
  else if (b.length < 0x100) w.head(0xd9, 1, b.length)
  else if (b.length < 0x10000) w.head(0xda, 2, b.length)
  else w.head(0xdb, 4, b.length)
  w.bytes(b)
}

const writeBin = (w: Writer, b: Uint8Array): void => {
  if (b.length < 0x100) w.head(0xc4, 1, b.length)
  else if (b.length < 0x10000) w.head(0xc5, 2, b.length)
  else w.head(0xc6, 4, b.length)
  w.bytes(b)
}

const writeMapHead = (w: Writer, n: number): void => {
  if (n < 16) w.u8(0x80 | n)
  else if (n < 0x10000) w.head(0xde, 2, n)
  else w.head(0xdf, 4, n)
}

const writeNumber = (w: Writer, v: number): void => {
  if (Number.isInteger(v) && v >= 0 && v < 0x100000000) {
    if (v < 128) w.u8(v)
    else if (v < 0x100) w.head(0xcc, 1, v)
    else if (v < 0x10000) w.head(0xcd, 2, v)
    else w.head(0xce, 4, v)
  } else if (Number.isInteger(v) && v < 0 && v >= -32) {
    w.u8(v & 0xff)
  } else if (Number.isInteger(v) && v < 0 && v >= -0x80000000) {
    w.ensure(5)
    w.buf[w.pos++] = 0xd2
    w.view.setInt32(w.pos, v)
    w.pos += 4
  } else {
    w.head(0xcb, 8, v)
  }
}

const writeValue = (w: Writer, v: unknown, depth: number): void => {
  if (depth > 64) throw new MsgpackError("value nested too deeply")
  if (v === null || v === undefined) w.u8(0xc0)
  else if (v === true) w.u8(0xc3)
  else if (v === false) w.u8(0xc2)
  else if (typeof v === "number") writeNumber(w, v)
  else if (typeof v === "string") writeStr(w, v)
  else if (v instanceof NdArray) {
    // Keys as bin, as Python's msgpack packs `bytes`, so openpi's unpack_array recognises the array.
    writeMapHead(w, 4)
    writeBin(w, textEncoder.encode("__ndarray__"))
    w.u8(0xc3)
    writeBin(w, textEncoder.encode("data"))
    writeBin(w, v.data)
    writeBin(w, textEncoder.encode("dtype"))
    writeStr(w, v.dtype)
    writeBin(w, textEncoder.encode("shape"))
    writeValue(w, v.shape, depth + 1)
  } else if (v instanceof Uint8Array) writeBin(w, v)
  else if (Array.isArray(v)) {
    if (v.length < 16) w.u8(0x90 | v.length)
    else if (v.length < 0x10000) w.head(0xdc, 2, v.length)
    else w.head(0xdd, 4, v.length)
    for (const item of v) writeValue(w, item, depth + 1)
  } else if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined)
    writeMapHead(w, entries.length)
    for (const [k, x] of entries) {
      writeStr(w, k)
      writeValue(w, x, depth + 1)
    }
  } else throw new MsgpackError(`cannot encode a ${typeof v}`)
}

/**
 * Encodes a value; `NdArray`s become openpi ndarray maps.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (value: unknown): Uint8Array => {
  const w = new Writer()
  writeValue(w, value, 0)
  return w.buf.slice(0, w.pos)
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

class Reader {
  pos = 0
  readonly view: DataView
  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }
  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new MsgpackError("truncated msgpack data")
  }
  u8(): number {
    this.need(1)
    return this.buf[this.pos++]!
  }
  u16(): number {
    this.need(2)
    const v = this.view.getUint16(this.pos)
    this.pos += 2
    return v
  }
  u32(): number {
    this.need(4)
    const v = this.view.getUint32(this.pos)
    this.pos += 4
    return v
  }
  take(n: number): Uint8Array {
    this.need(n)
    const b = this.buf.slice(this.pos, this.pos + n)
    this.pos += n
    return b
  }
}

const readStr = (r: Reader, n: number): string => {
  try {
    return textDecoder.decode(r.take(n))
  } catch {
    throw new MsgpackError("invalid UTF-8 in a string")
  }
}

const readArray = (r: Reader, n: number, depth: number, maxDepth: number): Array<unknown> => {
  // Each element takes at least one byte, so a length beyond the remaining bytes is a lie.
  if (n > r.buf.length - r.pos) throw new MsgpackError("truncated msgpack data")
  const out = new Array<unknown>(n)
  for (let i = 0; i < n; i++) out[i] = readValue(r, depth + 1, maxDepth)
  return out
}

const readMap = (r: Reader, n: number, depth: number, maxDepth: number): unknown => {
  if (n * 2 > r.buf.length - r.pos) throw new MsgpackError("truncated msgpack data")
  const out: Record<string, unknown> = Object.create(null)
  for (let i = 0; i < n; i++) {
    const key = readValue(r, depth + 1, maxDepth)
    // Python bytes keys (openpi's b"__ndarray__") arrive as bin; treat them as their UTF-8 text.
    const name = key instanceof Uint8Array ? safeText(key) : typeof key === "string" || typeof key === "number" ? String(key) : undefined
    if (name === undefined) throw new MsgpackError("map keys must be strings, bytes or numbers")
    out[name] = readValue(r, depth + 1, maxDepth)
  }
  return liftNumpy(out)
}

const safeText = (b: Uint8Array): string => {
  try {
    return textDecoder.decode(b)
  } catch {
    throw new MsgpackError("invalid UTF-8 in a map key")
  }
}

const liftNumpy = (m: Record<string, unknown>): unknown => {
  if (m["__ndarray__"] === true) {
    const { data, dtype, shape } = m
    if (!(data instanceof Uint8Array) || typeof dtype !== "string" || !Array.isArray(shape)) {
      throw new MsgpackError("malformed ndarray: needs data (bytes), dtype (str) and shape (list)")
    }
    if (!shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0) || shape.length > 8) {
      throw new MsgpackError("malformed ndarray: shape must be at most 8 non-negative integers")
    }
    const { bytes } = parseDtype(dtype)
    const size = (shape as Array<number>).reduce((a, b) => a * b, 1)
    if (size * bytes !== data.length) {
      throw new MsgpackError(`malformed ndarray: shape [${shape.join(", ")}] of ${dtype} needs ${size * bytes} bytes, got ${data.length}`)
    }
    return new NdArray(data, dtype, shape as Array<number>)
  }
  if (m["__npgeneric__"] === true) {
    const { data, dtype } = m
    if (typeof dtype !== "string") throw new MsgpackError("malformed numpy scalar: dtype must be a string")
    parseDtype(dtype)
    if (typeof data !== "number" && typeof data !== "boolean") throw new MsgpackError("malformed numpy scalar")
    return typeof data === "boolean" ? (data ? 1 : 0) : data
  }
  return m
}

const readValue = (r: Reader, depth: number, maxDepth: number): unknown => {
  if (depth > maxDepth) throw new MsgpackError(`msgpack data nested deeper than ${maxDepth}`)
  const b = r.u8()
  if (b <= 0x7f) return b
  if (b >= 0xe0) return b - 0x100
  if ((b & 0xe0) === 0xa0) return readStr(r, b & 0x1f)
  if ((b & 0xf0) === 0x90) return readArray(r, b & 0x0f, depth, maxDepth)
  if ((b & 0xf0) === 0x80) return readMap(r, b & 0x0f, depth, maxDepth)
  switch (b) {
    case 0xc0:
      return null
    case 0xc2:
      return false
    case 0xc3:
      return true
    case 0xc4:
      return r.take(r.u8())
    case 0xc5:
      return r.take(r.u16())
    case 0xc6:
      return r.take(r.u32())
    case 0xca: {
      r.need(4)
      const v = r.view.getFloat32(r.pos)
      r.pos += 4
      return v
    }
    case 0xcb: {
      r.need(8)
      const v = r.view.getFloat64(r.pos)
      r.pos += 8
      return v
    }
    case 0xcc:
      return r.u8()
    case 0xcd:
      return r.u16()
    case 0xce:
      return r.u32()
    case 0xcf: {
      r.need(8)
      const v = Number(r.view.getBigUint64(r.pos))
      r.pos += 8
      return v
    }
    case 0xd0: {
      r.need(1)
      return r.view.getInt8(r.pos++)
    }
    case 0xd1: {
      r.need(2)
      const v = r.view.getInt16(r.pos)
      r.pos += 2
      return v
    }
    case 0xd2: {
      r.need(4)
      const v = r.view.getInt32(r.pos)
      r.pos += 4
      return v
    }
    case 0xd3: {
      r.need(8)
      const v = Number(r.view.getBigInt64(r.pos))
      r.pos += 8
      return v
    }
    case 0xd9:
      return readStr(r, r.u8())
    case 0xda:
      return readStr(r, r.u16())
    case 0xdb:
      return readStr(r, r.u32())
    case 0xdc:
      return readArray(r, r.u16(), depth, maxDepth)
    case 0xdd:
      return readArray(r, r.u32(), depth, maxDepth)
    case 0xde:
      return readMap(r, r.u16(), depth, maxDepth)
    case 0xdf:
      return readMap(r, r.u32(), depth, maxDepth)
    default:
      throw new MsgpackError(`unsupported msgpack type 0x${b.toString(16)} (extension types are not accepted)`)
  }
}

/**
 * Decodes one msgpack value that must fill `bytes` exactly; ndarray maps become `NdArray`s.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (bytes: Uint8Array, options: DecodeOptions = {}): unknown => {
  const r = new Reader(bytes)
  const value = readValue(r, 0, options.maxDepth ?? 32)
  if (r.pos !== bytes.length) throw new MsgpackError("trailing bytes after the msgpack value")
  return value
}
