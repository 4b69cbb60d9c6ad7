import { describe, expect, it } from "vitest"
import { PlayTable } from "../../src/PlayTable.ts"
import { SimError } from "../../src/SimError.ts"

const reasonOf = (f: () => unknown): string | undefined => {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(SimError)
    return (e as SimError).reason
  }
  return undefined
}

describe("errors and lifetime", () => {
  it("rejects bad actions and states with a typed SimError", async () => {
    const t = await PlayTable.load("D")
    expect(reasonOf(() => t.step([0, 0, NaN, 0, 0, 0, 1]))).toBe("InvalidAction")
    expect(reasonOf(() => t.step([0, 0, 0, 0, 0, 1] as never))).toBe("InvalidAction")
    expect(reasonOf(() => t.step([0, 0, 0, 0, 0, 0, Infinity]))).toBe("InvalidAction")
    expect(reasonOf(() => t.step(null as never))).toBe("InvalidAction")
    expect(reasonOf(() => t.step([0, 0, 0, 0, 0, 0, 1], "joint" as never))).toBe("InvalidAction")
    expect(reasonOf(() => t.reset({ robotObs: [1, 2, 3] }))).toBe("InvalidState")
    expect(reasonOf(() => t.reset({ sceneObs: new Array(24).fill(NaN) }))).toBe("InvalidState")
    expect(reasonOf(() => t.geom("nope"))).toBe("InvalidState")
    // the table still works after rejected calls
    t.step([0, 0, 0, 0, 0, 0, 1])
    expect(t.info().robotObs).toHaveLength(15)
    t.dispose()
  })

  it("disposes exactly once; later calls fail with Released", async () => {
    const t = await PlayTable.load("A")
    t.observe({ rgbStatic: true }) // allocate a camera too
    t.dispose()
    expect(t.released).toBe(true)
    expect(() => t.dispose()).not.toThrow()
    expect(reasonOf(() => t.step([0, 0, 0, 0, 0, 0, 1]))).toBe("Released")
    expect(reasonOf(() => t.reset())).toBe("Released")
    expect(reasonOf(() => t.info())).toBe("Released")
    expect(reasonOf(() => t.observe())).toBe("Released")
  })

  it("fails to load an unknown scene with ModelLoad", async () => {
    await expect(PlayTable.load("E" as never)).rejects.toMatchObject({ _tag: "SimError", reason: "ModelLoad" })
  })
})

describe("divergence", () => {
  it("reports a blown-up simulation as SimError Diverged", async () => {
    const t = await PlayTable.load("D")
    // a block placed deep inside the desk gets an enormous penetration impulse; a huge velocity overflows
    const scene = [0, 0, 0, 0, 0, 0, 0.05, -0.12, 0.2, 0, 0, 0, 0.23, -0.12, 0.46, 0, 0, 0, -0.24, 0.09, 0.461, 0, 0, 0]
    t.reset({ sceneObs: scene })
    ;((t as unknown as { data: { qvel: Float64Array } }).data.qvel).fill(1e300)
    expect(reasonOf(() => t.step([0, 0, 0, 0, 0, 0, 1]))).toBe("Diverged")
    t.dispose()
  })
})
