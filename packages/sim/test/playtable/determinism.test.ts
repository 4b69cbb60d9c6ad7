import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { defaultSceneObs, PlayTable } from "../../src/PlayTable.ts"

/** A fixed pseudo-random action sequence (LCG), so the test needs no seeded RNG library. */
const actions = (n: number): Array<[number, number, number, number, number, number, number]> => {
  let s = 12345
  const next = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648
    return (s / 2147483648) * 2 - 1
  }
  return Array.from({ length: n }, (_, i) => [next(), next(), next() * 0.5, next() * 0.2, next() * 0.2, next() * 0.5, i % 20 < 10 ? 1 : -1])
}

describe("determinism", () => {
  let a: PlayTable
  let b: PlayTable
  beforeAll(async () => {
    a = await PlayTable.load("D")
    b = await PlayTable.load("D")
  })
  afterAll(() => {
    a.dispose()
    b.dispose()
  })

  it("same reset + same actions → identical info, in two tables and on a re-run", () => {
    const scene = defaultSceneObs("D")
    scene[1] = 0.1
    const run = (t: PlayTable) => {
      t.reset({ sceneObs: scene })
      for (const act of actions(60)) t.step(act)
      return t.info()
    }
    const first = run(a)
    const second = run(b)
    const third = run(a)
    expect(second).toEqual(first)
    expect(third).toEqual(first)
    expect(first.robotObs[0]).not.toBeCloseTo(scene[0]!, 3) // it actually moved
  })
})

describe("saveState / restoreState", () => {
  it("replays bit-identically from a snapshot, also in another table", async () => {
    const a = await PlayTable.load("D")
    const b = await PlayTable.load("D")
    const scene = defaultSceneObs("D")
    scene[5] = 1
    a.reset({ sceneObs: scene })
    for (const act of actions(15)) a.step(act)
    const snap = a.saveState()
    const atSnap = a.info().sceneObs
    const later = actions(40).slice(15)
    for (const act of later) a.step(act)
    const first = a.info()
    a.restoreState(snap)
    expect(a.info().sceneObs).toEqual(atSnap)
    for (const act of later) a.step(act)
    expect(a.info()).toEqual(first)
    b.restoreState(snap)
    for (const act of later) b.step(act)
    expect(b.info()).toEqual(first)
    expect(b.info().lights.led).toBe(first.lights.led)
    const c = await PlayTable.load("A")
    expect(() => c.restoreState(snap)).toThrow(expect.objectContaining({ reason: "InvalidState" }))
    a.dispose()
    b.dispose()
    c.dispose()
  })
})
