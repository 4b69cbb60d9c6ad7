import * as tf from "@tensorflow/tfjs-core"
import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { Config, make, plugin } from "../src/index.ts"
import type { MlpConfig } from "../src/MlpConfig.ts"
import { headContractTests, maxAbsDiff, randomTensor, useBackend, withHead } from "@robovla/tfjs/testing"

const dimensions = { inputSize: 12, windowSize: 3, chunkSize: 2, latent: 2 }
const tiny: MlpConfig = Schema.decodeUnknownSync(Config)({ hidden_size: 5, mlp_widths: [16, 8], seed: 7 })

headContractTests({ name: "mlp", make, config: tiny, withSeed: (config, seed) => ({ ...config, seed }), dimensions })

describe("mlp head", () => {
  it("manifest: kind, name, contract, defaults from an empty config", () => {
    expect(plugin.kind).toBe("head")
    expect(plugin.name).toBe("mlp")
    expect(plugin.contractVersion).toBe("robovla.head/v1")
    expect(plugin.defaultConfig).toEqual({ hidden_size: 1024, mlp_widths: [1024, 512, 256], arm_gripper_loss_ratio: 0.01, seed: 123 })
    expect(() => Schema.decodeUnknownSync(plugin.configSchema)({ hidden_size: 0 })).toThrow()
  })

  it("has the FCDecoder parameter layout (PyTorch (out, in) weights)", async () => {
    await useBackend()
    await withHead(make, tiny, dimensions, (head) => {
      const shapes = Object.fromEntries(Object.entries(head.weights()).map(([k, v]) => [k, v.shape]))
      const tokens = dimensions.latent * dimensions.inputSize
      expect(shapes["fc.0.weight"]).toEqual([tokens / 2, tokens])
      expect(shapes["fc.1.weight"]).toEqual([5 * dimensions.latent, tokens / 2])
      expect(shapes["arm.0.weight"]).toEqual([16, 10])
      expect(shapes["arm.2.weight"]).toEqual([dimensions.chunkSize * 6, 8])
      expect(shapes["gripper.2.weight"]).toEqual([dimensions.chunkSize, 8])
      expect(head.weights()["arm.0.bias"]!.data.every((v) => v === 0)).toBe(true)
      const bound = Math.sqrt(6 / (16 + 10))
      expect(head.weights()["arm.0.weight"]!.data.every((v) => Math.abs(v) <= bound)).toBe(true)
    })
  })

  it("reads every window position on its own", async () => {
    await useBackend()
    const window = randomTensor(11, [1, 3, dimensions.latent, dimensions.inputSize])
    const changed = { data: new Float32Array(window.data), shape: window.shape }
    changed.data[0] = 5 // position 0 only
    await withHead(make, tiny, dimensions, async (head) => {
      const a = await Effect.runPromise(head.predict(window))
      const b = await Effect.runPromise(head.predict(changed))
      const perPosition = dimensions.chunkSize * 6
      expect(maxAbsDiff(a.arm.data.subarray(perPosition), b.arm.data.subarray(perPosition))).toBe(0)
      expect(maxAbsDiff(a.arm.data.subarray(0, perPosition), b.arm.data.subarray(0, perPosition))).toBeGreaterThan(0)
    })
  })

  it("loss matches the §6.1 formula computed by hand", async () => {
    await useBackend()
    await withHead(make, { ...tiny, arm_gripper_loss_ratio: 0.5 }, { ...dimensions, windowSize: 1, chunkSize: 1 }, (head) => {
      const arm = tf.tensor4d([0.5, -0.2, 0, 0, 0, 0.9, 0, 0, 0, 0, 0, 0], [2, 1, 1, 6])
      const gripperLogits = tf.tensor4d([2, -1], [2, 1, 1, 1])
      const labels = { arm: tf.tensor4d([-1.5, 0, 0, 0, 0, 0.9, 1, 1, 1, 1, 1, 1], [2, 1, 1, 6]), gripper: tf.tensor3d([1, 1], [2, 1, 1]) }
      const mask = tf.tensor3d([1, 0], [2, 1, 1])
      const out = head.loss({ arm, gripperLogits }, labels, mask)
      // valid: sample 0 only. |0.5 − (−1.5)| = 2 → 1.5; |−0.2| → 0.02; others 0 → arm = 1.52 / 6
      expect(out.armLoss.dataSync()[0]).toBeCloseTo(1.52 / 6, 6)
      const bce = Math.log1p(Math.exp(-2))
      expect(out.gripperLoss.dataSync()[0]).toBeCloseTo(bce, 6)
      expect(out.loss.dataSync()[0]).toBeCloseTo(1.52 / 6 + 0.5 * bce, 6)
      expect(out.gripperAccuracy.dataSync()[0]).toBe(1)
      tf.dispose([arm, gripperLogits, labels.arm, labels.gripper, mask, out.loss, out.armLoss, out.gripperLoss, out.gripperAccuracy])
    })
  })
})
