/**
 * Reading and writing the safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON
 * header `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: { key: string } }`, then the
 * raw little-endian tensor bytes. Checkpoints (weights + config) and ONNX export inputs use it, so a model
 * trained here opens in PyTorch and the other way round.
 *
 * Reading copies every tensor out of the file buffer into its own (aligned) typed array: no tensor shares memory
 * with another or with the file. F16 and BF16 are widened to float32; I64 stays exact as `BigInt64Array`
 * (`int64ToNumbers` converts where safe). A corrupt or truncated file fails with `SdkError` reason
 * `"CorruptFile"`, naming the file and what is wrong.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Schema } from "effect"
import { SdkError } from "./SdkError.ts"
import type { FloatTensor } from "./Tensor.ts"
import { DTYPES, sizeOf } from "./Tensor.ts"

/**
 * The dtypes this module reads and writes.
 *
 * @since 0.1.0
 * @category models
 */
export const SafetensorsDtype = Schema.Literals(["F32", "F16", "BF16", "I32", "I64", "U8", "BOOL"])

/**
 * @since 0.1.0
 * @category models
 */
export type SafetensorsDtype = typeof SafetensorsDtype.Type

/** Bytes per element, by dtype (from the SDK's one dtype table). */
const BYTES_PER_ELEMENT = Object.fromEntries(
  Object.values(DTYPES).flatMap((d) => (d.safetensors === undefined ? [] : [[d.safetensors, d.bytes]]))
) as Record<SafetensorsDtype, number>

/**
 * The in-memory array for each dtype: floats (F32, F16, BF16) as `Float32Array`, I32 as `Int32Array`, I64 as
 * `BigInt64Array`, U8 and BOOL (0/1) as `Uint8Array`.
 *
 * @since 0.1.0
 * @category models
 */
export type SafetensorsData = Float32Array | Int32Array | BigInt64Array | Uint8Array

/**
 * One tensor as read from, or to be written to, a safetensors file.
 *
 * @since 0.1.0
 * @category models
 */
export interface SafetensorsTensor {
  /** Storage dtype in the file. Omitted when writing: inferred from the array type (Float32Array → F32 …). */
  readonly dtype: SafetensorsDtype
  readonly shape: ReadonlyArray<number>
  readonly data: SafetensorsData
}

/**
 * A tensor to write: `dtype` is optional (inferred from the array) and float dtypes also accept plain numbers.
 *
 * @since 0.1.0
 * @category models
 */
export interface SafetensorsInput {
  readonly dtype?: SafetensorsDtype
  readonly shape: ReadonlyArray<number>
  readonly data: SafetensorsData | ReadonlyArray<number>
}

/**
 * The decoded contents of a safetensors file: tensors in file order plus the string metadata.
 *
 * @since 0.1.0
 * @category models
 */
export interface SafetensorsFile {
  readonly tensors: ReadonlyMap<string, SafetensorsTensor>
  readonly metadata: Readonly<Record<string, string>>
}

/** The largest header we accept (the reference implementation's limit is 100 MB). */
const MAX_HEADER_BYTES = 100_000_000

const TensorInfo = Schema.Struct({
  dtype: Schema.String,
  shape: Schema.Array(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  data_offsets: Schema.Tuple([
    Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
    Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
  ])
})
const decodeTensorInfo = Schema.decodeUnknownResult(TensorInfo)
const Metadata = Schema.Record(Schema.String, Schema.String)
const decodeMetadata = Schema.decodeUnknownResult(Metadata)
const isDtype = Schema.is(SafetensorsDtype)

const corrupt = (source: string, why: string): SdkError =>
  new SdkError({ reason: "CorruptFile", subject: source, message: `${source}: not a valid safetensors file: ${why}` })

// ---------------------------------------------------------------------------------------------------------------
// half-precision conversions
// ---------------------------------------------------------------------------------------------------------------

const f32Scratch = new Float32Array(1)
const u32Scratch = new Uint32Array(f32Scratch.buffer)

/**
 * IEEE 754 binary16 bits → number.
 *
 * @since 0.1.0
 * @category conversions
 */
export const f16ToF32 = (bits: number): number => {
  const sign = bits & 0x8000 ? -1 : 1
  const exponent = (bits >> 10) & 0x1f
  const fraction = bits & 0x3ff
  if (exponent === 0) return sign * fraction * 2 ** -24
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15)
}

/**
 * number → IEEE 754 binary16 bits, rounding to nearest even; overflow becomes ±Infinity.
 *
 * @since 0.1.0
 * @category conversions
 */
export const f32ToF16 = (value: number): number => {
  f32Scratch[0] = value
  const x = u32Scratch[0]!
  const sign = (x >>> 16) & 0x8000
  const exponent = (x >>> 23) & 0xff
  let mantissa = x & 0x7fffff
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0)
  let e = exponent - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    if (e < -10) return sign
    mantissa |= 0x800000
    const shift = 14 - e
    const half = 1 << (shift - 1)
    let rounded = mantissa >> shift
    const rest = mantissa & ((1 << shift) - 1)
    if (rest > half || (rest === half && (rounded & 1) === 1)) rounded++
    return sign | rounded
  }
  let rounded = mantissa >> 13
  const rest = mantissa & 0x1fff
  if (rest > 0x1000 || (rest === 0x1000 && (rounded & 1) === 1)) {
    rounded++
    if (rounded === 0x400) {
      rounded = 0
      e++
      if (e >= 0x1f) return sign | 0x7c00
    }
  }
  return sign | (e << 10) | rounded
}

let f16Lookup: Float32Array | undefined

/** All 65536 half-precision values as float32, built on first use (256 KB): decoding becomes one lookup. */
const f16Table = (): Float32Array => {
  if (f16Lookup === undefined) {
    f16Lookup = new Float32Array(65536)
    for (let bits = 0; bits < 65536; bits++) f16Lookup[bits] = f16ToF32(bits)
  }
  return f16Lookup
}

const bf16ToF32 = (bits: number): number => {
  u32Scratch[0] = bits << 16
  return f32Scratch[0]!
}

const f32ToBf16 = (value: number): number => {
  f32Scratch[0] = value
  const x = u32Scratch[0]!
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff // keep NaN a NaN
  const roundingBias = 0x7fff + ((x >>> 16) & 1)
  return ((x + roundingBias) >>> 16) & 0xffff
}

// ---------------------------------------------------------------------------------------------------------------
// reading
// ---------------------------------------------------------------------------------------------------------------

/** Typed arrays use the platform's byte order; on little-endian hosts (all Node targets) a byte copy suffices. */
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

const decodeData = (dtype: SafetensorsDtype, bytes: Uint8Array, count: number): SafetensorsData => {
  if (LITTLE_ENDIAN_HOST) {
    // copy into a fresh, aligned buffer: fast, and no tensor shares memory with the file. (Not `bytes.slice()`:
    // on a Node Buffer that is a view into the shared pool.)
    if (dtype === "F32") return new Float32Array(new Uint8Array(bytes).buffer, 0, count)
    if (dtype === "I32") return new Int32Array(new Uint8Array(bytes).buffer, 0, count)
    if (dtype === "I64") return new BigInt64Array(new Uint8Array(bytes).buffer, 0, count)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  switch (dtype) {
    case "F32": {
      const out = new Float32Array(count)
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true)
      return out
    }
    case "F16": {
      const table = f16Table()
      const out = new Float32Array(count)
      for (let i = 0; i < count; i++) out[i] = table[view.getUint16(i * 2, true)]!
      return out
    }
    case "BF16": {
      const out = new Float32Array(count)
      for (let i = 0; i < count; i++) out[i] = bf16ToF32(view.getUint16(i * 2, true))
      return out
    }
    case "I32": {
      const out = new Int32Array(count)
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true)
      return out
    }
    case "I64": {
      const out = new BigInt64Array(count)
      for (let i = 0; i < count; i++) out[i] = view.getBigInt64(i * 8, true)
      return out
    }
    case "U8":
    case "BOOL":
      return new Uint8Array(bytes)
  }
}

/**
 * Parses safetensors bytes. Throws `SdkError` (`"CorruptFile"`) when the bytes are not a valid file;
 * `source` names the file in the message.
 *
 * @since 0.1.0
 * @category decoding
 */
export const parseSafetensors = (bytes: Uint8Array, source = "<bytes>"): SafetensorsFile => {
  if (bytes.byteLength < 8) throw corrupt(source, `file is ${bytes.byteLength} bytes, shorter than the 8-byte header length`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLength = view.getBigUint64(0, true)
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw corrupt(source, `header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`)
  }
  const headerBytes = Number(headerLength)
  if (8 + headerBytes > bytes.byteLength) {
    throw corrupt(source, `header declares ${headerBytes} bytes but only ${bytes.byteLength - 8} follow (truncated)`)
  }
  let header: unknown
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerBytes)))
  } catch (cause) {
    throw corrupt(source, `header is not valid UTF-8 JSON (${cause instanceof Error ? cause.message : String(cause)})`)
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw corrupt(source, "header is not a JSON object")
  }
  const dataStart = 8 + headerBytes
  const dataLength = bytes.byteLength - dataStart
  let metadata: Record<string, string> = {}
  const entries: Array<{ name: string; dtype: SafetensorsDtype; shape: Array<number>; begin: number; end: number }> = []
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") {
      const decoded = decodeMetadata(raw)
      if (decoded._tag === "Failure") throw corrupt(source, `__metadata__ must map strings to strings: ${decoded.failure.message}`)
      metadata = { ...decoded.success }
      continue
    }
    const decoded = decodeTensorInfo(raw)
    if (decoded._tag === "Failure") throw corrupt(source, `tensor "${name}": ${decoded.failure.message}`)
    const { dtype, shape, data_offsets: [begin, end] } = decoded.success
    if (!isDtype(dtype)) {
      throw corrupt(source, `tensor "${name}" has unsupported dtype ${dtype} (supported: ${SafetensorsDtype.literals.join(", ")})`)
    }
    if (end < begin) throw corrupt(source, `tensor "${name}" has data_offsets [${begin}, ${end}] with end before begin`)
    const expected = sizeOf(shape) * BYTES_PER_ELEMENT[dtype]
    if (end - begin !== expected) {
      throw corrupt(
        source,
        `tensor "${name}" (${dtype} [${shape.join(", ")}]) needs ${expected} bytes but data_offsets span ${end - begin}`
      )
    }
    if (end > dataLength) {
      throw corrupt(source, `tensor "${name}" ends at data byte ${end} but the file has only ${dataLength} data bytes (truncated)`)
    }
    entries.push({ name, dtype, shape: [...shape], begin, end })
  }
  // The reference implementation requires the tensors to tile the data section exactly, in some order.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)
  let cursor = 0
  for (const entry of byOffset) {
    if (entry.begin !== cursor) {
      throw corrupt(source, `tensor "${entry.name}" starts at data byte ${entry.begin}, expected ${cursor} (gap or overlap)`)
    }
    cursor = entry.end
  }
  if (cursor !== dataLength) {
    throw corrupt(source, `tensors cover ${cursor} data bytes but the file has ${dataLength} (trailing bytes)`)
  }
  const tensors = new Map<string, SafetensorsTensor>()
  for (const entry of entries) {
    const slice = bytes.subarray(dataStart + entry.begin, dataStart + entry.end)
    tensors.set(entry.name, { dtype: entry.dtype, shape: entry.shape, data: decodeData(entry.dtype, slice, sizeOf(entry.shape)) })
  }
  return { tensors, metadata }
}

const readBytes = (file: string): Uint8Array => {
  try {
    return fs.readFileSync(file)
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    throw new SdkError({
      reason: code === "ENOENT" ? "WeightsNotFound" : "CorruptFile",
      subject: file,
      message: code === "ENOENT" ? `${file}: no such file` : `${file}: cannot read (${String(cause)})`,
      cause
    })
  }
}

/**
 * Reads safetensors from bytes or from a file path, synchronously. Throws `SdkError`: `"WeightsNotFound"` for a
 * missing file, `"CorruptFile"` for an invalid one.
 *
 * @since 0.1.0
 * @category decoding
 */
export const readSafetensorsSync = (input: Uint8Array | string): SafetensorsFile =>
  typeof input === "string" ? parseSafetensors(readBytes(input), input) : parseSafetensors(input)

const toSdkError = (cause: unknown): SdkError =>
  cause instanceof SdkError
    ? cause
    : new SdkError({ reason: "CorruptFile", message: `safetensors: ${String(cause)}`, cause })

/**
 * Reads safetensors from bytes or from a file path.
 *
 * @since 0.1.0
 * @category decoding
 */
export const readSafetensors = (input: Uint8Array | string): Effect.Effect<SafetensorsFile, SdkError> =>
  Effect.try({ try: () => readSafetensorsSync(input), catch: toSdkError })

/**
 * Reads a safetensors file.
 *
 * @since 0.1.0
 * @category decoding
 */
export const readSafetensorsFile = (file: string): Effect.Effect<SafetensorsFile, SdkError> => readSafetensors(file)

// ---------------------------------------------------------------------------------------------------------------
// writing
// ---------------------------------------------------------------------------------------------------------------

const inferDtype = (name: string, data: SafetensorsInput["data"]): SafetensorsDtype => {
  if (data instanceof Float32Array || Array.isArray(data)) return "F32"
  if (data instanceof Int32Array) return "I32"
  if (data instanceof BigInt64Array) return "I64"
  if (data instanceof Uint8Array) return "U8"
  throw new SdkError({ reason: "InvalidInput", subject: name, message: `tensor "${name}": cannot infer a dtype for its data` })
}

const encodeData = (name: string, dtype: SafetensorsDtype, data: SafetensorsInput["data"], out: DataView): void => {
  const fail = (why: string) =>
    new SdkError({ reason: "InvalidInput", subject: name, message: `tensor "${name}" (${dtype}): ${why}` })
  const count = data.length
  const sameLayout =
    (dtype === "F32" && data instanceof Float32Array) ||
    (dtype === "I32" && data instanceof Int32Array) ||
    (dtype === "I64" && data instanceof BigInt64Array)
  if (LITTLE_ENDIAN_HOST && sameLayout) {
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    return
  }
  switch (dtype) {
    case "F32":
    case "F16":
    case "BF16": {
      if (data instanceof BigInt64Array) throw fail("float dtypes need numbers, got a BigInt64Array")
      const values = data as ArrayLike<number>
      for (let i = 0; i < count; i++) {
        const v = values[i]!
        if (dtype === "F32") out.setFloat32(i * 4, v, true)
        else out.setUint16(i * 2, dtype === "F16" ? f32ToF16(v) : f32ToBf16(v), true)
      }
      return
    }
    case "I32": {
      if (data instanceof BigInt64Array) throw fail("I32 needs numbers, got a BigInt64Array")
      const values = data as ArrayLike<number>
      for (let i = 0; i < count; i++) {
        const v = values[i]!
        if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw fail(`value ${v} at ${i} is not an int32`)
        out.setInt32(i * 4, v, true)
      }
      return
    }
    case "I64": {
      for (let i = 0; i < count; i++) {
        const v = data[i]!
        if (typeof v === "number" && !Number.isSafeInteger(v)) throw fail(`value ${v} at ${i} is not a safe integer`)
        out.setBigInt64(i * 8, BigInt(v), true)
      }
      return
    }
    case "U8":
    case "BOOL": {
      if (data instanceof BigInt64Array) throw fail("needs numbers, got a BigInt64Array")
      const values = data as ArrayLike<number>
      for (let i = 0; i < count; i++) {
        const v = values[i]!
        if (dtype === "BOOL" ? v !== 0 && v !== 1 : !Number.isInteger(v) || v < 0 || v > 255) {
          throw fail(`value ${v} at ${i} is out of range`)
        }
        out.setUint8(i, v)
      }
      return
    }
  }
}

const isMap = (value: unknown): value is ReadonlyMap<string, SafetensorsInput> => value instanceof Map

/**
 * Serializes tensors (in the given order) and string metadata to safetensors bytes. The header is padded with
 * spaces to a multiple of 8 bytes, as the reference implementation does. Throws `SdkError` (`"ShapeMismatch"`
 * or `"InvalidInput"`) for data that does not fit its shape or dtype.
 *
 * @since 0.1.0
 * @category encoding
 */
export const writeSafetensorsSync = (
  tensors: Readonly<Record<string, SafetensorsInput>> | ReadonlyMap<string, SafetensorsInput>,
  metadata?: Readonly<Record<string, string>>
): Uint8Array => {
  const list: Array<[string, SafetensorsInput]> = isMap(tensors)
    ? [...tensors.entries()]
    : Object.entries(tensors as Readonly<Record<string, SafetensorsInput>>)
  const header: Record<string, unknown> = {}
  if (metadata !== undefined && Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata }
  const planned: Array<{ name: string; dtype: SafetensorsDtype; input: SafetensorsInput; begin: number; end: number }> = []
  let offset = 0
  for (const [name, input] of list) {
    if (name === "__metadata__") {
      throw new SdkError({ reason: "InvalidInput", subject: name, message: `"__metadata__" is reserved and cannot name a tensor` })
    }
    const dtype = input.dtype ?? inferDtype(name, input.data)
    for (const dim of input.shape) {
      if (!Number.isInteger(dim) || dim < 0) {
        throw new SdkError({ reason: "ShapeMismatch", subject: name, message: `tensor "${name}": bad shape [${input.shape.join(", ")}]` })
      }
    }
    const count = sizeOf(input.shape)
    if (input.data.length !== count) {
      throw new SdkError({
        reason: "ShapeMismatch",
        subject: name,
        message: `tensor "${name}" has ${input.data.length} values but shape [${input.shape.join(", ")}] needs ${count}`
      })
    }
    const end = offset + count * BYTES_PER_ELEMENT[dtype]
    header[name] = { dtype, shape: [...input.shape], data_offsets: [offset, end] }
    planned.push({ name, dtype, input, begin: offset, end })
    offset = end
  }
  const json = new TextEncoder().encode(JSON.stringify(header))
  const padded = Math.ceil(json.byteLength / 8) * 8
  const out = new Uint8Array(8 + padded + offset)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, BigInt(padded), true)
  out.set(json, 8)
  out.fill(0x20, 8 + json.byteLength, 8 + padded)
  const dataStart = 8 + padded
  for (const { name, dtype, input, begin, end } of planned) {
    encodeData(name, dtype, input.data, new DataView(out.buffer, dataStart + begin, end - begin))
  }
  return out
}

/**
 * Serializes tensors and metadata to safetensors bytes.
 *
 * @since 0.1.0
 * @category encoding
 */
export const writeSafetensors = (
  tensors: Readonly<Record<string, SafetensorsInput>> | ReadonlyMap<string, SafetensorsInput>,
  metadata?: Readonly<Record<string, string>>
): Effect.Effect<Uint8Array, SdkError> => Effect.try({ try: () => writeSafetensorsSync(tensors, metadata), catch: toSdkError })

/**
 * Writes a safetensors file (creating its directory), atomically: a temporary file renamed into place, so a
 * crash mid-write never leaves a truncated checkpoint under the final name.
 *
 * @since 0.1.0
 * @category encoding
 */
export const writeSafetensorsFileSync = (
  file: string,
  tensors: Readonly<Record<string, SafetensorsInput>> | ReadonlyMap<string, SafetensorsInput>,
  metadata?: Readonly<Record<string, string>>
): void => {
  const bytes = writeSafetensorsSync(tensors, metadata)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const temporary = `${file}.${process.pid}.tmp`
  fs.writeFileSync(temporary, bytes)
  fs.renameSync(temporary, file)
}

/**
 * Writes a safetensors file (see `writeSafetensorsFileSync`).
 *
 * @since 0.1.0
 * @category encoding
 */
export const writeSafetensorsFile = (
  file: string,
  tensors: Readonly<Record<string, SafetensorsInput>> | ReadonlyMap<string, SafetensorsInput>,
  metadata?: Readonly<Record<string, string>>
): Effect.Effect<void, SdkError> =>
  Effect.try({
    try: () => writeSafetensorsFileSync(file, tensors, metadata),
    catch: (cause) =>
      cause instanceof SdkError
        ? cause
        : new SdkError({ reason: "InvalidInput", subject: file, message: `${file}: cannot write (${String(cause)})`, cause })
  })

// ---------------------------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------------------------

/**
 * Converts I64 values to numbers, failing with `SdkError` (`"InvalidInput"`) if one is beyond ±2^53.
 *
 * @since 0.1.0
 * @category conversions
 */
export const int64ToNumbers = (data: BigInt64Array, subject = "I64 tensor"): Float64Array => {
  const out = new Float64Array(data.length)
  const limit = BigInt(Number.MAX_SAFE_INTEGER)
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!
    if (v > limit || v < -limit) {
      throw new SdkError({ reason: "InvalidInput", subject, message: `${subject}: value ${v} at ${i} is not a safe integer` })
    }
    out[i] = Number(v)
  }
  return out
}

/**
 * The named tensor as an SDK `FloatTensor` (float dtypes only). Throws `SdkError` (`"WeightsNotFound"` when
 * absent, `"InvalidInput"` for a non-float dtype, `"ShapeMismatch"` when `expectedShape` differs).
 *
 * @since 0.1.0
 * @category conversions
 */
export const getFloatTensor = (
  file: SafetensorsFile,
  name: string,
  expectedShape?: ReadonlyArray<number>
): FloatTensor => {
  const tensor = file.tensors.get(name)
  if (tensor === undefined) {
    throw new SdkError({ reason: "WeightsNotFound", subject: name, message: `no tensor named "${name}" in the file` })
  }
  if (!(tensor.data instanceof Float32Array)) {
    throw new SdkError({ reason: "InvalidInput", subject: name, message: `tensor "${name}" is ${tensor.dtype}, not a float dtype` })
  }
  if (expectedShape !== undefined && expectedShape.join(",") !== tensor.shape.join(",")) {
    throw new SdkError({
      reason: "ShapeMismatch",
      subject: name,
      message: `tensor "${name}" has shape [${tensor.shape.join(", ")}], expected [${expectedShape.join(", ")}]`
    })
  }
  return { data: tensor.data, shape: tensor.shape }
}
