import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { PlayTable } from "../../src/PlayTable.ts"
import { mulberry32 } from "@robovla/sdk"
import { randomSceneObs } from "../../src/scene/RandomScene.ts"
import { SCENE_IDS, SCENES } from "../../src/scene/SceneLayout.ts"

describe("random reset (§1.5)", () => {
  it("is a pure function of the seed and stays inside the spawn boxes", () => {
    expect(randomSceneObs("D", 7)).toEqual(randomSceneObs("D", 7))
    expect(randomSceneObs("D", 7)).not.toEqual(randomSceneObs("D", 8))
    const r = mulberry32(1)
    const xs = Array.from({ length: 1000 }, r)
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...xs)).toBeLessThan(1)
    for (const scene of SCENE_IDS) {
      const sp = SCENES[scene].spawn
      for (let seed = 0; seed < 50; seed++) {
        const obs = randomSceneObs(scene, seed)
        expect(obs.slice(0, 6)).toEqual([0, 0, 0, 0, 0, 0])
        for (let k = 0; k < 3; k++) {
          const [x, y] = [obs[6 + k * 6]!, obs[7 + k * 6]!]
          const inside = [sp.table, sp.sliderLeft, sp.sliderRight].some((b) => x >= b.xMin && x <= b.xMax && y >= b.yMin && y <= b.yMax)
          expect(inside).toBe(true)
        }
      }
    }
  })

  it("can randomise doors and lights consistently (bulb on iff switch above threshold)", () => {
    for (let seed = 0; seed < 30; seed++) {
      const obs = randomSceneObs("B", seed, { randomizeDoorsAndLights: true })
      expect(obs[0]).toBeLessThanOrEqual(SCENES.B.doorTravel)
      expect(obs[4]).toBe(obs[3]! > 0.044 ? 1 : 0)
    }
  })

  describe("in MuJoCo", () => {
    let t: PlayTable
    beforeAll(async () => {
      t = await PlayTable.load("D")
    })
    afterAll(() => t.dispose())

    it("places non-touching blocks that rest where they were put", () => {
      for (let seed = 0; seed < 6; seed++) {
        const obs = randomSceneObs("D", seed)
        t.reset({ sceneObs: obs })
        for (let k = 0; k < 10; k++) t.step([0, 0, 0, 0, 0, 0, 1])
        const info = t.info()
        for (const [k, c] of (["red", "blue", "pink"] as const).entries()) {
          const b = info.blocks[c]
          expect(Math.hypot(b.position[0] - obs[6 + k * 6]!, b.position[1] - obs[7 + k * 6]!)).toBeLessThan(0.01)
          expect(b.contacts.every((p) => p.body === "table")).toBe(true)
        }
      }
    })
  })
})
