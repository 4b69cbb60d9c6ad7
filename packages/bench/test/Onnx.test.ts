/**
 * The onnx policy spec (`onnx:<folder>[@provider]`). Chains against an exported policy, in-process and behind the
 * gateway's `onnx` deployment, are run in apps/gateway (Bench.test.ts), since bench depends on no app.
 */
import { describe, expect, it } from "vitest"
import { describePolicy, parsePolicyArg } from "../src/PolicySpec.ts"

describe("--policy onnx:<folder>", () => {
  it("parses the folder and an optional provider; bad forms are named", () => {
    expect(parsePolicyArg("onnx:exports/tiny")).toEqual({ kind: "onnx", dir: "exports/tiny" })
    expect(parsePolicyArg("onnx:/x/y@cuda")).toEqual({ kind: "onnx", dir: "/x/y", executionProvider: "cuda" })
    expect(describePolicy({ kind: "onnx", dir: "/x/y", executionProvider: "cpu" })).toBe("onnx /x/y on cpu")
    expect(() => parsePolicyArg("onnx:")).toThrow(/onnx:<export-folder>/)
  })
})
