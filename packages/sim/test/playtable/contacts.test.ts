import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { defaultSceneObs, PlayTable } from "../../src/PlayTable.ts"
import { drawerInteriorPosition } from "../../src/scene/SceneLayout.ts"

describe("contact sets per the SimInfo rule", () => {
  let t: PlayTable
  beforeAll(async () => {
    t = await PlayTable.load("D")
  })
  afterAll(() => t.dispose())
  const settle = (n = 15): void => {
    for (let k = 0; k < n; k++) t.step([0, 0, 0, 0, 0, 0, 1])
  }

  it("reports drawer_link for a block resting in the open drawer, and it rides along when the drawer closes", () => {
    const scene = defaultSceneObs("D")
    scene[1] = 0.22
    const inside = drawerInteriorPosition("D", 0.22)
    scene.splice(12, 3, inside[0], inside[1], inside[2] + 0.002) // blue block into the drawer
    t.reset({ sceneObs: scene })
    settle()
    let info = t.info()
    expect(info.blocks.blue.contacts).toEqual([{ body: "table", link: "drawer_link" }])
    expect(info.blocks.red.contacts).toEqual([{ body: "table", link: "base_link" }])
    // closing the drawer (reset with the drawer at 0 and the block moved with it) keeps the block below the desk slab
    scene[1] = 0
    const closed = drawerInteriorPosition("D", 0)
    scene.splice(12, 3, closed[0], closed[1], closed[2] + 0.002)
    t.reset({ sceneObs: scene })
    settle()
    info = t.info()
    expect(info.blocks.blue.contacts).toEqual([{ body: "table", link: "drawer_link" }])
    expect(info.blocks.blue.position[2] + 0.02).toBeLessThan(0.4)
  })

  it("reports block-on-block contacts for a stack and only blocks for the top block", () => {
    const scene = defaultSceneObs("D")
    // pink (8 cm) lies on the table at red's slot; red sits on top of it
    scene.splice(18, 6, 0.05, -0.12, 0.46, 0, 0, Math.PI / 2)
    scene.splice(6, 6, 0.05, -0.12, 0.501, 0, 0, Math.PI / 2)
    t.reset({ sceneObs: scene })
    settle(20)
    const info = t.info()
    expect(info.blocks.red.contacts).toEqual([{ body: "block_pink", link: "base" }])
    expect(info.blocks.pink.contacts).toContainEqual({ body: "block_red", link: "base" })
    expect(info.blocks.pink.contacts).toContainEqual({ body: "table", link: "base_link" })
    for (const v of [...info.blocks.red.linearVelocity, ...info.blocks.red.angularVelocity]) expect(Math.abs(v)).toBeLessThan(1)
  })

  it("keeps a block pushed off the front edge into the open drawer (push_into_drawer geometry)", () => {
    const scene = defaultSceneObs("D")
    scene[1] = 0.22
    scene.splice(12, 3, 0.18, -0.205, 0.46) // blue hanging over the desk edge above the open drawer
    t.reset({ sceneObs: scene })
    settle(30)
    const info = t.info()
    expect(info.blocks.blue.contacts).toContainEqual({ body: "table", link: "drawer_link" })
    expect(info.blocks.blue.position[2]).toBeLessThan(0.4)
  })
})
