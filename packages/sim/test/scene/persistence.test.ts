import { describe, expect, it } from "vitest"
import { defaultSceneObs, PlayTable, SceneLayout } from "../../src/index.ts"

// Articulated parts stay where they are left (calvin.md §1.6: "the switch has no spring, it stays where it is
// pushed"); the button alone springs back.
describe("parts stay where they are left", () => {
  for (const scene of ["A", "D"] as const) {
    it(`scene ${scene}: switch up, drawer open and door moved hold still for 10 s`, async () => {
      const table = await PlayTable.load(scene)
      const obs = [...defaultSceneObs(scene)]
      obs[0] = SceneLayout.SCENES[scene].doorTravel
      obs[1] = 0.22
      obs[3] = 0.088
      obs[4] = 1
      table.reset({ sceneObs: obs })
      const before = table.info().doors
      for (let i = 0; i < 300; i++) table.step([0, 0, 0, 0, 0, 0, 1])
      const after = table.info()
      expect(Math.abs(after.doors.switch - before.switch)).toBeLessThan(1e-3)
      expect(Math.abs(after.doors.drawer - before.drawer)).toBeLessThan(1e-3)
      expect(Math.abs(after.doors.slider - before.slider)).toBeLessThan(1e-3)
      expect(after.lights.lightbulb).toBe(1)
      table.dispose()
    })
  }
})
