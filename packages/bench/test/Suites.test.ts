import { describe, expect, it } from "vitest"
import { sceneObsForState, type SymbolicState } from "@robovla/sim"
import { singleTaskCoverage, suiteChains } from "../src/Suites.ts"

describe("calvin-single", () => {
  it("starts only the tasks some CALVIN initial state allows, each from a complete, finite reset", () => {
    const { startable, midChainOnly } = singleTaskCoverage()
    expect(startable.length + midChainOnly.length).toBe(34)
    // Reachable only after an earlier subtask: a block in the drawer, a held block, a stack.
    expect([...midChainOnly].sort()).toEqual([
      "lift_blue_block_drawer", "lift_pink_block_drawer", "lift_red_block_drawer", "place_in_drawer", "place_in_slider", "stack_block", "unstack_block"
    ])
    const chains = suiteChains("calvin-single", { perTask: 2, seed: 0 })
    expect(chains.length).toBe(startable.length * 2)
    expect(chains.map((c) => c.index)).toEqual(chains.map((_, i) => i))
    for (const chain of chains) {
      expect(startable).toContain(chain.tasks[0])
      expect(Object.keys(chain.initialState).length).toBeGreaterThan(0)
      expect(sceneObsForState(chain.initialState as SymbolicState, "D").every(Number.isFinite)).toBe(true)
    }
  })
})
