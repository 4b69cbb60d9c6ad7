import type { FloatTensor } from "@robovla/sdk"
import { headContractTests, maxAbsDiff, randomTensor, useBackend, withHead } from "@robovla/tfjs/testing"
import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { Config, make, plugin } from "../src/index.ts"
import type { LstmConfig } from "../src/LstmConfig.ts"

const dimensions = { inputSize: 6, windowSize: 3, chunkSize: 2, latent: 2 }
const tiny: LstmConfig = Schema.decodeUnknownSync(Config)({ hidden_size: 3, num_layers: 2, mlp_widths: [8], seed: 7 })

headContractTests({ name: "lstm", make, config: tiny, withSeed: (config, seed) => ({ ...config, seed }), dimensions })

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))

/** A plain-JS PyTorch nn.LSTM (gates i, f, g, o) + MLPs, straight from the weight map. */
const referenceForward = (weights: Record<string, FloatTensor>, x: FloatTensor, layers: number, hidden: number, chunk: number) => {
  const [batch, time] = x.shape as [number, number]
  const inFeatures0 = x.data.length / (batch * time)
  const linear = (name: string, input: Array<number>) => {
    const w = weights[`${name}.weight`]!
    const b = weights[`${name}.bias`]!
    const [out, inn] = w.shape as [number, number]
    return Array.from({ length: out }, (_, o) => b.data[o]! + input.reduce((s, v, i) => s + v * w.data[o * inn + i]!, 0))
  }
  const arm: Array<number> = []
  const gripper: Array<number> = []
  for (let b = 0; b < batch; b++) {
    let seq = Array.from({ length: time }, (_, t) => Array.from(x.data.subarray((b * time + t) * inFeatures0, (b * time + t + 1) * inFeatures0)))
    for (let l = 0; l < layers; l++) {
      const wih = weights[`rnn.weight_ih_l${l}`]!, whh = weights[`rnn.weight_hh_l${l}`]!
      const bih = weights[`rnn.bias_ih_l${l}`]!, bhh = weights[`rnn.bias_hh_l${l}`]!
      const inn = wih.shape[1]!
      let h = new Array(hidden).fill(0), c = new Array(hidden).fill(0)
      const outs: Array<Array<number>> = []
      for (const xt of seq) {
        const gates = Array.from({ length: 4 * hidden }, (_, r) => {
          let s = bih.data[r]! + bhh.data[r]!
          for (let i = 0; i < inn; i++) s += wih.data[r * inn + i]! * xt[i]!
          for (let i = 0; i < hidden; i++) s += whh.data[r * hidden + i]! * h[i]!
          return s
        })
        c = c.map((cv, k) => sigmoid(gates[hidden + k]!) * cv + sigmoid(gates[k]!) * Math.tanh(gates[2 * hidden + k]!))
        h = c.map((cv, k) => sigmoid(gates[3 * hidden + k]!) * Math.tanh(cv))
        outs.push(h)
      }
      seq = outs
    }
    for (const feature of seq) {
      arm.push(...linear("arm.1", linear("arm.0", feature).map((v) => Math.max(0, v))).map(Math.tanh))
      gripper.push(...linear("gripper.1", linear("gripper.0", feature).map((v) => Math.max(0, v))))
    }
  }
  expect(arm.length).toBe(batch * time * chunk * 6)
  return { arm, gripper }
}

describe("lstm head", () => {
  it("manifest and defaults (4 layers, H 1024)", () => {
    expect(plugin.name).toBe("lstm")
    expect(plugin.defaultConfig).toEqual({ hidden_size: 1024, mlp_widths: [1024, 512, 256], arm_gripper_loss_ratio: 0.01, seed: 123, num_layers: 4 })
  })

  it("matches a plain-JS PyTorch LSTM (gate order i, f, g, o; both biases) on the same weights", async () => {
    await useBackend()
    const x = randomTensor(21, [2, 4, dimensions.latent, dimensions.inputSize])
    await withHead(make, tiny, { ...dimensions, windowSize: 4 }, async (head) => {
      const weights = head.weights()
      expect(weights["rnn.weight_ih_l0"]!.shape).toEqual([4 * 6, 12])
      expect(weights["rnn.weight_hh_l1"]!.shape).toEqual([4 * 6, 6])
      const got = await Effect.runPromise(head.predict(x))
      const want = referenceForward(weights, x, 2, 6, dimensions.chunkSize)
      expect(maxAbsDiff(got.arm.data, want.arm)).toBeLessThan(1e-5)
      expect(maxAbsDiff(got.gripperLogits.data, want.gripper)).toBeLessThan(1e-5)
    })
  })

  it("is causal: a later position never changes earlier outputs", async () => {
    await useBackend()
    const x = randomTensor(22, [1, 3, dimensions.latent, dimensions.inputSize])
    const changed = { data: new Float32Array(x.data), shape: x.shape }
    changed.data[changed.data.length - 1] = 3
    await withHead(make, tiny, dimensions, async (head) => {
      const a = await Effect.runPromise(head.predict(x))
      const b = await Effect.runPromise(head.predict(changed))
      const earlier = 2 * dimensions.chunkSize * 6
      expect(maxAbsDiff(a.arm.data.subarray(0, earlier), b.arm.data.subarray(0, earlier))).toBe(0)
      expect(maxAbsDiff(a.arm.data.subarray(earlier), b.arm.data.subarray(earlier))).toBeGreaterThan(0)
    })
  })
})
