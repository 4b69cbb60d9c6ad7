import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as tf from "@tensorflow/tfjs-core"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { SdkError } from "@robovla/sdk"
import { BACKEND_ENV_VAR, ensureTfjs, hasGradient, initTfjs, selectBackend, TfjsEngine } from "../src/TfjsEngine.ts"

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

describe("TfjsEngine service", () => {
  it("provides the selection and a summary through its layer", async () => {
    const engine = await Effect.runPromise(
      Effect.provide(Effect.gen(function*() { return yield* TfjsEngine }), TfjsEngine.layerWith({ backend: "cpu" }))
    )
    expect(engine.selection.backend).toBe("cpu")
    expect(engine.tf.getBackend()).toBe("cpu")
    expect(engine.summary).toMatch(/^tfjs cpu — forced by the backend option/)
  })

  it("fails the layer with EngineUnavailable when a forced backend is missing", async () => {
    if (nativeInstalled) return
    const error = await Effect.runPromise(
      Effect.flip(Effect.provide(Effect.gen(function*() { return yield* TfjsEngine }), TfjsEngine.layerWith({ backend: "tensorflow" })))
    )
    expect(error.reason).toBe("EngineUnavailable")
  })
})

describe("initTfjs / ensureTfjs", () => {
  it("registers gradients and the kernel hook's note along with the backend", async () => {
    const setup = await initTfjs({ backend: "cpu" })
    expect(setup.selection.backend).toBe("cpu")
    expect(hasGradient("BatchMatMul")).toBe(true)
    expect(setup.summary.startsWith("tfjs cpu — forced by the backend option")).toBe(true)
    if (setup.kernels !== undefined) expect(setup.summary).toContain(setup.kernels)
  })

  it("ensureTfjs keeps a backend chosen before (tests force cpu), and re-activates it if tfjs was switched", async () => {
    await initTfjs({ backend: "cpu" })
    expect((await ensureTfjs()).selection.backend).toBe("cpu")
    await tf.setBackend("wasm")
    expect((await ensureTfjs()).selection.backend).toBe("cpu")
    expect(tf.getBackend()).toBe("cpu")
  })

  it("registers gradients in plain Node too (outside vitest's module resolution)", () => {
    const fixture = fileURLToPath(new URL("./fixtures/plainNodeGradients.ts", import.meta.url))
    const out = execFileSync(process.execPath, ["--import", "tsx", fixture], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
    const line = out.split("\n").find((l) => l.startsWith("{"))!
    // d/dA sum(A·A) = 1·Aᵀ + Aᵀ·1
    expect(JSON.parse(line)).toEqual({ before: false, after: true, backend: "cpu", grad: [7, 11, 9, 13] })
  })
})
