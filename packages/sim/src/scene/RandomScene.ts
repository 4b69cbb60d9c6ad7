/**
 * CALVIN's random reset (reference/calvin.md §1.5) as a pure function of a seed: each block picks one of the
 * scene's three surfaces (desk, compartment left, compartment right) uniformly, then a position uniform in that
 * spawn box (centre z 0.46, 0.461 on the plank) and a yaw uniform in [−π, π]; all three are resampled, up to 1000
 * times, until no two block footprints touch. Doors and lights can be randomised too (off by default).
 * One addition to CALVIN's rule: a block in the cabinet must also fit between the slanted face (where the door
 * slides) and the back wall, and inside the plank's x span, and a block on the desk must stay off the button housing and in front of the door's
 * lower edge; otherwise the door or the housing would shove it at the first step.
 *
 * The generator is a small seeded PRNG (mulberry32), so the same seed gives the same scene_obs on every machine;
 * it does not reproduce numpy's stream (CALVIN's own data used unseeded numpy).
 *
 * @since 0.1.0
 */
import { mulberry32 } from "@robovla/sdk"
import {
  BLOCK_REST_Z,
  BLOCK_SECTION,
  BUTTON,
  CABINET,
  DRAWER_TRAVEL,
  PLANK,
  type SceneId,
  SCENES,
  slantFaceY,
  type SpawnBox,
  SWITCH_THRESHOLD,
  SWITCH_TRAVEL
} from "./SceneLayout.ts"


/** @since 0.1.0 @category models */
export interface RandomSceneOptions {
  /** Also draw the door (0 … travel), drawer (0 … 0.22), switch (0 … 0.088) and LED uniformly. Default false. */
  readonly randomizeDoorsAndLights?: boolean
  /** Extra clearance (m) required between block footprints. Default 0.005. */
  readonly clearance?: number
}

/** Footprint corners (x, y) of a block centred at (x, y) with length `len` along its local x and yaw `yaw`. */
const footprint = (x: number, y: number, yaw: number, len: number, pad: number): Array<[number, number]> => {
  const c = Math.cos(yaw), s = Math.sin(yaw)
  const hx = len / 2 + pad, hy = BLOCK_SECTION / 2 + pad
  return [
    [x + c * hx - s * hy, y + s * hx + c * hy],
    [x - c * hx - s * hy, y - s * hx + c * hy],
    [x - c * hx + s * hy, y - s * hx - c * hy],
    [x + c * hx + s * hy, y + s * hx - c * hy]
  ]
}

/** Separating-axis test for two convex quads. */
const overlaps = (a: Array<[number, number]>, b: Array<[number, number]>): boolean => {
  for (const poly of [a, b]) {
    for (let i = 0; i < 4; i++) {
      const p = poly[i]!, q = poly[(i + 1) % 4]!
      const nx = q[1] - p[1], ny = p[0] - q[0]
      let amin = Infinity, amax = -Infinity, bmin = Infinity, bmax = -Infinity
      for (const v of a) {
        const d = v[0] * nx + v[1] * ny
        amin = Math.min(amin, d)
        amax = Math.max(amax, d)
      }
      for (const v of b) {
        const d = v[0] * nx + v[1] * ny
        bmin = Math.min(bmin, d)
        bmax = Math.max(bmax, d)
      }
      if (amax < bmin || bmax < amin) return false
    }
  }
  return true
}

/**
 * A random scene_obs (24 values) for `scene` from `seed`. Blocks never overlap (footprints at least `clearance`
 * apart); block order is red, blue, pink.
 *
 * @since 0.1.0
 * @category constructors
 */
export const randomSceneObs = (scene: SceneId, seed: number, options: RandomSceneOptions = {}): Array<number> => {
  const layout = SCENES[scene]
  const rand = mulberry32(seed)
  const uniform = (lo: number, hi: number): number => lo + (hi - lo) * rand()
  const surfaces: ReadonlyArray<readonly [SpawnBox, number]> = [
    [layout.spawn.table, BLOCK_REST_Z],
    [layout.spawn.sliderLeft, PLANK.zTop + BLOCK_SECTION / 2],
    [layout.spawn.sliderRight, PLANK.zTop + BLOCK_SECTION / 2]
  ]
  const pad = (options.clearance ?? 0.005) / 2
  // the door's back face at the height of a block's top edge, and the compartment's back wall
  const faceY = slantFaceY(PLANK.zTop + BLOCK_SECTION) + 0.004
  const backY = CABINET.compartmentBackY - 0.003
  const hh = BUTTON.housingHalf + 0.003
  const housing: Array<[number, number]> = [
    [layout.buttonX + hh, BUTTON.y + hh],
    [layout.buttonX - hh, BUTTON.y + hh],
    [layout.buttonX - hh, BUTTON.y - hh],
    [layout.buttonX + hh, BUTTON.y - hh]
  ]
  const lengths = [layout.blockLength.red, layout.blockLength.blue, layout.blockLength.pink]
  let blocks: Array<[number, number, number, number]> = []
  for (let attempt = 0; attempt < 1000; attempt++) {
    blocks = lengths.map(() => {
      const [box, z] = surfaces[Math.min(2, Math.floor(rand() * 3))]!
      return [uniform(box.xMin, box.xMax), uniform(box.yMin, box.yMax), z, uniform(-Math.PI, Math.PI)] as [number, number, number, number]
    })
    const prints = blocks.map(([x, y, , yaw], i) => footprint(x, y, yaw, lengths[i]!, pad))
    const outOfCabinet = blocks.some(([, , z], i) => z > BLOCK_REST_Z && prints[i]!.some(([px, py]) => py < faceY || py > backY || px < layout.plankXMin + 0.005 || px > layout.plankXMax - 0.005))
    // on the desk: off the button housing and in front of the door's lower edge (y ≈ 0.003)
    const onHousing = blocks.some(([, , z], i) => z <= BLOCK_REST_Z && (overlaps(prints[i]!, housing) || prints[i]!.some(([, py]) => py > -0.002)))
    const clash = outOfCabinet || onHousing || overlaps(prints[0]!, prints[1]!) || overlaps(prints[0]!, prints[2]!) || overlaps(prints[1]!, prints[2]!)
    if (!clash) break
  }
  const head = [0, 0, 0, 0, 0, 0]
  if (options.randomizeDoorsAndLights === true) {
    head[0] = uniform(0, layout.doorTravel)
    head[1] = uniform(0, DRAWER_TRAVEL)
    head[3] = uniform(0, SWITCH_TRAVEL)
    head[4] = head[3] > SWITCH_THRESHOLD ? 1 : 0
    head[5] = rand() < 0.5 ? 1 : 0
  }
  return [...head, ...blocks.flatMap(([x, y, z, yaw]) => [x, y, z, 0, 0, yaw])]
}
