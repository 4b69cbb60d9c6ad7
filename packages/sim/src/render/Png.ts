/**
 * PNG writing for every image the repository saves (camera frames, `robovla render`, training plots), on the
 * maintained fast-png encoder, reading back the frames it wrote (8-bit RGB / RGBA / grey), plus a side-by-side
 * layout helper.
 *
 * @since 0.1.0
 */
import { decode, encode } from "fast-png"

/**
 * Encode an H×W×3 uint8 RGB image as PNG bytes (8-bit RGB, no interlace).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodePng = (rgb: Uint8Array, width: number, height: number): Uint8Array => {
  if (rgb.length !== width * height * 3) throw new RangeError(`expected ${width * height * 3} bytes, got ${rgb.length}`)
  // Level 6 (node:zlib's default): smaller and faster here than fflate's default for rendered frames.
  return encode({ width, height, data: rgb, depth: 8, channels: 3 }, { zlib: { level: 6 } })
}

/**
 * Decode an 8-bit PNG (RGB, RGBA or grey, as written here and by most tools) to H×W×3 uint8 RGB; alpha is dropped.
 * Throws `RangeError` for other bit depths or palettes, and fast-png's error for corrupt data.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodePng = (bytes: Uint8Array): { data: Uint8Array; width: number; height: number } => {
  const png = decode(bytes)
  const { width, height, channels } = png
  if (png.depth !== 8 || png.palette !== undefined) throw new RangeError(`expected an 8-bit RGB/RGBA/grey PNG, got depth ${png.depth}${png.palette !== undefined ? " with a palette" : ""}`)
  const src = png.data as Uint8Array // depth 8: one byte per sample
  const pixels = width * height
  if (channels === 3) return { data: new Uint8Array(src.buffer, src.byteOffset, pixels * 3), width, height }
  const rgb = new Uint8Array(pixels * 3)
  for (let i = 0; i < pixels; i++) {
    const at = i * channels
    const grey = channels < 3
    rgb[i * 3] = src[at]!
    rgb[i * 3 + 1] = src[grey ? at : at + 1]!
    rgb[i * 3 + 2] = src[grey ? at : at + 2]!
  }
  return { data: rgb, width, height }
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
