/**
 * A minimal PNG encoder (8-bit RGB, no interlace) on node:zlib, so images can be written without extra deps.
 *
 * @since 0.1.0
 */
import { deflateSync } from "node:zlib"

const CRC_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

const crc32 = (bytes: Uint8Array): number => {
  let c = 0xffffffff
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

const chunk = (type: string, data: Uint8Array): Uint8Array => {
  const out = new Uint8Array(12 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.length)
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i)
  out.set(data, 8)
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)))
  return out
}

/**
 * Encode an H×W×3 uint8 RGB image as PNG bytes.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodePng = (rgb: Uint8Array, width: number, height: number): Uint8Array => {
  if (rgb.length !== width * height * 3) throw new RangeError(`expected ${width * height * 3} bytes, got ${rgb.length}`)
  const raw = new Uint8Array(height * (width * 3 + 1))
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0
    raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (width * 3 + 1) + 1)
  }
  const header = new Uint8Array(13)
  const hv = new DataView(header.buffer)
  hv.setUint32(0, width)
  hv.setUint32(4, height)
  header[8] = 8 // bit depth
  header[9] = 2 // colour type RGB
  const signature = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10])
  const parts = [signature, chunk("IHDR", header), chunk("IDAT", deflateSync(raw)), chunk("IEND", new Uint8Array(0))]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/**
 * Place images side by side on a background (top-aligned), upscaling each by an integer factor.
 *
 * @since 0.1.0
 * @category encoding
 */
export const sideBySide = (
  images: ReadonlyArray<{ readonly data: Uint8Array; readonly width: number; readonly height: number; readonly scale?: number }>,
  gap = 8,
  background: readonly [number, number, number] = [255, 255, 255]
): { data: Uint8Array; width: number; height: number } => {
  const width = images.reduce((w, im) => w + im.width * (im.scale ?? 1), 0) + gap * (images.length - 1)
  const height = Math.max(...images.map((im) => im.height * (im.scale ?? 1)))
  const data = new Uint8Array(width * height * 3)
  for (let i = 0; i < width * height; i++) data.set(background, i * 3)
  let x0 = 0
  for (const im of images) {
    const s = im.scale ?? 1
    for (let y = 0; y < im.height * s; y++) {
      for (let x = 0; x < im.width * s; x++) {
        const src = (Math.floor(y / s) * im.width + Math.floor(x / s)) * 3
        const dst = (y * width + x0 + x) * 3
        data[dst] = im.data[src]!
        data[dst + 1] = im.data[src + 1]!
        data[dst + 2] = im.data[src + 2]!
      }
    }
    x0 += im.width * s + gap
  }
  return { data, width, height }
}
