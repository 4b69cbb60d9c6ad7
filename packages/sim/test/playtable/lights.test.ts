import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { moveTo as moveToPose } from "../moveTo.ts"
import { defaultSceneObs, PlayTable } from "../../src/PlayTable.ts"
import { buttonTopPosition } from "../../src/scene/SceneLayout.ts"

describe("light logic (§1.6)", () => {
  let t: PlayTable
  beforeAll(async () => {
    t = await PlayTable.load("D")
  })
  afterAll(() => t.dispose())

  const moveTo = (x: number, y: number, z: number, grip: number): void => moveToPose(t, x, y, z, grip)
  const hold = (n: number): void => {
    for (let k = 0; k < n; k++) t.step([0, 0, 0, 0, 0, 0, -1])
  }

  it("toggles the LED once per press of the button, not while it is held", () => {
    t.reset()
    const [bx, by, bz] = buttonTopPosition("D")
    moveTo(bx, by, bz + 0.06, -1)
    hold(10)
    expect(t.info().lights.led).toBe(0)
    // press: fingertips end 2 cm below the TCP
    moveTo(bx, by, bz + 0.02 - 0.017, -1)
    hold(10)
    let info = t.info()
    expect(info.doors.button).toBeGreaterThan(0.01)
    expect(info.lights.led).toBe(1)
    expect(info.sceneObs[5]).toBe(1)
    expect(t.geom("table/base_link/led").rgba.slice(0, 3)).toEqual([0, 1, 0])
    hold(20) // held down: no further toggles
    expect(t.info().lights.led).toBe(1)
    moveTo(bx, by, bz + 0.06, -1) // release: the spring brings the button back up
    hold(15)
    info = t.info()
    expect(info.doors.button).toBeLessThan(0.005)
    expect(info.lights.led).toBe(1)
    moveTo(bx, by, bz + 0.02 - 0.017, -1) // second press toggles back off
    hold(5)
    expect(t.info().lights.led).toBe(0)
    expect(t.geom("table/base_link/led").rgba.slice(0, 3)).toEqual([1, 1, 1])
  })

  it("keeps the bulb on exactly while the switch is above 0.044", () => {
    const scene = defaultSceneObs("D")
    scene[3] = 0.088
    scene[4] = 1
    t.reset({ sceneObs: scene })
    hold(3)
    let info = t.info()
    expect(info.lights.lightbulb).toBe(1)
    expect(info.doors.switch).toBeGreaterThan(0.08) // friction holds it against gravity
    expect(t.geom("table/base_link/bulb").rgba.slice(0, 3)).toEqual([1, 1, 0])
    // a reset with the switch below the threshold but bulb "on" is corrected by the first step's logic
    scene[3] = 0.03
    t.reset({ sceneObs: scene })
    expect(t.info().lights.lightbulb).toBe(1)
    t.step([0, 0, 0, 0, 0, 0, 1])
    info = t.info()
    expect(info.lights.lightbulb).toBe(0)
    expect(info.sceneObs[4]).toBe(0)
  })

  it("restores LED state and door values from scene_obs on reset (§6.3)", () => {
    const scene = defaultSceneObs("D")
    scene[0] = 0.28
    scene[1] = 0.22
    scene[5] = 1
    t.reset({ sceneObs: scene })
    hold(5)
    const info = t.info()
    expect(info.lights.led).toBe(1)
    expect(info.doors.slider).toBeCloseTo(0.28, 3)
    expect(info.doors.drawer).toBeCloseTo(0.22, 3)
  })
})
