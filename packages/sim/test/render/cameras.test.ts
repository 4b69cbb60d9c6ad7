import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { defaultSceneObs, PlayTable } from "../../src/PlayTable.ts"
import { decodePng, encodePng, sideBySide } from "../../src/render/Png.ts"
import { lookAt, STATIC_CAMERA, STATIC_POSE } from "../../src/render/RayCamera.ts"
import { RENDERER_ENV } from "../../src/render/Renderer.ts"
import { SimError } from "../../src/SimError.ts"

/** Pixel (row, col) of a world point in the static camera. */
const project = (p: readonly [number, number, number]): [number, number] => {
  const { right, up, forward } = lookAt(STATIC_POSE.eye, STATIC_POSE.target, STATIC_POSE.up)
  const d = [p[0] - STATIC_POSE.eye[0], p[1] - STATIC_POSE.eye[1], p[2] - STATIC_POSE.eye[2]]
  const dot = (a: ArrayLike<number>) => a[0]! * d[0]! + a[1]! * d[1]! + a[2]! * d[2]!
  const f = STATIC_CAMERA.height / 2 / Math.tan((STATIC_CAMERA.fovy * Math.PI) / 360)
  return [Math.floor(STATIC_CAMERA.height / 2 - (f * dot(up)) / dot(forward)), Math.floor(STATIC_CAMERA.width / 2 + (f * dot(right)) / dot(forward))]
}

describe.each(["raster", "raycast"] as const)("%s cameras", (renderer) => {
  let t: PlayTable
  beforeAll(async () => {
    t = await PlayTable.load("D", { renderer })
    expect(t.renderer).toBe(renderer)
  })
  afterAll(() => t.dispose())

  it("renders only when asked, with CALVIN's sizes", () => {
    const none = t.observe()
    expect(none.rgbStatic).toBeUndefined()
    expect(none.rgbGripper).toBeUndefined()
    expect(none.robotObs).toHaveLength(15)
    const both = t.observe({ rgbStatic: true, rgbGripper: true, depth: true })
    expect(both.rgbStatic).toMatchObject({ height: 200, width: 200 })
    expect(both.rgbStatic!.data).toHaveLength(200 * 200 * 3)
    expect(both.rgbGripper!.data).toHaveLength(84 * 84 * 3)
    expect(both.depthStatic).toHaveLength(200 * 200)
    expect(both.depthGripper).toHaveLength(84 * 84)
  })

  it("shows the blocks in their colours where they are, and metric depth", () => {
    const o = t.observe({ rgbStatic: true, depth: true })
    const img = o.rgbStatic!.data
    const info = t.info()
    const at = (p: readonly [number, number, number]) => {
      const [r, c] = project([p[0], p[1], p[2] + 0.015])
      return [img[(r * 200 + c) * 3]!, img[(r * 200 + c) * 3 + 1]!, img[(r * 200 + c) * 3 + 2]!]
    }
    const red = at(info.blocks.red.position)
    expect(red[0]).toBeGreaterThan(120)
    expect(red[1]).toBeLessThan(40)
    const blue = at(info.blocks.blue.position)
    expect(blue[2]).toBeGreaterThan(120)
    expect(blue[0]).toBeLessThan(40)
    // depth at the image centre: the look-at point on the desk is ~4.2 m away (eye-space z)
    const centre = o.depthStatic![100 * 200 + 100]!
    expect(centre).toBeGreaterThan(3.8)
    expect(centre).toBeLessThan(4.4)
  })

  it("lights the LED green in the image after a reset with LED on", () => {
    const scene = defaultSceneObs("D")
    scene[5] = 1
    t.reset({ sceneObs: scene })
    const img = t.observe({ rgbStatic: true }).rgbStatic!.data
    const [r, c] = project([-0.12, 0.16, 0.664])
    const px = [img[(r * 200 + c) * 3]!, img[(r * 200 + c) * 3 + 1]!, img[(r * 200 + c) * 3 + 2]!]
    expect(px[1]).toBeGreaterThan(150)
    expect(px[0]).toBeLessThan(60)
    t.reset()
  })

  it("sees the finger tips and the desk from the gripper camera", () => {
    const o = t.observe({ rgbGripper: true, depth: true })
    const depth = o.depthGripper!
    const min = depth.reduce((a, b) => Math.min(a, b), Infinity)
    expect(min).toBeLessThan(0.2) // the fingers are close to the lens
    const img = o.rgbGripper!.data
    let dark = 0
    for (let i = 0; i < 84 * 84; i++) if (img[i * 3]! < 70 && img[i * 3 + 1]! < 70 && img[i * 3 + 2]! < 70) dark++
    expect(dark).toBeGreaterThan(50) // dark finger pixels
  })

  it("encodes a valid PNG of both cameras side by side", () => {
    const o = t.observe({ rgbStatic: true, rgbGripper: true })
    const img = sideBySide([o.rgbStatic!, { ...o.rgbGripper!, scale: 2 }])
    expect(img.width).toBe(200 + 168 + 8)
    const png = encodePng(img.data, img.width, img.height)
    expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10])
    const decoded = decodePng(png)
    expect([decoded.width, decoded.height]).toEqual([img.width, img.height])
    expect(Buffer.from(decoded.data).equals(Buffer.from(img.data))).toBe(true)
  })
})

describe("renderer choice", () => {
  it("defaults to the rasteriser, follows ROBOVLA_RENDERER, and rejects unknown renderers with a SimError", async () => {
    const saved = process.env[RENDERER_ENV]
    try {
      delete process.env[RENDERER_ENV]
      const a = await PlayTable.load("D")
      expect(a.renderer).toBe("raster")
      a.dispose()
      process.env[RENDERER_ENV] = "raycast"
      const b = await PlayTable.load("D")
      expect(b.renderer).toBe("raycast")
      b.dispose()
      const c = await PlayTable.load("D", { renderer: "raster" }) // the option wins over the environment
      expect(c.renderer).toBe("raster")
      c.dispose()
      process.env[RENDERER_ENV] = "opengl"
      const error = await PlayTable.load("D").catch((e: unknown) => e)
      expect(error).toBeInstanceOf(SimError)
      expect((error as SimError).reason).toBe("ModelLoad")
      expect((error as SimError).message).toContain("opengl")
    } finally {
      if (saved === undefined) delete process.env[RENDERER_ENV]
      else process.env[RENDERER_ENV] = saved
    }
  })

  it("reports geom ids per pixel, named by geomName", async () => {
    const t = await PlayTable.load("D")
    const o = t.observe({ rgbStatic: true, geomIds: true })
    const names = new Set([...o.geomIdsStatic!].map((g) => t.geomName(g)))
    expect(names).toContain("block_red/base/box")
    expect(names).toContain("table/base_link/desk")
    expect(t.geomName(-1)).toBeUndefined() // the background's id
    t.dispose()
  })
})
