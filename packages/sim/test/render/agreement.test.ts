import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { PlayTable, type SimObservation } from "../../src/PlayTable.ts"
import { randomSceneObs } from "../../src/scene/RandomScene.ts"
import type { SceneId } from "../../src/scene/SceneLayout.ts"

/**
 * The rasteriser against the ray-cast reference on random states of every scene: blocks moved and rotated,
 * drawer / slider / switch / button / lights randomised, the arm driven to a random reachable pose with a random
 * gripper. Both tables hold the identical state (a snapshot of one restored into the other).
 */

/** A small seeded generator for the arm targets. */
const lcg = (seed: number) => {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

interface Agreement {
  /** Same geom id, or a tie: both see a surface at the same depth (two geoms' faces coincide there). */
  readonly ids: number
  readonly ties: number
  readonly depthMaxMm: number
  readonly rgbMean: number
}

/**
 * Share of pixels with the same geom id (or a tie), worst depth error (mm) where both see the same geom, mean |ΔRGB|
 * per channel. A tie is a pixel where the two renderers name different geoms at the same depth (within 1 µm): two
 * geoms' faces coincide there (e.g. the closed fingers' front faces when the fingers overlap slightly), and which one
 * wins is floating-point rounding in either renderer.
 */
const compare = (ref: SimObservation, ras: SimObservation, cam: "Static" | "Gripper"): Agreement => {
  const ia = ref[`geomIds${cam}`]!, ib = ras[`geomIds${cam}`]!
  const da = ref[`depth${cam}`]!, db = ras[`depth${cam}`]!
  const ca = ref[`rgb${cam}`]!.data, cb = ras[`rgb${cam}`]!.data
  let same = 0
  let ties = 0
  let depthMax = 0
  let rgb = 0
  for (let k = 0; k < ia.length; k++) {
    if (ia[k] === ib[k]) {
      same++
      if (ia[k]! >= 0) depthMax = Math.max(depthMax, Math.abs(da[k]! - db[k]!))
    } else if (ia[k]! >= 0 && ib[k]! >= 0 && Math.abs(da[k]! - db[k]!) <= 1e-6) {
      ties++
    }
  }
  for (let k = 0; k < ca.length; k++) rgb += Math.abs(ca[k]! - cb[k]!)
  return { ids: (same + ties) / ia.length, ties: ties / ia.length, depthMaxMm: depthMax * 1000, rgbMean: rgb / ca.length }
}

const ALL = { rgbStatic: true, rgbGripper: true, depth: true, geomIds: true } as const
const STATES_PER_SCENE = 4

describe.each(["A", "B", "C", "D"] as const)("rasteriser vs ray-cast reference, scene %s", (scene: SceneId) => {
  let raster: PlayTable
  let reference: PlayTable
  beforeAll(async () => {
    raster = await PlayTable.load(scene, { renderer: "raster" })
    reference = await PlayTable.load(scene, { renderer: "raycast" })
  })
  afterAll(() => {
    raster.dispose()
    reference.dispose()
  })

  it(`agrees on ${STATES_PER_SCENE} random states (geom ids ≥ 99%, depth ≤ 1 mm, mean |ΔRGB| ≤ 1)`, () => {
    const rows: Array<string> = []
    for (let s = 0; s < STATES_PER_SCENE; s++) {
      const seed = 1000 * s + scene.charCodeAt(0)
      const rand = lcg(seed)
      if (s === 0) raster.reset()
      else raster.reset({ sceneObs: randomSceneObs(scene, seed, { randomizeDoorsAndLights: true }) })
      if (s > 0) {
        // a random reachable TCP pose over the desk, yaw and gripper random
        const target = [-0.25 + 0.5 * rand(), -0.3 + 0.3 * rand(), 0.5 + 0.15 * rand(), Math.PI, 0, Math.PI / 2 + (rand() - 0.5) * 2]
        const grip = s % 2 === 1 ? -1 : 1 // closed fingers in states 1 and 3 (their faces may coincide: ties)
        for (let k = 0; k < 20; k++) raster.step([...target, grip], "absolute")
      }
      reference.restoreState(raster.saveState())
      const a = reference.observe(ALL)
      const b = raster.observe(ALL)
      for (const cam of ["Static", "Gripper"] as const) {
        const r = compare(a, b, cam)
        rows.push(`${scene} state ${s} ${cam.toLowerCase().padEnd(7)} ids ${(100 * r.ids).toFixed(2)}% (ties ${(100 * r.ties).toFixed(2)}%)  max |Δdepth| ${r.depthMaxMm.toFixed(4)} mm  mean |ΔRGB| ${r.rgbMean.toFixed(3)}`)
        expect(r.ids).toBeGreaterThanOrEqual(0.99)
        expect(r.depthMaxMm).toBeLessThanOrEqual(1)
        expect(r.rgbMean).toBeLessThanOrEqual(1)
      }
    }
    console.log(rows.join("\n"))
  })
})
