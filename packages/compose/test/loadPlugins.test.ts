/**
 * The real workspace plugins through the SDK's loader, by package name: the loader knows no plugin and no
 * engine, and each plugin initialises its own (tfjs plugins through @robovla/tfjs) in `make`.
 */
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as tf from "@tensorflow/tfjs-core"
import type { HeadPlugin } from "@robovla/sdk"
import { PluginLoader } from "@robovla/sdk"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"

const here = path.dirname(fileURLToPath(import.meta.url))

describe("the real @robovla/head-mlp workspace package", () => {
  it("loads by name and makes a head whose predict has the contract shapes, with no engine set up beforehand", async () => {
    const plugin = await PluginLoader.loadPlugin("@robovla/head-mlp", { from: here })
    expect(plugin).toMatchObject({ kind: "head", name: "mlp", contractVersion: "robovla.head/v1" })
    const out = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function*() {
          const head = yield* PluginLoader.makePlugin(plugin as HeadPlugin<unknown>, undefined, { inputSize: 8, windowSize: 2, chunkSize: 3, latent: 1 })
          return yield* head.predict({ data: new Float32Array(1 * 2 * 1 * 8).fill(0.1), shape: [1, 2, 1, 8] })
        })
      )
    )
    expect(out.arm.shape).toEqual([1, 2, 3, 6])
    expect(out.gripperLogits.shape).toEqual([1, 2, 3, 1])
    // make() initialised the kit: the project's backend (wasm here unless forced) is active.
    expect(["tensorflow", "wasm", "cpu"]).toContain(tf.getBackend())
  })
})
