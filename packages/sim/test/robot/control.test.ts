import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { moveTo as moveToPose } from "../moveTo.ts"
import { NEUTRAL_ROBOT_OBS, PlayTable } from "../../src/PlayTable.ts"

describe("robot control in MuJoCo", () => {
  let t: PlayTable
  beforeAll(async () => {
    t = await PlayTable.load("D")
  })
  afterAll(() => t.dispose())

  const moveTo = (x: number, y: number, z: number, grip: number): void => moveToPose(t, x, y, z, grip)
  const hold = (grip: number, n: number): void => {
    for (let k = 0; k < n; k++) t.step([0, 0, 0, 0, 0, 0, grip])
  }

  it("resets to the reference TCP pose within 1 cm / 0.05 rad (§6.3)", () => {
    t.reset()
    const obs = t.info().robotObs
    for (let i = 0; i < 3; i++) expect(Math.abs(obs[i]! - NEUTRAL_ROBOT_OBS[i]!)).toBeLessThan(0.01)
    for (let i = 3; i < 6; i++) expect(Math.abs(obs[i]! - NEUTRAL_ROBOT_OBS[i]!)).toBeLessThan(0.05)
    expect(obs[6]).toBeCloseTo(0.08, 3)
    expect(obs[14]).toBe(1)
  })

  it("moves the TCP about 0.02 m along +x per unit relative action", () => {
    t.reset()
    const x0 = t.info().robotObs[0]!
    const xs: Array<number> = []
    for (let k = 0; k < 5; k++) {
      t.step([1, 0, 0, 0, 0, 0, 1])
      xs.push(t.info().robotObs[0]!)
    }
    hold(1, 10)
    const obs = t.info().robotObs
    expect(obs[0]! - x0).toBeGreaterThan(0.095)
    expect(obs[0]! - x0).toBeLessThan(0.105)
    expect(Math.abs(obs[1]! - NEUTRAL_ROBOT_OBS[1]!)).toBeLessThan(0.005)
    expect(Math.abs(obs[2]! - NEUTRAL_ROBOT_OBS[2]!)).toBeLessThan(0.005)
    // it moves on every step, never backwards
    for (let k = 1; k < xs.length; k++) expect(xs[k]!).toBeGreaterThan(xs[k - 1]!)
    expect(t.targetPose().position[0] - NEUTRAL_ROBOT_OBS[0]!).toBeCloseTo(0.1, 6)
  })

  it("rotates the gripper by 0.05 rad per unit of relative yaw", () => {
    t.reset()
    const yaw0 = t.info().robotObs[5]!
    for (let k = 0; k < 4; k++) t.step([0, 0, 0, 0, 0, 1, 1])
    hold(1, 10)
    expect(t.info().robotObs[5]! - yaw0).toBeCloseTo(0.2, 2)
  })

  it("absolute actions put the TCP at the given world pose", () => {
    t.reset()
    for (let k = 0; k < 40; k++) t.step([0.1, -0.15, 0.52, Math.PI, 0, Math.PI / 2, 1], "absolute")
    const obs = t.info().robotObs
    expect(Math.hypot(obs[0]! - 0.1, obs[1]! + 0.15, obs[2]! - 0.52)).toBeLessThan(0.002)
  })

  it("closes on a block and lifts it off the desk", () => {
    t.reset()
    const red = t.info().blocks.red.position
    moveTo(red[0], red[1], 0.56, 1)
    moveTo(red[0], red[1], red[2] + 0.005, 1)
    hold(1, 10)
    hold(-1, 15)
    const closed = t.info()
    expect(closed.robotObs[14]).toBe(-1)
    expect(closed.robotObs[6]).toBeLessThan(0.06) // stopped by the 4 cm block, not closed to 0
    expect(closed.robotObs[6]).toBeGreaterThan(0.035)
    expect(closed.blocks.red.contacts).toContainEqual({ body: "robot", link: "base" })
    moveTo(red[0], red[1], 0.6, -1)
    hold(-1, 10)
    const lifted = t.info()
    expect(lifted.blocks.red.position[2]).toBeGreaterThan(0.46 + 0.1)
    expect(lifted.blocks.red.contacts).toEqual([{ body: "robot", link: "base" }])
    expect(lifted.robotContacts).toContainEqual({ body: "block_red", link: "base" })
    hold(1, 30)
    const dropped = t.info()
    expect(dropped.blocks.red.position[2]).toBeLessThan(0.47)
    expect(dropped.blocks.red.contacts).toContainEqual({ body: "table", link: "base_link" })
  })
})

describe("relative action clipping", () => {
  it("clips relative actions to [−1, 1] per component", async () => {
    const t = await PlayTable.load("D")
    const x0 = t.targetPose().position[0]
    t.step([5, 0, 0, 0, 0, 0, 1])
    expect(t.targetPose().position[0] - x0).toBeCloseTo(0.02, 12)
    t.dispose()
  })
})
