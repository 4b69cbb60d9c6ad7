import { describe, expect, it } from "vitest"
import { detectOnnxRuntime } from "../../src/ComputeEngine.ts"

describe("detectOnnxRuntime", () => {
  it("reports onnxruntime-node and its execution providers", async () => {
    const onnx = await detectOnnxRuntime()
    expect(onnx.available).toBe(true)
    expect(onnx.version).toMatch(/^\d+\.\d+/)
    expect(onnx.executionProviders).toContainEqual({ name: "cpu", bundled: true })
  })
})
