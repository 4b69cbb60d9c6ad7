/**
 * PNG files for every image the repository saves (camera frames, `robovla render`, training plots) and reads back
 * (vl-pairs frames), through the one fast-png wrapper, `@robovla/client`'s image codec; plus a side-by-side layout
 * helper.
 *
 * @since 0.1.0
 */
import { decodePng as decodeImagePng, encodePng as encodeImagePng } from "@robovla/client/images"
import type { ImageU8 } from "@robovla/sdk"

/**
 * Encode an H×W×3 uint8 RGB image as PNG bytes (8-bit RGB, no interlace).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodePng = (rgb: Uint8Array, width: number, height: number): Uint8Array => encodeImagePng({ data: rgb, width, height })

/**
 * Decode a PNG (any colour type, 8- or 16-bit, or palette) to H×W×3 uint8 RGB; alpha is dropped. Throws the
 * client's `ClientError` (`InvalidImage`) for a corrupt file or sides over 1024 pixels.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodePng = (bytes: Uint8Array): ImageU8 => decodeImagePng(bytes, "png")

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
