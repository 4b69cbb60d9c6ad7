import { describe, expect, it } from "vitest"
import { EVAL_ROBOT_OBS, sceneObsForState, stateSeed } from "../../src/symbolic/SceneReset.ts"
import {
  applicableTasks,
  applyTask,
  chainStates,
  INITIAL_STATES,
  isValidChain,
  pythonDictValuesString,
  type SymbolicState
} from "../../src/symbolic/SymbolicState.ts"

/**
 * CALVIN's reset (`get_env_state_for_initial_condition`) re-run in Python with numpy's legacy RNG and FNV-1 32
 * over the UTF-16-LE text (pyhash's path for Python 3 str), for the first 6 distinct reference states.
 */
const PYTHON_RESETS: Array<{ state: SymbolicState; text: string; seed: number; sceneObs: Array<number> }> = [{"state": {"led": 1, "lightbulb": 1, "slider": "left", "drawer": "open", "red_block": "slider_left", "blue_block": "table", "pink_block": "slider_right", "grasped": 0}, "text": "dict_values([1, 1, 'left', 'open', 'slider_left', 'table', 'slider_right', 0])", "seed": 2138410836, "sceneObs": [0.28, 0.22, 0.0, 0.088, 1.0, 1.0, -0.240851662, 0.0924044687, 0.460990009, 0.0, 0.0, 1.8859410064104645, 0.229995412, -0.11999514, 0.45999001, 0.0, 0.0, 1.488143437705632, 0.070341633, 0.0924044687, 0.460990009, 0.0, 0.0, 1.4683986863194542]}, {"state": {"led": 1, "lightbulb": 1, "slider": "right", "drawer": "open", "red_block": "slider_right", "blue_block": "table", "pink_block": "slider_left", "grasped": 0}, "text": "dict_values([1, 1, 'right', 'open', 'slider_right', 'table', 'slider_left', 0])", "seed": 2685153213, "sceneObs": [0.0, 0.22, 0.0, 0.088, 1.0, 1.0, 0.070341633, 0.0924044687, 0.460990009, 0.0, 0.0, 1.8268336264859704, 0.229995412, -0.11999514, 0.45999001, 0.0, 0.0, 1.507641694779252, -0.240851662, 0.0924044687, 0.460990009, 0.0, 0.0, 1.6461964143959458]}, {"state": {"led": 0, "lightbulb": 1, "slider": "right", "drawer": "closed", "red_block": "table", "blue_block": "slider_right", "pink_block": "slider_left", "grasped": 0}, "text": "dict_values([0, 1, 'right', 'closed', 'table', 'slider_right', 'slider_left', 0])", "seed": 4009425464, "sceneObs": [0.0, 0.0, 0.0, 0.088, 1.0, 0.0, 0.0500000896, -0.120000177, 0.459990009, 0.0, 0.0, 1.4912139041697137, 0.070341633, 0.0924044687, 0.460990009, 0.0, 0.0, 1.610703281474808, -0.240851662, 0.0924044687, 0.460990009, 0.0, 0.0, 1.5452273400945669]}, {"state": {"led": 1, "lightbulb": 0, "slider": "right", "drawer": "closed", "red_block": "slider_right", "blue_block": "table", "pink_block": "table", "grasped": 0}, "text": "dict_values([1, 0, 'right', 'closed', 'slider_right', 'table', 'table', 0])", "seed": 3308447781, "sceneObs": [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.070341633, 0.0924044687, 0.460990009, 0.0, 0.0, 1.33483418109064, 0.0500000896, -0.120000177, 0.459990009, 0.0, 0.0, 1.9468579836204083, 0.229995412, -0.11999514, 0.45999001, 0.0, 0.0, 1.373665728548921]}, {"state": {"led": 1, "lightbulb": 0, "slider": "left", "drawer": "closed", "red_block": "slider_right", "blue_block": "table", "pink_block": "table", "grasped": 0}, "text": "dict_values([1, 0, 'left', 'closed', 'slider_right', 'table', 'table', 0])", "seed": 463990668, "sceneObs": [0.28, 0.0, 0.0, 0.0, 0.0, 1.0, 0.070341633, 0.0924044687, 0.460990009, 0.0, 0.0, 1.4235389706413686, 0.229995412, -0.11999514, 0.45999001, 0.0, 0.0, 1.2309909022051677, 0.0500000896, -0.120000177, 0.459990009, 0.0, 0.0, 1.5260079303236587]}, {"state": {"led": 1, "lightbulb": 1, "slider": "left", "drawer": "open", "red_block": "slider_right", "blue_block": "table", "pink_block": "table", "grasped": 0}, "text": "dict_values([1, 1, 'left', 'open', 'slider_right', 'table', 'table', 0])", "seed": 3329999529, "sceneObs": [0.28, 0.22, 0.0, 0.088, 1.0, 1.0, 0.070341633, 0.0924044687, 0.460990009, 0.0, 0.0, 1.5419054809392656, 0.229995412, -0.11999514, 0.45999001, 0.0, 0.0, 1.905663976672185, 0.0500000896, -0.120000177, 0.459990009, 0.0, 0.0, 1.3441401405297932]}]

const base: SymbolicState = {
  led: 0,
  lightbulb: 0,
  slider: "right",
  drawer: "closed",
  red_block: "table",
  blue_block: "table",
  pink_block: "slider_left",
  grasped: 0
}

describe("symbolic model", () => {
  it("lists 192 distinct initial states in product order", () => {
    expect(INITIAL_STATES).toHaveLength(192)
    expect(new Set(INITIAL_STATES.map((s) => JSON.stringify(s))).size).toBe(192)
    expect(INITIAL_STATES[0]).toEqual({ ...base, blue_block: "table", pink_block: "slider_right", red_block: "table" })
  })
  it("applies effects", () => {
    const lifted = applyTask("lift_red_block_table", base)
    expect(lifted).toMatchObject({ red_block: "grasped", grasped: 1 })
    expect(applyTask("open_drawer", lifted!)).toBeUndefined() // hands full
    expect(applyTask("place_in_slider", lifted!)).toMatchObject({ red_block: "slider_right", grasped: 0 })
  })
  it("rejects ambiguous branches (stack with two table blocks under a grasped block)", () => {
    const s: SymbolicState = { ...base, red_block: "grasped", grasped: 1, pink_block: "table" }
    expect(applyTask("stack_block", s)).toBeUndefined()
    expect(applyTask("stack_block", { ...s, pink_block: "slider_left" })).toMatchObject({
      red_block: "stacked_top",
      blue_block: "stacked_bottom"
    })
  })
  it("lift from slider needs the block on the open side", () => {
    expect(applyTask("lift_pink_block_slider", base)).toMatchObject({ pink_block: "grasped" })
    expect(applyTask("lift_pink_block_slider", { ...base, slider: "left" })).toBeUndefined()
  })
  it("push_into_drawer needs the other two blocks in the cabinet", () => {
    const s: SymbolicState = { ...base, drawer: "open", blue_block: "slider_right" }
    expect(applyTask("push_into_drawer", s)).toMatchObject({ red_block: "drawer" })
    expect(applyTask("push_into_drawer", { ...s, drawer: "closed" })).toBeUndefined()
    expect(applyTask("push_into_drawer", { ...s, blue_block: "table" })).toBeUndefined()
  })
  it("validates chains with categories", () => {
    expect(isValidChain(base, ["open_drawer", "lift_red_block_table", "place_in_drawer", "turn_on_led", "move_slider_left"])).toBe(true)
    expect(isValidChain(base, ["open_drawer", "close_drawer", "turn_on_led", "turn_on_lightbulb", "move_slider_left"])).toBe(false)
    expect(chainStates(base, ["open_drawer", "lift_red_block_drawer"])).toBeUndefined()
  })
  it("every initial state has applicable tasks", () => {
    for (const s of INITIAL_STATES) expect(applicableTasks(s).length).toBeGreaterThan(5)
  })
})

describe("sceneObsForState", () => {
  it("prints Python's dict_values text", () => {
    expect(pythonDictValuesString(base)).toBe("dict_values([0, 0, 'right', 'closed', 'table', 'table', 'slider_left', 0])")
  })
  for (const ref of PYTHON_RESETS) {
    it(`matches CALVIN's reset for ${ref.text}`, () => {
      expect(pythonDictValuesString(ref.state)).toBe(ref.text)
      expect(stateSeed(ref.state)).toBe(ref.seed)
      const obs = sceneObsForState(ref.state, "D")
      expect(obs).toHaveLength(24)
      for (let i = 0; i < 24; i++) expect(obs[i]).toBeCloseTo(ref.sceneObs[i]!, 12)
    })
  }
  it("places table blocks on distinct slots, yaw within range, for every state and scene", () => {
    for (const scene of ["A", "B", "C", "D"] as const) {
      for (const s of INITIAL_STATES) {
        const obs = sceneObsForState(s, scene)
        const xy = [0, 1, 2].map((b) => `${obs[6 + 6 * b]!.toFixed(4)},${obs[7 + 6 * b]!.toFixed(4)}`)
        expect(new Set(xy).size).toBe(3)
        for (const b of [0, 1, 2]) {
          expect(obs[11 + 6 * b]).toBeGreaterThanOrEqual(Math.PI / 2 - Math.PI / 8)
          expect(obs[11 + 6 * b]).toBeLessThanOrEqual(Math.PI / 2 + Math.PI / 8)
          expect(obs[9 + 6 * b]).toBe(0)
        }
        expect(obs[0]).toBe(s.slider === "left" ? (scene === "B" ? 0.304 : scene === "C" ? 0.24 : 0.28) : 0)
      }
    }
  })
  it("an explicit seed changes the draw", () => {
    const s = INITIAL_STATES[5]!
    expect(sceneObsForState(s, "D", 1)).not.toEqual(sceneObsForState(s, "D"))
    expect(sceneObsForState(s, "D", 1)).toEqual(sceneObsForState(s, "D", 1))
  })
  it("exposes CALVIN's eval robot_obs", () => {
    expect(EVAL_ROBOT_OBS).toHaveLength(15)
    expect(EVAL_ROBOT_OBS[14]).toBe(1)
  })
})
