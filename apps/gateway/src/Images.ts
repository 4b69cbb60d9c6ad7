/**
 * Image payloads: raw uint8 HWC, PNG (decoded here with node:zlib) or JPEG (jpeg-js, pure JS), all base64.
 * Every decoder is bounded (pixel count, inflated size) so a small hostile file cannot blow up memory.
 *
 * @since 0.1.0
 */
import type { ImageU8 } from "@robovla/sdk"
import jpeg from "jpeg-js"
import { deflateSync, inflateSync } from "node:zlib"
import { GatewayError } from "./GatewayError.ts"

/** Largest side accepted, in pixels (CALVIN uses 200 and 84). */
export const MAX_IMAGE_SIDE = 1024

/**
 * An image as the REST API carries it.
 *
 * @since 0.1.0
 * @category models
 */
export interface WireImage {
  readonly data: string
  readonly encoding?: "raw" | "png" | "jpeg"
  readonly height?: number
  readonly width?: number
}

const invalid = (field: string, message: string): GatewayError => new GatewayError({ reason: "InvalidField", field, message: `${field}: ${message}` })

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * Decodes a REST image into RGB uint8 HWC, naming `field` in any error.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeWireImage = (image: WireImage, field: string): ImageU8 => {
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
    if (error instanceof GatewayError) throw error
    throw invalid(`${field}.data`, "not a decodable JPEG")
  }
}

// ------------------------------------------------------------------------------------------------- PNG

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }

/**
 * Decodes an 8-bit, non-interlaced PNG (gray, RGB, palette, with or without alpha) to RGB; alpha is dropped.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodePng = (bytes: Uint8Array, field: string): ImageU8 => {
  const bad = (message: string) => invalid(`${field}.data`, `PNG: ${message}`)
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) throw bad("missing signature")
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let pos = 8
  let width = 0
  let height = 0
  let colorType = -1
  let palette: Uint8Array | undefined
  const idat: Array<Uint8Array> = []
  while (pos + 8 <= bytes.length) {
    const length = view.getUint32(pos)
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8))
    if (pos + 12 + length > bytes.length) throw bad("truncated chunk")
    const body = bytes.subarray(pos + 8, pos + 8 + length)
    if (type === "IHDR") {
      if (length !== 13) throw bad("bad IHDR")
      width = view.getUint32(pos + 8)
      height = view.getUint32(pos + 12)
      const bitDepth = body[8]
      colorType = body[9]!
      if (bitDepth !== 8) throw bad("only 8-bit PNGs are supported")
      if (CHANNELS[colorType] === undefined) throw bad("unknown color type")
      if (body[12] !== 0) throw bad("interlaced PNGs are not supported")
      checkSize(height, width, field)
    } else if (type === "PLTE") palette = body
    else if (type === "IDAT") idat.push(body)
    else if (type === "IEND") break
    pos += 12 + length
  }
  if (colorType < 0 || idat.length === 0) throw bad("missing IHDR or IDAT")
  if (colorType === 3 && palette === undefined) throw bad("palette image without PLTE")
  const channels = CHANNELS[colorType]!
  const stride = width * channels
  let raw: Buffer
  try {
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: (stride + 1) * height + 1 })
  } catch {
    throw bad("corrupt image data")
  }
  if (raw.length !== (stride + 1) * height) throw bad("image data has the wrong length")
  const pixels = unfilter(raw, height, stride, channels, bad)
  const rgb = new Uint8Array(height * width * 3)
  for (let i = 0; i < height * width; i++) {
    if (colorType === 2 || colorType === 6) {
      rgb[i * 3] = pixels[i * channels]!
      rgb[i * 3 + 1] = pixels[i * channels + 1]!
      rgb[i * 3 + 2] = pixels[i * channels + 2]!
    } else if (colorType === 3) {
      const p = pixels[i]! * 3
      if (p + 2 >= palette!.length) throw bad("palette index out of range")
      rgb[i * 3] = palette![p]!
      rgb[i * 3 + 1] = palette![p + 1]!
      rgb[i * 3 + 2] = palette![p + 2]!
    } else {
      const g = pixels[i * channels]!
      rgb[i * 3] = g
      rgb[i * 3 + 1] = g
      rgb[i * 3 + 2] = g
    }
  }
  return { data: rgb, height, width }
}

const unfilter = (raw: Buffer, height: number, stride: number, bpp: number, bad: (m: string) => GatewayError): Uint8Array => {
  const out = new Uint8Array(height * stride)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!
    const src = y * (stride + 1) + 1
    const row = y * stride
    const prev = row - stride
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[row + x - bpp]! : 0
      const b = y > 0 ? out[prev + x]! : 0
      const c = x >= bpp && y > 0 ? out[prev + x - bpp]! : 0
      let predictor: number
      switch (filter) {
        case 0:
          predictor = 0
          break
        case 1:
          predictor = a
          break
        case 2:
          predictor = b
          break
        case 3:
          predictor = (a + b) >> 1
          break
        case 4: {
          const p = a + b - c
          const pa = Math.abs(p - a)
          const pb = Math.abs(p - b)
          const pc = Math.abs(p - c)
          predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
          break
        }
        default:
          throw bad(`unknown filter type ${filter}`)
      }
      out[row + x] = (raw[src + x]! + predictor) & 0xff
    }
  }
  return out
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

const crc32 = (bytes: Uint8Array): number => {
  let c = 0xffffffff
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

const chunk = (type: string, body: Uint8Array): Buffer => {
  const out = Buffer.alloc(12 + body.length)
  out.writeUInt32BE(body.length, 0)
  out.write(type, 4, "latin1")
  out.set(body, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length)
  return out
}

/**
 * Encodes RGB uint8 HWC as a PNG (used by the client to shrink camera frames on the wire, and by tests).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodePng = (image: ImageU8): Uint8Array => {
  const { data, height, width } = image
  const raw = Buffer.alloc((width * 3 + 1) * height)
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 1 // Sub filter: compresses smooth camera images better than None
    for (let x = 0; x < width * 3; x++) {
      const left = x >= 3 ? data[y * width * 3 + x - 3]! : 0
      raw[y * (width * 3 + 1) + 1 + x] = (data[y * width * 3 + x]! - left) & 0xff
    }
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8
  ihdr[9] = 2
  return new Uint8Array(Buffer.concat([Buffer.from(PNG_SIGNATURE), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", new Uint8Array(0))]))
}
