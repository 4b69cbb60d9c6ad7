/**
 * Raw camera images (HWC uint8) → the backbone's `encodeImages` input ((3, S, S) float, CHW), following the
 * backbone's `imagePreprocessing`: resize to S×S, scale to [0, 1], subtract the mean and divide by the std per
 * channel (reference/robovlms.md §4.1).
 *
 * Resizing samples at pixel centres (half-pixel convention, like PIL / OpenCV) without an antialiasing
 * pre-filter: CALVIN's 200 and 84 px cameras are upsampled to the usual 224, where no filter is needed; a large
 * downscale aliases a little more than PIL would.
 *
 * @since 0.1.0
 */
import type { ImagePreprocessing } from "../Backbone.ts"
import type { ImageU8 } from "../Observation.ts"
import { SdkError } from "../SdkError.ts"
import type { FloatTensor } from "../Tensor.ts"

/** Keys' cubic convolution kernel with a = −0.5 (PIL's and OpenCV's bicubic uses −0.5 / −0.75 respectively). */
const cubic = (x: number): number => {
  const a = -0.5
  const t = Math.abs(x)
  if (t <= 1) return (a + 2) * t ** 3 - (a + 3) * t ** 2 + 1
  if (t < 2) return a * t ** 3 - 5 * a * t ** 2 + 8 * a * t - 4 * a
  return 0
}

/** Per output coordinate: source indices and weights along one axis. */
interface AxisTaps {
  readonly index: Int32Array
  readonly weight: Float32Array
  readonly taps: number
}

const axisTaps = (inSize: number, outSize: number, resample: ImagePreprocessing["resample"]): AxisTaps => {
  const scale = inSize / outSize
  const taps = resample === "nearest" ? 1 : resample === "bilinear" ? 2 : 4
  const index = new Int32Array(outSize * taps)
  const weight = new Float32Array(outSize * taps)
  const clamp = (i: number) => Math.min(inSize - 1, Math.max(0, i))
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale - 0.5
    if (resample === "nearest") {
      index[o] = clamp(Math.floor((o + 0.5) * scale))
      weight[o] = 1
    } else if (resample === "bilinear") {
      const i0 = Math.floor(centre)
      const f = centre - i0
      index[o * 2] = clamp(i0)
      index[o * 2 + 1] = clamp(i0 + 1)
      weight[o * 2] = 1 - f
      weight[o * 2 + 1] = f
    } else {
      const i0 = Math.floor(centre)
      const f = centre - i0
      let sum = 0
      for (let k = 0; k < 4; k++) {
        const w = cubic(k - 1 - f)
        index[o * 4 + k] = clamp(i0 - 1 + k)
        weight[o * 4 + k] = w
        sum += w
      }
      for (let k = 0; k < 4; k++) weight[o * 4 + k] = weight[o * 4 + k]! / sum
    }
  }
  return { index, weight, taps }
}

const checkImage = (image: ImageU8, subject: string): void => {
  const { height, width, data } = image
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new SdkError({ reason: "InvalidInput", message: `${subject}: image size must be positive integers, got ${height}×${width}`, subject })
  }
  if (data.length !== height * width * 3) {
    throw new SdkError({
      reason: "ShapeMismatch",
      message: `${subject}: image data has ${data.length} bytes, ${height}×${width}×3 needs ${height * width * 3}`,
      subject
    })
  }
}

/**
 * One HWC uint8 image → (3, S, S) float32 CHW, written into `out` at `offset` (so batches fill one buffer).
 * Throws `SdkError` for a malformed image.
 *
 * @since 0.1.0
 * @category preprocessing
 */
export const preprocessImageInto = (
  image: ImageU8,
  preprocessing: ImagePreprocessing,
  out: Float32Array,
  offset: number,
  subject = "image"
): void => {
  checkImage(image, subject)
  const { size, mean, std, resample } = preprocessing
  const { height, width, data } = image
  const plane = size * size
  const scaleOf = (c: number) => 1 / (255 * std[c]!)
  const shiftOf = (c: number) => mean[c]! / std[c]!
  if (height === size && width === size) {
    for (let c = 0; c < 3; c++) {
      const s = scaleOf(c)
      const m = shiftOf(c)
      for (let p = 0; p < plane; p++) out[offset + c * plane + p] = data[p * 3 + c]! * s - m
    }
    return
  }
  const ys = axisTaps(height, size, resample)
  const xs = axisTaps(width, size, resample)
  // Separable: rows first into a (size × width × 3) float buffer, then columns.
  const rows = new Float32Array(size * width * 3)
  for (let oy = 0; oy < size; oy++) {
    for (let k = 0; k < ys.taps; k++) {
      const w = ys.weight[oy * ys.taps + k]!
      if (w === 0) continue
      const src = ys.index[oy * ys.taps + k]! * width * 3
      const dst = oy * width * 3
      for (let i = 0; i < width * 3; i++) rows[dst + i] = rows[dst + i]! + w * data[src + i]!
    }
  }
  for (let oy = 0; oy < size; oy++) {
    for (let ox = 0; ox < size; ox++) {
      let r = 0
      let g = 0
      let b = 0
      for (let k = 0; k < xs.taps; k++) {
        const w = xs.weight[ox * xs.taps + k]!
        const src = (oy * width + xs.index[ox * xs.taps + k]!) * 3
        r += w * rows[src]!
        g += w * rows[src + 1]!
        b += w * rows[src + 2]!
      }
      const p = oy * size + ox
      // Bicubic overshoots; clamp to the uint8 range like PIL before normalising.
      out[offset + p] = Math.min(255, Math.max(0, r)) * scaleOf(0) - shiftOf(0)
      out[offset + plane + p] = Math.min(255, Math.max(0, g)) * scaleOf(1) - shiftOf(1)
      out[offset + 2 * plane + p] = Math.min(255, Math.max(0, b)) * scaleOf(2) - shiftOf(2)
    }
  }
}

/**
 * A batch of images → (B, 3, S, S).
 *
 * @since 0.1.0
 * @category preprocessing
 */
export const preprocessImages = (
  images: ReadonlyArray<ImageU8>,
  preprocessing: ImagePreprocessing,
  subject = "image"
): FloatTensor<"B 3 S S"> => {
  const { size } = preprocessing
  const per = 3 * size * size
  const out = new Float32Array(images.length * per)
  images.forEach((image, i) => preprocessImageInto(image, preprocessing, out, i * per, `${subject}[${i}]`))
  return { data: out, shape: [images.length, 3, size, size] }
}
