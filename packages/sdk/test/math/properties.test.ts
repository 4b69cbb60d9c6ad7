/**
 * Property-style round trips on seeded random inputs (a small deterministic PRNG, so failures reproduce).
 */
import { describe, expect, it } from "vitest"
import {
  angleBetween,
  denormalizeAction,
  denormalizeChunk,
  denormalizeFlatInPlace,
  eulerXyzToMatrix,
  matMul3,
  matrixToEulerXyz,
  muLawDecode,
  muLawEncode,
  normalizeAction,
  normalizeChunk,
  normalizeFlatInPlace,
  relativeToAbsoluteTarget,
  tcpToWorldFrame,
  toRelativeAction,
  transpose3,
  worldToTcpFrame
} from "../../src/math/index.ts"
import { mulberry32 } from "../../src/Random.ts"

/** The SDK's seeded generator (uniform in [0, 1)). */
const prng = mulberry32
const uniform = (rand: () => number, lo: number, hi: number) => lo + (hi - lo) * rand()
const TRIALS = 2000

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!))
  return worst
}

/** A CALVIN-like robot_obs: TCP position, Euler angles with pitch inside (−π/2, π/2), the rest random. */
const randomRobotObs = (rand: () => number) =>
  Array.from({ length: 15 }, (_, i) =>
    i === 4 ? uniform(rand, -1.4, 1.4) : i >= 3 && i < 6 ? uniform(rand, -Math.PI, Math.PI) : uniform(rand, -1, 1))

describe("rotation properties", () => {
  it("matrix → Euler → matrix is the identity and matrices are orthonormal", () => {
    const rand = prng(1)
    let worst = 0
    for (let k = 0; k < TRIALS; k++) {
      const euler = [uniform(rand, -Math.PI, Math.PI), uniform(rand, -Math.PI / 2, Math.PI / 2), uniform(rand, -Math.PI, Math.PI)]
      const m = eulerXyzToMatrix(euler)
      worst = Math.max(worst, maxAbsDiff(eulerXyzToMatrix(matrixToEulerXyz(m)), m))
      worst = Math.max(worst, maxAbsDiff(matMul3(m, transpose3(m)), [1, 0, 0, 0, 1, 0, 0, 0, 1]))
      // Angles inside the principal range come back unchanged.
      worst = Math.max(worst, maxAbsDiff(matrixToEulerXyz(m), euler))
    }
    expect(worst).toBeLessThan(1e-12)
  })

  it("is Rx·Ry·Rz (single-axis rotations compose in that order)", () => {
    const [a, b, c] = [0.3, -0.7, 1.1]
    const rx = eulerXyzToMatrix([a, 0, 0])
    const ry = eulerXyzToMatrix([0, b, 0])
    const rz = eulerXyzToMatrix([0, 0, c])
    expect(maxAbsDiff(eulerXyzToMatrix([a, b, c]), matMul3(matMul3(rx, ry), rz))).toBeLessThan(1e-15)
    // A positive rotation about z maps x to +y.
    expect(eulerXyzToMatrix([0, 0, Math.PI / 2])[3]).toBeCloseTo(1, 15)
  })

  it("never returns NaN for a matrix whose R02 rounds past ±1", () => {
    const m = eulerXyzToMatrix([0.2, Math.PI / 2, -0.4])
    m[2] = 1 + 1e-15
    expect(matrixToEulerXyz(m).every(Number.isFinite)).toBe(true)
  })
})

describe("normalisation properties", () => {
  it("denormalize ∘ normalize = clip, gripper kept, output in [−1, 1]", () => {
    const rand = prng(2)
    for (let k = 0; k < TRIALS; k++) {
      const raw = [...Array.from({ length: 6 }, () => uniform(rand, -1, 1)), rand() < 0.5 ? -1 : 1]
      const n = normalizeAction(raw)
      expect(n[6]).toBe(raw[6])
      for (let i = 0; i < 6; i++) expect(Math.abs(n[i]!)).toBeLessThanOrEqual(1)
      const back = denormalizeAction(n)
      for (let i = 0; i < 6; i++) expect(back[i]).toBeCloseTo(Math.min(0.65, Math.max(-0.65, raw[i]!)), 12)
      expect(back[6]).toBe(raw[6])
    }
  })

  it("normalize ∘ denormalize is the identity on [−1, 1] for any bounds", () => {
    const rand = prng(3)
    for (let k = 0; k < TRIALS; k++) {
      const lo = uniform(rand, -2, 0)
      const hi = lo + uniform(rand, 0.1, 3)
      const n = [...Array.from({ length: 6 }, () => uniform(rand, -1, 1)), 0.5]
      expect(maxAbsDiff(normalizeAction(denormalizeAction(n, lo, hi), lo, hi), n)).toBeLessThan(1e-12)
    }
  })

  it("chunk and flat in-place variants agree with the per-action functions", () => {
    const rand = prng(4)
    const chunk = Array.from({ length: 10 }, () => [...Array.from({ length: 6 }, () => uniform(rand, -1, 1)), 1])
    const flat = Float64Array.from(chunk.flat())
    normalizeFlatInPlace(flat)
    expect(maxAbsDiff(flat, normalizeChunk(chunk).flat())).toBe(0)
    denormalizeFlatInPlace(flat)
    expect(maxAbsDiff(flat, denormalizeChunk(normalizeChunk(chunk)).flat())).toBe(0)
  })
})

describe("frame properties", () => {
  it("tcpToWorldFrame inverts worldToTcpFrame and vice versa", () => {
    const rand = prng(5)
    let worst = 0
    for (let k = 0; k < TRIALS; k++) {
      const obs = randomRobotObs(rand)
      const action = [...Array.from({ length: 6 }, () => uniform(rand, -1, 1)), rand() < 0.5 ? -1 : 1]
      const tcp = worldToTcpFrame(action, obs)
      expect(tcp[6]).toBe(action[6])
      worst = Math.max(worst, maxAbsDiff(tcpToWorldFrame(tcp, obs), action))
      worst = Math.max(worst, maxAbsDiff(worldToTcpFrame(tcpToWorldFrame(action, obs), obs), action))
    }
    expect(worst).toBeLessThan(1e-9)
  })

  it("preserves the length of the position delta and flips the orientation sign at the identity pose", () => {
    const obs = Array.from({ length: 15 }, () => 0)
    const tcp = worldToTcpFrame([0.3, -0.2, 0.1, 0.5, -0.4, 0.2, 1], obs)
    expect(tcp.slice(0, 3)).toEqual([0.3, -0.2, 0.1])
    // At the identity pose the TCP delta is ≈ minus the world delta (reference/robovlms.md §1.3).
    expect(maxAbsDiff(tcp.slice(3, 6), [-0.5, 0.4, -0.2])).toBeLessThan(1e-2)
  })
})

describe("μ-law and relative-action properties", () => {
  it("μ-law decode ∘ encode is the identity, keeps sign and gripper, maps [−1, 1] onto itself", () => {
    const rand = prng(6)
    for (let k = 0; k < TRIALS; k++) {
      const x = [...Array.from({ length: 6 }, () => uniform(rand, -1, 1)), -1]
      const y = muLawEncode(x)
      for (let i = 0; i < 6; i++) {
        expect(Math.sign(y[i]!)).toBe(Math.sign(x[i]!))
        expect(Math.abs(y[i]!)).toBeLessThanOrEqual(1 + 1e-15)
      }
      expect(maxAbsDiff(muLawDecode(y), x)).toBeLessThan(1e-12)
    }
  })

  it("angleBetween wraps into [−π, π) like numpy's floor modulo", () => {
    expect(angleBetween(0, Math.PI)).toBeCloseTo(-Math.PI, 15) // +π maps to −π
    expect(angleBetween(3.1, -3.1)).toBeCloseTo(2 * Math.PI - 6.2, 12)
    expect(angleBetween(-3.1, 3.1)).toBeCloseTo(6.2 - 2 * Math.PI, 12)
  })

  it("relativeToAbsoluteTarget inverts toRelativeAction inside the clip range", () => {
    const rand = prng(7)
    for (let k = 0; k < TRIALS; k++) {
      const obs = randomRobotObs(rand)
      const rel = [...Array.from({ length: 6 }, () => uniform(rand, -0.99, 0.99)), rand() < 0.5 ? -1 : 1]
      const target = relativeToAbsoluteTarget(rel, obs)
      expect(maxAbsDiff(toRelativeAction(target, obs), rel)).toBeLessThan(1e-9)
    }
  })

  it("clips large targets to ±1 per arm dim", () => {
    const obs = Array.from({ length: 15 }, () => 0)
    const rel = toRelativeAction([1, -1, 0.01, 0.5, -0.5, 0.025, 1], obs)
    expect(maxAbsDiff(rel, [1, -1, 0.5, 1, -1, 0.5, 1])).toBeLessThan(1e-12) // the wrap adds rounding
  })
})
