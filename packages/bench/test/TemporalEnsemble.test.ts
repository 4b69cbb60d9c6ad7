import type { Action7 } from "@robovla/sdk"
import { describe, expect, it } from "vitest"
import { BenchError } from "../src/BenchError.ts"
import { checkActingOptions, makeTemporalEnsemble } from "../src/TemporalEnsemble.ts"

/** A chunk of n actions whose x is `base + step` and whose gripper is `gripper`. */
const chunk = (base: number, n: number, gripper = 1): Array<Action7> =>
  Array.from({ length: n }, (_, step) => [base + step, 0, 0, 0, 0, 0, gripper] as Action7)

describe("makeTemporalEnsemble", () => {
  it("with size 1 executes element 0 of the newest chunk", () => {
    const ensemble = makeTemporalEnsemble(1)
    expect(ensemble.next(chunk(10, 4))).toEqual([10, 0, 0, 0, 0, 0, 1])
    expect(ensemble.next(chunk(20, 4))).toEqual([20, 0, 0, 0, 0, 0, 1])
  })

  it("averages what the last K chunks predicted for this step", () => {
    const ensemble = makeTemporalEnsemble(3)
    expect(ensemble.next(chunk(10, 4))[0]).toBe(10)
    // Step 1: chunk A's element 1 (11) and chunk B's element 0 (20).
    expect(ensemble.next(chunk(20, 4))[0]).toBe((11 + 20) / 2)
    // Step 2: A[2] = 12, B[1] = 21, C[0] = 30.
    expect(ensemble.next(chunk(30, 4))[0]).toBe((12 + 21 + 30) / 3)
    // Step 3: A falls out of the window of 3; B[2] = 22, C[1] = 31, D[0] = 40.
    expect(ensemble.next(chunk(40, 4))[0]).toBe((22 + 31 + 40) / 3)
  })

  it("skips chunks too short to reach this step, and older chunks keep their age", () => {
    const ensemble = makeTemporalEnsemble(4)
    ensemble.next(chunk(10, 4))
    ensemble.next(chunk(20, 1))
    // Step 2: A[2] = 12; B (one action) cannot reach it; C[0] = 30.
    expect(ensemble.next(chunk(30, 4))[0]).toBe((12 + 30) / 2)
  })

  it("takes the gripper's sign of the mean, the newest chunk breaking a tie", () => {
    const ensemble = makeTemporalEnsemble(3)
    ensemble.next(chunk(0, 4, 1))
    expect(ensemble.next(chunk(0, 4, -1))[6]).toBe(-1)
    expect(ensemble.next(chunk(0, 4, -1))[6]).toBe(-1)
    const tie = makeTemporalEnsemble(2)
    tie.next(chunk(0, 4, -1))
    expect(tie.next(chunk(0, 4, 1))[6]).toBe(1)
  })

  it("refuses a size below 1", () => {
    expect(() => makeTemporalEnsemble(0)).toThrow(RangeError)
  })

  it("checks a run's acting options: an integer size ≥ 1, and one query per step when averaging", () => {
    expect(() => checkActingOptions({ actionsPerQuery: 5 })).not.toThrow()
    expect(() => checkActingOptions({ actionsPerQuery: 1, temporalEnsemble: 4 })).not.toThrow()
    expect(() => checkActingOptions({ actionsPerQuery: 3, temporalEnsemble: 4 })).toThrowError(/--actions-per-query 1/)
    expect(() => checkActingOptions({ actionsPerQuery: 1, temporalEnsemble: 1.5 })).toThrowError(BenchError)
  })
})
