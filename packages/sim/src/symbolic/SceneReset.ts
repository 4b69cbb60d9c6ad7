/**
 * The physical reset for a symbolic state (reference/calvin.md §6.3, CALVIN's
 * `get_env_state_for_initial_condition`): doors, lights and block poses as a 24-D `scene_obs`, plus the fixed
 * neutral `robot_obs`. Randomness (which table slot each table block takes, and the block yaws) is seeded exactly as
 * CALVIN does, FNV-1 32 of the Python text of the state's values into numpy's legacy MT19937, so scene D resets match
 * the reference evaluation's.
 *
 * @since 0.1.0
 */
import { blockSlots, SCENES, type SceneId, type Vec3 } from "../scene/SceneLayout.ts"
import { NumpyRandomState, pyhashFnv1_32 } from "../chains/NumpyRandom.ts"
import { pythonDictValuesString, type SymbolicState } from "./SymbolicState.ts"

/**
 * CALVIN's evaluation `robot_obs` (the neutral pose): TCP pose, gripper width, 7 joints, gripper open.
 *
 * @since 0.1.0
 * @category constants
 */
export const EVAL_ROBOT_OBS: ReadonlyArray<number> = [
  0.02586889, -0.2313129, 0.5712808, 3.09045411, -0.02908596, 1.50013585, 0.07999963, -1.21779124, 1.03987629,
  2.11978254, -2.34205014, -0.87015899, 1.64119093, 0.55344928, 1.0
]

/** Yaw range of reset blocks, [π/2 − π/8, π/2 + π/8]: the long axis roughly along world y. @since 0.1.0 @category constants */
export const RESET_YAW_RANGE: readonly [number, number] = [Math.PI / 2 - Math.PI / 8, Math.PI / 2 + Math.PI / 8]

/** Scene D's slots at CALVIN's full precision. */
const SLOTS_D = {
  sliderLeft: [-2.40851662e-01, 9.24044687e-02, 4.60990009e-01] as Vec3,
  sliderRight: [7.03416330e-02, 9.24044687e-02, 4.60990009e-01] as Vec3,
  table0: [5.00000896e-02, -1.20000177e-01, 4.59990009e-01] as Vec3,
  table1: [2.29995412e-01, -1.19995140e-01, 4.59990010e-01] as Vec3
}

/**
 * CALVIN's per-state reset seed: pyhash `fnv1_32` of `str(state.values())`.
 *
 * @since 0.1.0
 * @category seeding
 */
export const stateSeed = (state: SymbolicState): number => pyhashFnv1_32(pythonDictValuesString(state))

/**
 * The 24-D `scene_obs` CALVIN resets to for `state`: sliding door at its left end (scene travel) when
 * slider = left, drawer 0.22 when open, switch 0.088 with the bulb on, button 0, LED flag; blocks on their slots
 * with roll = pitch = 0 and a seeded yaw. Scene D reproduces CALVIN exactly; the other scenes use their own door
 * travel and the slots of `blockSlots(scene)` (CALVIN itself evaluates only in D).
 *
 * `seed` defaults to CALVIN's `stateSeed(state)`; pass another to draw other slot orders and yaws (e.g. for
 * training-data variety).
 *
 * @since 0.1.0
 * @category reset
 */
export const sceneObsForState = (
  state: SymbolicState,
  scene: SceneId = "D",
  seed: number = stateSeed(state)
): Array<number> => {
  const slots = scene === "D" ? SLOTS_D : blockSlots(scene)
  const rng = new NumpyRandomState(seed >>> 0)
  const table: Array<Vec3> = [slots.table0, slots.table1]
  rng.shuffle(table)
  const obs = new Array<number>(24).fill(0)
  if (state.slider === "left") obs[0] = SCENES[scene].doorTravel
  if (state.drawer === "open") obs[1] = 0.22
  if (state.lightbulb === 1) obs[3] = 0.088
  obs[4] = state.lightbulb
  obs[5] = state.led
  const place = (offset: number, position: Vec3) => {
    obs[offset] = position[0]
    obs[offset + 1] = position[1]
    obs[offset + 2] = position[2]
  }
  const cabinet = (location: string): Vec3 | undefined =>
    location === "slider_right" ? slots.sliderRight : location === "slider_left" ? slots.sliderLeft : undefined
  place(6, cabinet(state.red_block) ?? table[0]!)
  obs[11] = rng.uniform(...RESET_YAW_RANGE)
  place(12, cabinet(state.blue_block) ?? (state.red_block === "table" ? table[1]! : table[0]!))
  obs[17] = rng.uniform(...RESET_YAW_RANGE)
  place(18, cabinet(state.pink_block) ?? table[1]!)
  obs[23] = rng.uniform(...RESET_YAW_RANGE)
  return obs
}
