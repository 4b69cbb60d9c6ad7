/**
 * Rollout videos: animated GIFs of the static camera with the current instruction written under the image,
 * encoded with gifenc (pure JS, no ffmpeg).
 *
 * @since 0.1.0
 */
// gifenc ships no types and is CommonJS under Node (ESM only for bundlers): take its functions off the default export.
// @ts-expect-error untyped module
import * as gifencModule from "gifenc"
import { drawText, wrapText } from "./Font5x7.ts"
import type { VideoFrame } from "./ChainTask.ts"

const gifenc = (gifencModule as { GIFEncoder?: unknown }).GIFEncoder !== undefined ? gifencModule : (gifencModule as { default: unknown }).default
const { applyPalette, GIFEncoder, quantize } = gifenc as {
  GIFEncoder: () => { writeFrame: (index: Uint8Array, w: number, h: number, o: object) => void; finish: () => void; bytes: () => Uint8Array }
  quantize: (rgba: Uint8Array, colors: number) => Array<Array<number>>
  applyPalette: (rgba: Uint8Array, palette: Array<Array<number>>) => Uint8Array
}

const CAPTION_SCALE = 1
const LINE_HEIGHT = 9

/**
 * Encodes frames (RGB, square) as a looping GIF at `fps`, each with its caption below the image.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeVideo = (frames: ReadonlyArray<VideoFrame>, fps = 10): Uint8Array => {
  const gif = GIFEncoder()
  const size = frames[0]?.size ?? 1
  const maxLines = Math.max(1, ...frames.map((f) => wrapText(f.caption, size - 4, CAPTION_SCALE).length))
  const height = size + maxLines * LINE_HEIGHT + 4
  for (const frame of frames) {
    const rgba = new Uint8Array(size * height * 4)
    const rgb = new Uint8Array(size * height * 3).fill(24)
    rgb.set(frame.rgb.subarray(0, size * size * 3), 0)
    wrapText(frame.caption, size - 4, CAPTION_SCALE).forEach((line, i) =>
      drawText(rgb, size, height, line, 2, size + 3 + i * LINE_HEIGHT, [255, 255, 255], CAPTION_SCALE)
    )
    for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
      rgba[j] = rgb[i]!
      rgba[j + 1] = rgb[i + 1]!
      rgba[j + 2] = rgb[i + 2]!
      rgba[j + 3] = 255
    }
    const palette = quantize(rgba, 128)
    gif.writeFrame(applyPalette(rgba, palette), size, height, { palette, delay: Math.round(1000 / fps) })
  }
  gif.finish()
  return gif.bytes()
}
