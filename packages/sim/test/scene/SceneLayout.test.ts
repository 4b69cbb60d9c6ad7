import { describe, expect, it } from "vitest"
import {
  blockSlots,
  buttonTopPosition,
  compartmentPosition,
  doorHandlePosition,
  doorSpanX,
  drawerHandlePosition,
  drawerInteriorPosition,
  openCompartmentSide,
  SCENE_IDS,
  SCENES,
  SLANT_OUT,
  SLANT_UP,
  slantFaceY,
  switchHandlePosition
} from "../../src/scene/SceneLayout.ts"

describe("SceneLayout", () => {
  it("tabulates the per-scene differences of calvin.md §1.4", () => {
    expect(SCENES.A.buttonX).toBe(-0.28)
    expect(SCENES.B.buttonX).toBe(0.28)
    expect(SCENES.C.buttonX).toBe(-0.12)
    expect(SCENES.D.buttonX).toBe(-0.12)
    expect(SCENES.B.switchX).toBe(-0.32)
    expect(SCENES.D.switchX).toBe(0.3)
    expect([SCENES.A.doorTravel, SCENES.B.doorTravel, SCENES.C.doorTravel, SCENES.D.doorTravel]).toEqual([0.28, 0.304, 0.24, 0.28])
    expect(SCENES.D.blockLength).toEqual({ red: 0.056, blue: 0.04, pink: 0.08 })
    expect(SCENES.A.blockLength).toEqual({ red: 0.056, blue: 0.08, pink: 0.04 })
    expect(SCENES.D.drawerX).toBe(0.18)
    expect(SCENES.A.drawerX).toBe(0.1)
  })

  it("uses unit, orthogonal slant axes and a face that leans back 30°", () => {
    expect(Math.hypot(...SLANT_UP)).toBeCloseTo(1, 12)
    expect(Math.hypot(...SLANT_OUT)).toBeCloseTo(1, 12)
    expect(SLANT_UP[1] * SLANT_OUT[1] + SLANT_UP[2] * SLANT_OUT[2]).toBeCloseTo(0, 12)
    expect(slantFaceY(0.44)).toBeCloseTo(0.02, 2)
    expect((slantFaceY(0.648) - slantFaceY(0.44)) / (0.648 - 0.44)).toBeCloseTo(Math.tan(Math.PI / 6), 10)
  })

  it("moves the handles with their joints", () => {
    for (const s of SCENE_IDS) {
      const closed = drawerHandlePosition(s, 0)
      const open = drawerHandlePosition(s, 0.22)
      expect(open[1] - closed[1]).toBeCloseTo(-0.22, 12)
      expect(drawerInteriorPosition(s, 0.22)[1]).toBeLessThan(-0.18) // fully outside the desk front edge
      expect(doorHandlePosition(s, 0.1)[0] - doorHandlePosition(s, 0)[0]).toBeCloseTo(-0.1, 12)
      const sw0 = switchHandlePosition(s, 0)
      const sw1 = switchHandlePosition(s, 0.088)
      expect(sw1[1] - sw0[1]).toBeCloseTo(0.044, 6)
      expect(sw1[2] - sw0[2]).toBeCloseTo(0.088 * Math.sqrt(3) / 2, 6)
      expect(buttonTopPosition(s, 0)[2]).toBeCloseTo(0.487, 6)
      expect(buttonTopPosition(s, 0.02)[2]).toBeCloseTo(0.467, 6)
    }
  })

  it("puts the reset slots in the scene's spawn boxes and the door over the covered side", () => {
    for (const s of SCENE_IDS) {
      const slots = blockSlots(s)
      const sp = SCENES[s].spawn
      expect(slots.sliderLeft[0]).toBeGreaterThanOrEqual(sp.sliderLeft.xMin)
      expect(slots.sliderLeft[0]).toBeLessThanOrEqual(sp.sliderLeft.xMax)
      expect(slots.sliderRight[0]).toBeGreaterThanOrEqual(sp.sliderRight.xMin)
      expect(slots.sliderRight[0]).toBeLessThanOrEqual(sp.sliderRight.xMax)
      for (const t of [slots.table0, slots.table1]) {
        expect(t[0]).toBeGreaterThanOrEqual(sp.table.xMin)
        expect(t[0]).toBeLessThanOrEqual(sp.table.xMax)
      }
      // door at its right end (q = 0) covers the right slot, so the left side is open; at full travel the reverse
      const [x0, x1] = doorSpanX(s, 0)
      expect(compartmentPosition(s, "right")[0]).toBeGreaterThan(x0)
      expect(compartmentPosition(s, "right")[0]).toBeLessThan(x1)
      expect(openCompartmentSide(s, 0)).toBe("left")
      expect(openCompartmentSide(s, SCENES[s].doorTravel)).toBe("right")
    }
    expect(blockSlots("D").table0).toEqual([0.05, -0.12, 0.45999])
  })
})
