/**
 * RoboVLMs' random-shift augmentation (reference/robovlms.md §8.3): replicate-pad the image by p pixels on every
 * side, then take an H×W crop at integer offsets (sx, sy) drawn per frame, uniform in {1 … 2p} (the default
 * `traj_cons` path). Sampling lands on pixel centres, so the crop is an exact shift with edge replication:
 * out[y][x] = in[clamp(y + sy − p)][clamp(x + sx − p)].
 *
 * @since 0.1.0
 */
import type { Rng } from "./Random.ts"

/** Static camera pad. @since 0.1.0 @category constants */
export const STATIC_SHIFT_PAD = 10
/** Gripper camera pad. @since 0.1.0 @category constants */
export const GRIPPER_SHIFT_PAD = 4

/** @since 0.1.0 @category models */
export interface Shift {
  readonly sx: number
  readonly sy: number
}

/**
 * Draws one shift for pad p: offsets uniform in {1 … 2p}. Pad 0 gives the identity (sx = sy = 0).
 *
 * @since 0.1.0
 * @category augmentation
 */
export const drawShift = (rng: Rng, pad: number): Shift => (pad <= 0 ? { sx: 0, sy: 0 } : { sx: rng.int(1, 2 * pad), sy: rng.int(1, 2 * pad) })

const clampIndex = (i: number, size: number) => (i < 0 ? 0 : i >= size ? size - 1 : i)

/**
 * Shifts one HWC image (uint8 or float) into `out` at `offset`.
 *
 * @since 0.1.0
 * @category augmentation
 */
export const shiftHwcInto = (
  src: ArrayLike<number>,
  height: number,
  width: number,
  channels: number,
  pad: number,
  shift: Shift,
  out: Uint8Array | Float32Array,
  offset: number
): void => {
  const dy = shift.sy - pad
  const dx = shift.sx - pad
  for (let y = 0; y < height; y++) {
    const sy = clampIndex(y + dy, height)
    for (let x = 0; x < width; x++) {
      const s = (sy * width + clampIndex(x + dx, width)) * channels
      const d = offset + (y * width + x) * channels
      for (let c = 0; c < channels; c++) out[d + c] = src[s + c]!
    }
  }
}

/**
 * Shifts a CHW float image in place (each channel plane the same way).
 *
 * @since 0.1.0
 * @category augmentation
 */
export const shiftChwInPlace = (data: Float32Array, offset: number, channels: number, height: number, width: number, pad: number, shift: Shift): void => {
  const plane = height * width
  const copy = data.slice(offset, offset + channels * plane)
  for (let c = 0; c < channels; c++) shiftHwcInto(copy.subarray(c * plane, (c + 1) * plane), height, width, 1, pad, shift, data, offset + c * plane)
}
