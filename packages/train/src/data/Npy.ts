/**
 * `.npy` and `.npz` files (numpy's format, versions 1.0–3.0). Numeric arrays decode to typed arrays; object
 * arrays (`|O`) are unpickled with the strict reader of Pickle.ts. `.npz` is a zip of `.npy` entries, stored or
 * deflated (`np.savez_compressed`).
 *
 * @since 0.1.0
 */
import { unzipSync, zipSync } from "fflate"
import { TrainError } from "../TrainError.ts"
import type { NdArray, NumericData, ObjectArray } from "./NdArray.ts"
import { bytesOf, DTYPE_SIZE, normaliseDescr, sizeOfShape, typedFromBytes } from "./NdArray.ts"
import { pickle, unpickle } from "./Pickle.ts"

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY

const corrupt = (file: string | undefined, why: string, cause?: unknown): TrainError =>
  new TrainError({
    reason: "CorruptFile",
    message: `${file ?? "npy data"}: ${why}`,
    ...(file ? { file } : {}),
    ...(cause === undefined ? {} : { cause })
  })

/** Parses numpy's header dict literal, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (7,), }`. */
const parseHeader = (text: string, file: string | undefined) => {
  const descr = /'descr':\s*'([^']+)'/.exec(text)?.[1]
  const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1]
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1]
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw corrupt(file, `unreadable .npy header ${JSON.stringify(text.trim())}`)
  }
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s.length > 0).map((s) => Number(s.replace(/L$/, "")))
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw corrupt(file, `bad shape (${shapeText}) in .npy header`)
  return { descr, fortran: fortran === "True", shape }
}

/**
 * Decodes one `.npy` file's bytes.
 *
 * @since 0.1.0
 * @category decoding
 */
export const parseNpy = (bytes: Uint8Array, file?: string): NdArray | ObjectArray => {
  if (bytes.byteLength < 10 || MAGIC.some((m, i) => bytes[i] !== m)) throw corrupt(file, "not a .npy file (bad magic)")
  const major = bytes[6]!
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true)
  const headerStart = major === 1 ? 10 : 12
  if (major < 1 || major > 3) throw corrupt(file, `unsupported .npy version ${major}`)
  if (headerStart + headerLength > bytes.byteLength) throw corrupt(file, "truncated .npy header")
  const header = parseHeader(new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(headerStart, headerStart + headerLength)), file)
  const body = bytes.subarray(headerStart + headerLength)
  const dtype = normaliseDescr(header.descr)
  if (dtype === undefined) {
    throw new TrainError({ reason: "UnsupportedFormat", message: `${file ?? "npy data"}: dtype ${header.descr} is not supported`, ...(file ? { file } : {}) })
  }
  if (header.fortran && header.shape.length > 1) {
    throw new TrainError({ reason: "UnsupportedFormat", message: `${file ?? "npy data"}: Fortran-ordered arrays are not supported`, ...(file ? { file } : {}) })
  }
  if (dtype === "|O") {
    const value = unpickle(body, file)
    if (typeof value === "object" && value !== null && (value as { dtype?: unknown }).dtype !== undefined) return value as NdArray | ObjectArray
    return { dtype: "|O", shape: [], data: [value] }
  }
  const expected = sizeOfShape(header.shape) * DTYPE_SIZE[dtype]
  if (body.byteLength < expected) throw corrupt(file, `truncated data: ${body.byteLength} bytes, shape [${header.shape}] of ${header.descr} needs ${expected}`)
  return { dtype, shape: header.shape, data: typedFromBytes(dtype, body.subarray(0, expected)) }
}

/**
 * Encodes an array as a version-1.0 `.npy` file (header padded to 64 bytes, as numpy writes it).
 *
 * @since 0.1.0
 * @category encoding
 */
export const writeNpy = (array: NdArray | ObjectArray): Uint8Array => {
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(", ")})`
  let header = `{'descr': '${array.dtype}', 'fortran_order': False, 'shape': ${shape}, }`
  const total = 10 + header.length + 1
  header += " ".repeat((64 - (total % 64)) % 64) + "\n"
  const body = array.dtype === "|O" ? pickle(array) : bytesOf(array.data as NumericData)
  const out = new Uint8Array(10 + header.length + body.byteLength)
  out.set(MAGIC, 0)
  out[6] = 1
  out[7] = 0
  new DataView(out.buffer).setUint16(8, header.length, true)
  out.set(new TextEncoder().encode(header), 10)
  out.set(body, 10 + header.length)
  return out
}

/**
 * A 0-d object array holding one Python object: what `np.save(path, dict)` writes and `.item()` unwraps.
 *
 * @since 0.1.0
 * @category constructors
 */
export const objectScalar = (value: unknown): ObjectArray => ({ dtype: "|O", shape: [], data: [value] })

/**
 * Decodes an `.npz` archive into its arrays by key (entry name without `.npy`).
 *
 * @since 0.1.0
 * @category decoding
 */
export const parseNpz = (bytes: Uint8Array, file?: string): Record<string, NdArray | ObjectArray> => {
  let entries: Record<string, Uint8Array>
  try {
    entries = unzipSync(bytes)
  } catch (cause) {
    throw corrupt(file, `not a readable .npz (zip) archive: ${cause instanceof Error ? cause.message : String(cause)}`, cause)
  }
  const out: Record<string, NdArray | ObjectArray> = {}
  for (const [name, data] of Object.entries(entries)) {
    out[name.replace(/\.npy$/, "")] = parseNpy(data, file ? `${file}:${name}` : name)
  }
  return out
}

/**
 * Encodes arrays as an `.npz` archive; `compress` (default true) deflates like `np.savez_compressed`.
 *
 * @since 0.1.0
 * @category encoding
 */
export const writeNpz = (arrays: Readonly<Record<string, NdArray | ObjectArray>>, options?: { readonly compress?: boolean; readonly level?: number }): Uint8Array => {
  const files: Record<string, Uint8Array> = {}
  for (const [key, array] of Object.entries(arrays)) files[`${key}.npy`] = writeNpy(array)
  const level = options?.compress === false ? 0 : ((options?.level ?? 1) as 1)
  return zipSync(files, { level })
}

/** Re-exported for callers building arrays. @since 0.1.0 @category constructors */
export { typedFromBytes }
