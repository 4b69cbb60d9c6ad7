import * as tf from "@tensorflow/tfjs-core"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { BACKEND_ENV_VAR, ComputeEngine, detectOnnxRuntime, selectBackend } from "../../src/ComputeEngine.ts"
import { SdkError } from "../../src/SdkError.ts"

const nativeInstalled = await import("@tensorflow/tfjs-node" as string).then(() => true, () => false)

describe("selectBackend", () => {
  it.skipIf(nativeInstalled)("picks wasm here, says why, and lists what it tried", async () => {
    const selection = await selectBackend({ env: {} })
    expect(selection.backend).toBe("wasm")
    expect(selection.forced).toBe(false)
    expect(selection.reason).toMatch(/no native TensorFlow .*@tensorflow\/tfjs-node: not installed.*WebAssembly/)
    expect(selection.tried.map((t) => [t.name, t.ok])).toEqual([
      ["@tensorflow/tfjs-node-gpu", false],
      ["@tensorflow/tfjs-node", false],
      ["@tensorflow/tfjs-backend-wasm", true]
    ])
    expect(typeof selection.wasm?.simd).toBe("boolean")
    expect(tf.getBackend()).toBe("wasm")
    // the backend really computes
    expect(Array.from(tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync())).toEqual([11])
  })

  it("is idempotent: a second call reuses the first selection", async () => {
    const first = await selectBackend({ env: {} })
    const second = await selectBackend({ env: {} })
    expect(second).toBe(first)
  })

  it("can be forced to cpu by option or by the environment, and switches back on the next auto call", async () => {
    const byOption = await selectBackend({ backend: "cpu" })
    expect(byOption).toMatchObject({ backend: "cpu", forced: true, reason: "forced by the backend option" })
    expect(tf.getBackend()).toBe("cpu")
    expect(Array.from(tf.add(tf.tensor1d([1]), tf.tensor1d([2])).dataSync())).toEqual([3])
    const byEnv = await selectBackend({ env: { [BACKEND_ENV_VAR]: "cpu" } })
    expect(byEnv).toMatchObject({ backend: "cpu", reason: "forced by ROBOVLA_TFJS_BACKEND=cpu" })
    const auto = await selectBackend({ env: {} })
    expect(tf.getBackend()).toBe(auto.backend)
  })

  it.skipIf(nativeInstalled)("fails clearly when tensorflow is forced but not installed", async () => {
    const error = await selectBackend({ env: { [BACKEND_ENV_VAR]: "tensorflow" } }).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(SdkError)
    expect((error as SdkError).reason).toBe("EngineUnavailable")
    expect((error as SdkError).message).toMatch(
      /"tensorflow" was forced by ROBOVLA_TFJS_BACKEND=tensorflow but cannot be loaded \(@tensorflow\/tfjs-node-gpu: not installed; @tensorflow\/tfjs-node: not installed\); install @tensorflow\/tfjs-node/
    )
  })

  it("rejects an unknown backend name in the environment", async () => {
    const error = await selectBackend({ env: { [BACKEND_ENV_VAR]: "metal" } }).catch((e: unknown) => e)
    expect((error as SdkError).reason).toBe("InvalidInput")
    expect((error as SdkError).message).toContain("ROBOVLA_TFJS_BACKEND=metal is not one of tensorflow, wasm, cpu, auto")
  })
})

describe("detectOnnxRuntime", () => {
  it("reports onnxruntime-node and its execution providers", async () => {
    const onnx = await detectOnnxRuntime()
    expect(onnx.available).toBe(true)
    expect(onnx.version).toMatch(/^\d+\.\d+/)
    expect(onnx.executionProviders).toContainEqual({ name: "cpu", bundled: true })
  })
})

describe("ComputeEngine service", () => {
  it("provides the selection, onnx availability and a summary through its layer", async () => {
    const engine = await Effect.runPromise(
      Effect.provide(Effect.gen(function*() { return yield* ComputeEngine }), ComputeEngine.layerWith({ backend: "cpu" }))
    )
    expect(engine.tfjs.backend).toBe("cpu")
    expect(engine.tf.getBackend()).toBe("cpu")
    expect(engine.summary).toMatch(/^tfjs cpu — forced by the backend option; onnxruntime-node \d/)
  })

  it("fails the layer with EngineUnavailable when a forced backend is missing", async () => {
    if (nativeInstalled) return
    const error = await Effect.runPromise(
      Effect.flip(Effect.provide(Effect.gen(function*() { return yield* ComputeEngine }), ComputeEngine.layerWith({ backend: "tensorflow" })))
    )
    expect(error.reason).toBe("EngineUnavailable")
  })
})
