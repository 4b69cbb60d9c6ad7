import { describe, expect, it } from "vitest"
import { preprocessImages } from "../../src/assembly/ImagePreprocessing.ts"
import type { ImagePreprocessing } from "../../src/Backbone.ts"
import { SdkError } from "../../src/SdkError.ts"

const solid = (h: number, w: number, rgb: [number, number, number]) => {
  const data = new Uint8Array(h * w * 3)
  for (let p = 0; p < h * w; p++) data.set(rgb, p * 3)
  return { data, height: h, width: w }
}
const prep = (size: number, resample: ImagePreprocessing["resample"]): ImagePreprocessing => ({
  size,
  mean: [0.48145466, 0.4578275, 0.40821073],
  std: [0.26862954, 0.26130258, 0.27577711],
  resample
})

describe("preprocessImages", () => {
  it("scales and normalises per channel, HWC → CHW, without resizing at the target size", () => {
    const image = { data: Uint8Array.from([0, 128, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90]), height: 2, width: 2 }
    const p = prep(2, "bicubic")
    const out = preprocessImages([image], p)
    expect(out.shape).toEqual([1, 3, 2, 2])
    for (let c = 0; c < 3; c++) {
      for (let px = 0; px < 4; px++) {
        expect(out.data[c * 4 + px]).toBeCloseTo((image.data[px * 3 + c]! / 255 - p.mean[c]!) / p.std[c]!, 5)
      }
    }
  })

  it.each(["nearest", "bilinear", "bicubic"] as const)("%s resize keeps a solid image solid (200 → 224 and 84 → 32)", (resample) => {
    for (const [from, to] of [[200, 224], [84, 32]] as const) {
      const out = preprocessImages([solid(from, from, [200, 100, 0])], prep(to, resample))
      expect(out.shape).toEqual([1, 3, to, to])
      const p = prep(to, resample)
      for (let c = 0; c < 3; c++) {
        const want = ([200, 100, 0][c]! / 255 - p.mean[c]!) / p.std[c]!
        let worst = 0
        for (let i = 0; i < to * to; i++) worst = Math.max(worst, Math.abs(out.data[c * to * to + i]! - want))
        expect(worst).toBeLessThan(1e-4)
      }
    }
  })

  it("interpolates bilinearly at pixel centres", () => {
    // 1×2 image (0 | 255) upsampled to a 4-wide row: centres at x = −0.25, 0.25, 0.75, 1.25 → 0, 0.25, 0.75, 1.
    const image = { data: Uint8Array.from([0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255]), height: 2, width: 2 }
    const out = preprocessImages([image], { size: 4, mean: [0, 0, 0], std: [1, 1, 1], resample: "bilinear" })
    expect(Array.from(out.data.slice(0, 4), (v) => Number(v.toFixed(4)))).toEqual([0, 0.25, 0.75, 1])
  })

  it("batches images and rejects malformed ones", () => {
    const out = preprocessImages([solid(8, 8, [0, 0, 0]), solid(8, 8, [255, 255, 255])], prep(8, "nearest"))
    expect(out.shape).toEqual([2, 3, 8, 8])
    expect(() => preprocessImages([{ data: new Uint8Array(10), height: 2, width: 2 }], prep(4, "bilinear"))).toThrow(SdkError)
    try {
      preprocessImages([{ data: new Uint8Array(10), height: 2, width: 2 }], prep(4, "bilinear"), "observation.rgbStatic")
    } catch (e) {
      expect((e as SdkError).reason).toBe("ShapeMismatch")
      expect((e as SdkError).message).toMatch(/observation.rgbStatic\[0\]/)
    }
  })
})
