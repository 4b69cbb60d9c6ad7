import type { MainModule, MjData, MjModel } from "@mujoco/mujoco"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadMujocoModule } from "../../src/internal/mujocoModule.ts"
import { RasterCamera } from "../../src/render/RasterCamera.ts"
import { type CameraSpec, lookAt, RayCamera } from "../../src/render/RayCamera.ts"
import { buildSceneMesh } from "../../src/render/SceneMesh.ts"
import { Surface } from "../../src/render/Shading.ts"

/**
 * Every geom type the rasteriser triangulates, rotated arbitrarily, against the ray-cast reference from several
 * viewpoints (the play table has no ellipsoid and only convex prisms), plus mj_ray's exclusions: an invisible geom
 * (alpha 0) is not drawn and a plane is one-sided.
 */
const XML = `<mujoco>
  <asset><mesh name="wedge" vertex="0 0 0  0.2 0 0  0 0.15 0  0 0 0.1  0.2 0 0.1  0 0.15 0.1"/></asset>
  <worldbody>
    <geom name="floor" type="plane" size="2 2 0.1" rgba="0.6 0.6 0.6 1"/>
    <body pos="0 0 0.3" euler="0.3 0.5 0.2"><freejoint/>
      <geom name="box" type="box" size="0.1 0.05 0.08" rgba="0.9 0.1 0.1 1"/></body>
    <body pos="0.35 0 0.3" euler="1.1 0.2 0.4"><freejoint/>
      <geom name="capsule" type="capsule" size="0.05 0.1" rgba="0.1 0.9 0.1 1"/></body>
    <body pos="-0.35 0 0.3" euler="0.7 -0.4 0"><freejoint/>
      <geom name="cylinder" type="cylinder" size="0.08 0.06" rgba="0.1 0.1 0.9 1"/></body>
    <body pos="0 0.35 0.3" euler="0.2 0.9 1.3"><freejoint/>
      <geom name="ellipsoid" type="ellipsoid" size="0.12 0.06 0.04" rgba="0.9 0.9 0.1 1"/></body>
    <body pos="0 -0.35 0.3"><freejoint/>
      <geom name="sphere" type="sphere" size="0.07" rgba="0.9 0.1 0.9 1"/></body>
    <body pos="0.35 0.35 0.25" euler="0.4 0.1 -0.6"><freejoint/>
      <geom name="mesh" type="mesh" mesh="wedge" rgba="0.1 0.9 0.9 1"/></body>
    <geom name="ghost" type="box" pos="0 0 0.6" size="0.3 0.3 0.02" rgba="1 1 1 0"/>
    <geom name="post" type="cylinder" pos="-0.3 -0.3 0.15" size="0.04 0.15" rgba="0.8 0.5 0.2 1"/>
  </worldbody>
</mujoco>`

const SPEC: CameraSpec = { width: 96, height: 72, fovy: 45, near: 0.01, far: 10 }

describe("rasteriser on every primitive", () => {
  let mj: MainModule
  let model: MjModel
  let data: MjData
  let ray: RayCamera
  let raster: RasterCamera
  beforeAll(async () => {
    mj = await loadMujocoModule()
    model = mj.MjModel.from_xml_string(XML)
    data = new mj.MjData(model)
    mj.mj_forward(model, data)
    const surfaces = new Uint8Array(model.ngeom)
    ray = new RayCamera(mj, model, data, SPEC, surfaces)
    raster = new RasterCamera(model, data, SPEC, surfaces, buildSceneMesh(model))
  })
  afterAll(() => {
    ray.dispose()
    data.delete()
    model.delete()
  })

  const render = (cam: RayCamera | RasterCamera, eye: ReadonlyArray<number>, target: ReadonlyArray<number>) => {
    const n = SPEC.width * SPEC.height
    const out = { rgb: new Uint8Array(n * 3), depth: new Float32Array(n), ids: new Int32Array(n) }
    const { right, up, forward } = lookAt(eye, target, [0, 0, 1])
    cam.render(eye, right, up, forward, out.rgb, out.depth, out.ids)
    return out
  }

  it.each([
    [[1.2, -0.9, 0.9], [0, 0, 0.3]],
    [[-0.8, 1.1, 0.5], [0, 0, 0.25]],
    [[0.1, -0.2, 1.4], [0, 0, 0.3]],
    [[0.6, 0.6, 0.35], [0, 0, 0.3]]
  ])("agrees with the ray-caster from %j", (eye, target) => {
    const a = render(ray, eye, target)
    const b = render(raster, eye, target)
    const seen = new Set<number>()
    let same = 0
    let depthMax = 0
    let rgb = 0
    for (let k = 0; k < a.ids.length; k++) {
      seen.add(a.ids[k]!)
      if (a.ids[k] === b.ids[k]) {
        same++
        if (a.ids[k]! >= 0) depthMax = Math.max(depthMax, Math.abs(a.depth[k]! - b.depth[k]!))
      }
    }
    for (let k = 0; k < a.rgb.length; k++) rgb += Math.abs(a.rgb[k]! - b.rgb[k]!)
    console.log(`eye ${JSON.stringify(eye)}: ids ${((100 * same) / a.ids.length).toFixed(2)}%, max |Δdepth| ${(depthMax * 1000).toFixed(4)} mm, mean |ΔRGB| ${(rgb / a.rgb.length).toFixed(3)}, ${seen.size} geoms seen`)
    expect(seen.size).toBeGreaterThanOrEqual(4)
    expect(same / a.ids.length).toBeGreaterThanOrEqual(0.99)
    expect(depthMax).toBeLessThanOrEqual(0.001)
    expect(rgb / a.rgb.length).toBeLessThanOrEqual(1)
  })

  it("sees each primitive from above, skips the invisible geom, and sees no plane from below", () => {
    const top = render(raster, [0.01, 0.02, 2], [0, 0, 0])
    const names = new Set([...top.ids].filter((g) => g >= 0).map((g) => mj.mj_id2name(model, mj.mjtObj.mjOBJ_GEOM.value, g)))
    for (const name of ["floor", "box", "capsule", "cylinder", "ellipsoid", "sphere", "mesh"]) expect(names).toContain(name)
    expect(names).not.toContain("ghost")
    const below = render(raster, [0.5, 0.5, -1], [0, 0, 0])
    const floor = mj.mj_name2id(model, mj.mjtObj.mjOBJ_GEOM.value, "floor")
    expect([...below.ids].includes(floor)).toBe(false)
    expect(below.ids.some((g) => g >= 0)).toBe(true) // the bodies' undersides still show through the one-sided plane
  })

  it("gives the same frames from its cached static layer as a fresh camera, while bodies move and colours change", () => {
    const surfaces = new Uint8Array(model.ngeom)
    surfaces[mj.mj_name2id(model, mj.mjtObj.mjOBJ_GEOM.value, "floor")] = Surface.Floor
    surfaces[mj.mj_name2id(model, mj.mjtObj.mjOBJ_GEOM.value, "post")] = Surface.Wood
    const mesh = buildSceneMesh(model)
    const cached = new RasterCamera(model, data, SPEC, surfaces, mesh)
    const eye = [1.1, -0.8, 0.8]
    const post = mj.mj_name2id(model, mj.mjtObj.mjOBJ_GEOM.value, "post")
    const qpos = () => data.qpos as Float64Array
    const rgba = () => model.geom_rgba as Float32Array
    const saved = Float64Array.from(qpos())
    const frames: Array<Uint8Array> = []
    try {
      for (let f = 0; f < 6; f++) {
        qpos()[0] = saved[0]! + 0.03 * f // the box slides along x
        qpos()[7 + 2] = saved[7 + 2]! - 0.02 * f // the capsule sinks
        if (f === 3) rgba()[post * 4] = 0.1 // a static geom changes colour (like the LED)
        if (f === 4) rgba()[post * 4 + 3] = 0 // and then disappears
        mj.mj_forward(model, data)
        const a = render(cached, eye, [0, 0, 0.3])
        const b = render(new RasterCamera(model, data, SPEC, surfaces, mesh), eye, [0, 0, 0.3])
        expect(Buffer.from(a.rgb).equals(Buffer.from(b.rgb))).toBe(true)
        expect(Buffer.from(a.depth.buffer).equals(Buffer.from(b.depth.buffer))).toBe(true)
        expect(Buffer.from(a.ids.buffer).equals(Buffer.from(b.ids.buffer))).toBe(true)
        frames.push(a.rgb)
      }
      // the sequence really changed the picture at every step
      for (let f = 1; f < frames.length; f++) expect(Buffer.from(frames[f]!).equals(Buffer.from(frames[f - 1]!))).toBe(false)
    } finally {
      qpos().set(saved)
      rgba()[post * 4] = 0.8
      rgba()[post * 4 + 3] = 1
      mj.mj_forward(model, data)
    }
  })
})
