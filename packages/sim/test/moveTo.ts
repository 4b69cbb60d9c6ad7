import type { PlayTable } from "../src/PlayTable.ts"

/** Steps relative actions until the target pose reaches (x, y, z) (at most 80 steps), holding the gripper. */
export const moveTo = (t: PlayTable, x: number, y: number, z: number, grip: number): void => {
  for (let k = 0; k < 80; k++) {
    const tp = t.targetPose().position
    if (Math.hypot(x - tp[0], y - tp[1], z - tp[2]) < 1e-5) break
    const d = [x - tp[0], y - tp[1], z - tp[2]].map((v) => Math.max(-1, Math.min(1, v / 0.02)))
    t.step([d[0]!, d[1]!, d[2]!, 0, 0, 0, grip])
  }
}
