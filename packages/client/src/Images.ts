/**
 * Image payloads: raw uint8 HWC, PNG (`fast-png`) or JPEG (`jpeg-js`), all base64 on the REST wire. Uploads are
 * untrusted, so every decoder is bounded before it allocates: sides at most {@link MAX_IMAGE_SIDE}, a PNG's
 * compressed data inflated (with a size cap) only after its header passed, JPEG by jpeg-js' own resolution and
 * memory limits. Failures are `ClientError` reason `InvalidImage` naming the field.
 *
 * @since 0.1.0
 */
import type { ImageU8 } from "@robovla/sdk"
import * as Png from "fast-png"
import jpeg from "jpeg-js"
import { inflateSync } from "node:zlib"
import { ClientError } from "./ClientError.ts"

/**
 * Largest side accepted, in pixels (CALVIN uses 200 and 84).
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_IMAGE_SIDE = 1024

/**
 * An image as the REST API carries it.
 *
 * @since 0.1.0
 * @category models
 */
export interface WireImageData {
  readonly data: string
  readonly encoding?: "raw" | "png" | "jpeg" | undefined
  readonly height?: number | undefined
  readonly width?: number | undefined
}

const invalid = (field: string, message: string): ClientError => new ClientError({ reason: "InvalidImage", field, message: `${field}: ${message}` })

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * Decodes a REST image into RGB uint8 HWC, naming `field` in any error.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeWireImage = (image: WireImageData, field: string): ImageU8 => {
  if (image.data.length % 4 !== 0 || !BASE64.test(image.data)) throw invalid(`${field}.data`, "must be standard base64")
  const bytes = new Uint8Array(Buffer.from(image.data, "base64"))
  const encoding = image.encoding ?? "raw"
  let decoded: ImageU8
  if (encoding === "raw") {
    if (image.height === undefined || image.width === undefined) throw invalid(field, "raw images need height and width")
    if (bytes.length !== image.height * image.width * 3) {
      throw invalid(`${field}.data`, `expected ${image.height}×${image.width}×3 = ${image.height * image.width * 3} bytes, got ${bytes.length}`)
    }
    decoded = { data: bytes, height: image.height, width: image.width }
  } else if (encoding === "png") {
    decoded = decodePng(bytes, field)
  } else {
    decoded = decodeJpeg(bytes, field)
  }
  if ((image.height !== undefined && image.height !== decoded.height) || (image.width !== undefined && image.width !== decoded.width)) {
    throw invalid(field, `declared ${image.height}×${image.width} but the image is ${decoded.height}×${decoded.width}`)
  }
  checkSize(decoded.height, decoded.width, field)
  return decoded
}

const checkSize = (height: number, width: number, field: string): void => {
  if (height < 1 || width < 1 || height > MAX_IMAGE_SIDE || width > MAX_IMAGE_SIDE) {
    throw invalid(field, `image sides must be 1..${MAX_IMAGE_SIDE} pixels, got ${height}×${width}`)
  }
}

const decodeJpeg = (bytes: Uint8Array, field: string): ImageU8 => {
  try {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: 2, maxMemoryUsageInMB: 64 })
    checkSize(img.height, img.width, field)
    return { data: img.data, height: img.height, width: img.width }
  } catch (error) {
    if (error instanceof ClientError) throw error
    throw invalid(`${field}.data`, "not a decodable JPEG")
  }
}

// ------------------------------------------------------------------------------------------------- PNG

const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }

/**
 * Checks a PNG before `fast-png` sees it (which inflates without an output limit): the signature, an IHDR first
 * with sides within the limit, and the compressed data inflating to no more than that header allows.
 */
const checkPngBounds = (bytes: Uint8Array, bad: (message: string) => ClientError): void => {
  if (!Png.hasPngSignature(bytes)) throw bad("missing signature")
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const type = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4))
  if (bytes.length < 33 || view.getUint32(8) !== 13 || type(12) !== "IHDR") throw bad("missing IHDR")
  const width = view.getUint32(16)
  const height = view.getUint32(20)
  const depth = bytes[24]!
  const channels = CHANNELS[bytes[25]!]
  if (channels === undefined) throw bad("unknown color type")
  if (![1, 2, 4, 8, 16].includes(depth)) throw bad(`bit depth ${depth} is not valid`)
  if (height < 1 || width < 1 || height > MAX_IMAGE_SIDE || width > MAX_IMAGE_SIDE) return // the caller names the sizes
  const idat: Array<Uint8Array> = []
  for (let pos = 8; pos + 8 <= bytes.length;) {
    const length = view.getUint32(pos)
    if (pos + 12 + length > bytes.length) throw bad("truncated chunk")
    if (type(pos + 4) === "IDAT") idat.push(bytes.subarray(pos + 8, pos + 8 + length))
    if (type(pos + 4) === "IEND") break
    pos += 12 + length
  }
  if (idat.length === 0) throw bad("missing IDAT")
  // Scanlines plus one filter byte each; Adam7 interlacing adds at most a filter byte and a partial byte per row of
  // each of its 7 passes.
  const maxInflated = Math.ceil((width * channels * depth) / 8) * height + 14 * height + 16
  try {
    inflateSync(Buffer.concat(idat), { maxOutputLength: maxInflated })
  } catch {
    throw bad("corrupt image data, or more of it than the header declares")
  }
}

/**
 * Decodes a PNG (any colour type; 8- or 16-bit, or palette) to RGB uint8 HWC; alpha is dropped.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodePng = (bytes: Uint8Array, field: string): ImageU8 => {
  const bad = (message: string) => invalid(`${field}.data`, `PNG: ${message}`)
  checkPngBounds(bytes, bad)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  checkSize(view.getUint32(20), view.getUint32(16), field)
  let png: Png.DecodedPng
  try {
    png = Png.decode(bytes)
  } catch (error) {
    throw bad(error instanceof Error ? error.message : "not decodable")
  }
  const { width, height } = png
  const pixels = width * height
  let data: ArrayLike<number> = png.data
  let channels = png.channels
  if (png.palette !== undefined) {
    data = Png.convertIndexedToRgb(png)
    channels = png.palette[0]?.length ?? 3
  } else if (png.depth < 8) {
    throw bad(`${png.depth}-bit grayscale is not supported`)
  }
  if (data.length !== pixels * channels) throw bad("image data has the wrong length")
  const shift = png.palette === undefined && png.depth === 16 ? 8 : 0
  const rgb = new Uint8Array(pixels * 3)
  for (let i = 0; i < pixels; i++) {
    const at = i * channels
    const gray = channels < 3
    rgb[i * 3] = data[at]! >> shift
    rgb[i * 3 + 1] = data[gray ? at : at + 1]! >> shift
    rgb[i * 3 + 2] = data[gray ? at : at + 2]! >> shift
  }
  return { data: rgb, height, width }
}

/**
 * Encodes RGB uint8 HWC as a PNG (compact camera frames on the wire).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodePng = (image: ImageU8): Uint8Array =>
  Png.encode({ width: image.width, height: image.height, data: image.data, channels: 3, depth: 8 })
