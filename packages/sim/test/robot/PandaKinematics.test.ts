import { describe, expect, it } from "vitest"
import { eulerToMat, eulerToQuat, forwardKinematics, makeIkWorkspace, matToEuler, Q0, quatToMat, solveIk } from "../../src/robot/PandaKinematics.ts"

describe("Panda kinematics", () => {
  it("puts the TCP at CALVIN's reference pose for q0 (§2.1)", () => {
    const ws = makeIkWorkspace()
    forwardKinematics(ws, Q0)
    expect(ws.tcpPos[0]).toBeCloseTo(0.02587, 4)
    expect(ws.tcpPos[1]).toBeCloseTo(-0.23131, 4)
    expect(ws.tcpPos[2]).toBeCloseTo(0.57128, 4)
    const e = [0, 0, 0]
    matToEuler(ws.tcpRot, e)
    expect(e[0]).toBeCloseTo(3.09045, 4)
    expect(e[1]).toBeCloseTo(-0.02909, 4)
    expect(e[2]).toBeCloseTo(1.50014, 4)
  })

  it("round-trips Euler ↔ matrix ↔ quaternion in PyBullet's convention", () => {
    const R = new Float64Array(9)
    const R2 = new Float64Array(9)
    eulerToMat(0.3, -0.2, 1.1, R)
    quatToMat(eulerToQuat(0.3, -0.2, 1.1), R2)
    R.forEach((x, i) => expect(x).toBeCloseTo(R2[i]!, 12))
    const e = [0, 0, 0]
    matToEuler(R, e)
    expect(e).toEqual([expect.closeTo(0.3, 12), expect.closeTo(-0.2, 12), expect.closeTo(1.1, 12)])
  })

  it("solves IK to sub-millimetre accuracy for reachable targets", () => {
    const ws = makeIkWorkspace()
    const R = new Float64Array(9)
    const out = new Float64Array(7)
    for (const [x, y, z, yaw] of [[0.05, -0.12, 0.47, 1.57], [-0.2, 0.09, 0.5, 1.5], [0.18, -0.3, 0.4, 1.2]] as const) {
      eulerToMat(Math.PI, 0, yaw, R)
      let q: ArrayLike<number> = Q0
      let err = 1
      for (let k = 0; k < 5 && err > 1e-4; k++) {
        err = solveIk(ws, q, [x, y, z], R, out)
        q = Float64Array.from(out)
      }
      forwardKinematics(ws, out)
      expect(Math.hypot(ws.tcpPos[0]! - x, ws.tcpPos[1]! - y, ws.tcpPos[2]! - z)).toBeLessThan(5e-4)
    }
  })
})
