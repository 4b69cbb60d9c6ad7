import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import type { PlayTable } from "../../src/PlayTable.ts"
import { SimEnv } from "../../src/SimEnv.ts"

describe("SimEnv service", () => {
  it("acquires a table in a scoped layer, steps it, and releases it exactly once", async () => {
    let table: PlayTable | undefined
    const program = Effect.gen(function*() {
      const env = yield* SimEnv
      table = env.table
      const start = yield* env.reset()
      const after = yield* env.step([1, 0, 0, 0, 0, 0, 1])
      const obs = yield* env.observe({ rgbGripper: true })
      const snap = yield* env.snapshot()
      yield* env.step([0, 1, 0, 0, 0, 0, -1])
      const restored = yield* env.restore(snap)
      expect(restored.sceneObs).toEqual(after.sceneObs)
      return { start, after, obs, scene: env.scene }
    })
    const result = await Effect.runPromise(program.pipe(Effect.provide(SimEnv.layer("C"))))
    expect(result.scene).toBe("C")
    expect(result.after.robotObs[0]!).toBeGreaterThan(result.start.robotObs[0]!)
    expect(result.obs.rgbGripper?.data.length).toBe(84 * 84 * 3)
    expect(table?.released).toBe(true)
    expect(() => table?.dispose()).not.toThrow()
  })

  it("surfaces a bad action as a typed SimError failure", async () => {
    const program = Effect.gen(function*() {
      const env = yield* SimEnv
      return yield* env.step([0, 0, 0, 0, 0, NaN, 1])
    })
    const error = await Effect.runPromise(Effect.flip(program.pipe(Effect.provide(SimEnv.layer("D")))))
    expect(error._tag).toBe("SimError")
    expect(error.reason).toBe("InvalidAction")
  })
})
