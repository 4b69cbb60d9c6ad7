import { afterAll, describe, expect, it } from "vitest"
import { defaultSceneObs, PlayTable } from "../../src/PlayTable.ts"
import { blockSlots, SCENE_IDS, SCENES, type SceneId } from "../../src/scene/SceneLayout.ts"

describe("scenes A–D in MuJoCo", () => {
  const tables = new Map<SceneId, PlayTable>()
  afterAll(() => tables.forEach((t) => t.dispose()))

  it.each(SCENE_IDS)("scene %s loads and places its parts as tabulated", async (scene) => {
    const t = await PlayTable.load(scene)
    tables.set(scene, t)
    const s = SCENES[scene]
    const cap = t.geom("table/button_link/cap")
    expect(cap.position[0]).toBeCloseTo(s.buttonX, 6)
    expect(cap.position[1]).toBeCloseTo(-0.12, 6)
    expect(t.geom("table/switch_link/lever").position[0]).toBeCloseTo(s.switchX, 6)
    expect(t.geom("table/base_link/bulb").position[0]).toBeCloseTo(s.switchX, 6)
    expect(t.geom("table/base_link/led").position[0]).toBeCloseTo(s.buttonX, 6)
    expect(t.geom("table/drawer_link/floor").position[0]).toBeCloseTo(s.drawerX, 6)
    expect(t.geom("table/slide_link/panel").position[0]).toBeCloseTo(s.doorX0 + 0.14, 6)
    const desk = t.geom("table/base_link/desk").rgba
    expect(desk.slice(0, 3).map((c) => Math.round(c * 255))).toEqual(s.bodyRgb.map((c) => Math.round(c * 255)))
    expect(t.geom("block_red/base/box").rgba).toEqual([1, 0, 0, 1])
    expect(t.geom("block_pink/base/box").rgba).toEqual([1, 0, 1, 1])
    // default reset: blocks at their slots, resting (z within 2 mm of 0.46)
    const info = t.info()
    const slots = blockSlots(scene)
    expect(info.blocks.red.position[0]).toBeCloseTo(slots.table0[0], 2)
    expect(info.blocks.pink.position[1]).toBeCloseTo(slots.sliderLeft[1], 2)
    expect(Math.abs(info.blocks.blue.position[2] - 0.46)).toBeLessThan(0.002)
    expect(info.blocks.red.contacts).toEqual([{ body: "table", link: "base_link" }])
    expect(info.blocks.pink.contacts).toEqual([{ body: "table", link: "plank_link" }])
    expect(info.sceneObs).toHaveLength(24)
    expect(info.robotObs).toHaveLength(15)
    expect(defaultSceneObs(scene)).toHaveLength(24)
  })

  it("the scenes really differ: button, drawer, colours, block lengths", () => {
    const a = tables.get("A")!, b = tables.get("B")!, d = tables.get("D")!
    expect(a.geom("table/button_link/cap").position[0]).not.toBeCloseTo(d.geom("table/button_link/cap").position[0], 2)
    expect(b.geom("table/switch_link/lever").position[0]).toBeLessThan(0)
    expect(a.geom("table/drawer_link/floor").position[0]).toBeCloseTo(0.1, 6)
    expect(a.geom("table/base_link/desk").rgba).not.toEqual(b.geom("table/base_link/desk").rgba)
    expect(a.xml).toContain('size="0.04 0.02 0.02"') // A's blue block is 8 cm long
    expect(d.xml).toContain('size="0.04 0.02 0.02"') // D's pink block is 8 cm long
    expect(b.xml).not.toEqual(d.xml)
  })
})
