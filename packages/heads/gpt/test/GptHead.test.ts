import type { FloatTensor } from "@robovla/sdk"
import { failureOf, headContractTests, maxAbsDiff, randomTensor, useBackend, withHead } from "@robovla/tfjs/testing"
import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { Config, make, plugin } from "../src/index.ts"
import type { GptConfig } from "../src/GptConfig.ts"

const dimensions = { inputSize: 6, windowSize: 3, chunkSize: 2, latent: 2 }
const tiny: GptConfig = Schema.decodeUnknownSync(Config)({ hidden_size: 4, n_layer: 2, n_head: 2, mlp_widths: [8], seed: 7 })

headContractTests({ name: "gpt", make, config: tiny, withSeed: (config, seed) => ({ ...config, seed }), dimensions })

/** A plain-JS GPT-2 (pre-LN, causal, gelu_new) + MLPs over one sample, straight from the weight map. */
const referenceForward = (w: Record<string, FloatTensor>, x: FloatTensor, config: GptConfig) => {
  const [, time, latent, width] = x.shape as [number, number, number, number]
  const E = config.hidden_size * latent
  const nh = config.n_head
  const hd = E / nh
  const vec = (name: string) => Array.from(w[name]!.data)
  const torchLinear = (name: string, input: Array<number>) => {
    const m = w[`${name}.weight`]!, b = w[`${name}.bias`]!
    const [out, inn] = m.shape as [number, number]
    return Array.from({ length: out }, (_, o) => b.data[o]! + input.reduce((s, v, i) => s + v * m.data[o * inn + i]!, 0))
  }
  const conv1d = (name: string, input: Array<number>) => {
    const m = w[`${name}.weight`]!, b = w[`${name}.bias`]!
    const out = m.shape[1]!
    return Array.from({ length: out }, (_, o) => b.data[o]! + input.reduce((s, v, i) => s + v * m.data[i * out + o]!, 0))
  }
  const layerNorm = (name: string, v: Array<number>) => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length
    const g = vec(`${name}.weight`), b = vec(`${name}.bias`)
    return v.map((x, i) => ((x - mean) / Math.sqrt(variance + config.layer_norm_epsilon)) * g[i]! + b[i]!)
  }
  const gelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))
  const wpe = w["gpt.wpe.weight"]!.data
  let h = Array.from({ length: time }, (_, t) => {
    const tokens: Array<number> = []
    for (let l = 0; l < latent; l++) {
      const token = Array.from(x.data.subarray((t * latent + l) * width, (t * latent + l + 1) * width))
      tokens.push(...(width === config.hidden_size ? token : torchLinear("proj", token)))
    }
    return tokens.map((v, i) => v + wpe[t * E + i]!)
  })
  for (let layer = 0; layer < config.n_layer; layer++) {
    const p = `gpt.h.${layer}`
    const qkv = h.map((row) => conv1d(`${p}.attn.c_attn`, layerNorm(`${p}.ln_1`, row)))
    const context = h.map((_, t) => {
      const out = new Array(E).fill(0)
      for (let j = 0; j < nh; j++) {
        const q = qkv[t]!.slice(j * hd, (j + 1) * hd)
        const scores = qkv.slice(0, t + 1).map((row) => row.slice(E + j * hd, E + (j + 1) * hd).reduce((s, k, i) => s + k * q[i]!, 0) / Math.sqrt(hd))
        const max = Math.max(...scores)
        const exp = scores.map((s) => Math.exp(s - max))
        const total = exp.reduce((a, b) => a + b, 0)
        exp.forEach((e, s) => {
          for (let i = 0; i < hd; i++) out[j * hd + i] += (e / total) * qkv[s]![2 * E + j * hd + i]!
        })
      }
      return out
    })
    h = h.map((row, t) => {
      const attended = conv1d(`${p}.attn.c_proj`, context[t]!).map((v, i) => v + row[i]!)
      const mlp = conv1d(`${p}.mlp.c_proj`, conv1d(`${p}.mlp.c_fc`, layerNorm(`${p}.ln_2`, attended)).map(gelu))
      return attended.map((v, i) => v + mlp[i]!)
    })
  }
  const relu = (v: Array<number>) => v.map((x) => Math.max(0, x))
  const arm: Array<number> = []
  const gripper: Array<number> = []
  for (const row of h) {
    const feature = layerNorm("gpt.ln_f", row)
    arm.push(...torchLinear("arm.1", relu(torchLinear("arm.0", feature))).map(Math.tanh))
    gripper.push(...torchLinear("gripper.1", relu(torchLinear("gripper.0", feature))))
  }
  return { arm, gripper }
}

describe("gpt head", () => {
  it("manifest and defaults (8 layers, 8 heads, H 1024)", () => {
    expect(plugin.name).toBe("gpt")
    expect(plugin.defaultConfig).toEqual({
      hidden_size: 1024, mlp_widths: [1024, 512, 256], arm_gripper_loss_ratio: 0.01, seed: 123,
      n_layer: 8, n_head: 8, dropout: 0.1, layer_norm_epsilon: 1e-5
    })
  })

  it("matches a plain-JS GPT-2 forward on the same weights", async () => {
    await useBackend()
    const x = randomTensor(31, [1, 3, dimensions.latent, dimensions.inputSize])
    await withHead(make, tiny, dimensions, async (head) => {
      const weights = head.weights()
      expect(weights["gpt.h.0.attn.c_attn.weight"]!.shape).toEqual([8, 24]) // Conv1D (in, out)
      expect(weights["gpt.wpe.weight"]!.shape).toEqual([3, 8])
      expect(weights["proj.weight"]!.shape).toEqual([4, 6])
      const got = await Effect.runPromise(head.predict(x))
      const want = referenceForward(weights, x, tiny)
      expect(maxAbsDiff(got.arm.data, want.arm)).toBeLessThan(1e-5)
      expect(maxAbsDiff(got.gripperLogits.data, want.gripper)).toBeLessThan(1e-5)
    })
  })

  it("initialises GPT-2 style: N(0, 0.02) weights, zero biases, LN (1, 0), scaled residual projections", async () => {
    await useBackend()
    const config = { ...tiny, hidden_size: 32, n_head: 4 }
    await withHead(make, config, { ...dimensions, inputSize: 32, latent: 1 }, (head) => {
      const w = head.weights()
      expect(w["proj.weight"]).toBeUndefined() // D = H: no input projection
      const std = (data: Float32Array) => Math.sqrt(data.reduce((a, v) => a + v * v, 0) / data.length)
      expect(std(w["gpt.h.0.attn.c_attn.weight"]!.data)).toBeCloseTo(0.02, 2)
      expect(std(w["gpt.h.0.mlp.c_proj.weight"]!.data)).toBeCloseTo(0.02 / Math.sqrt(4), 2)
      expect(w["gpt.h.1.attn.c_attn.bias"]!.data.every((v) => v === 0)).toBe(true)
      expect(w["gpt.ln_f.weight"]!.data.every((v) => v === 1)).toBe(true)
    })
  })

  it("is causal, and accepts 1 ≤ T ≤ W positions only", async () => {
    await useBackend()
    const x = randomTensor(32, [1, 3, dimensions.latent, dimensions.inputSize])
    const changed = { data: new Float32Array(x.data), shape: x.shape }
    changed.data[changed.data.length - 1] = 3
    await withHead(make, tiny, dimensions, async (head) => {
      const a = await Effect.runPromise(head.predict(x))
      const b = await Effect.runPromise(head.predict(changed))
      const earlier = 2 * dimensions.chunkSize * 6
      expect(maxAbsDiff(a.arm.data.subarray(0, earlier), b.arm.data.subarray(0, earlier))).toBeLessThan(1e-6)
      expect(maxAbsDiff(a.arm.data.subarray(earlier), b.arm.data.subarray(earlier))).toBeGreaterThan(0)
      const tooLong = randomTensor(33, [1, 4, dimensions.latent, dimensions.inputSize])
      expect((await failureOf(head.predict(tooLong))).reason).toBe("ShapeMismatch")
    })
  })

  it("rejects n_embd not divisible by n_head; dropout only in training mode", async () => {
    await useBackend()
    const bad = await failureOf(Effect.scoped(make({ ...tiny, n_head: 3 }, dimensions)))
    expect(bad.reason).toBe("InvalidInput")
    const { tensor4d, tidy } = await import("@tensorflow/tfjs-core")
    await withHead(make, { ...tiny, dropout: 0.5 }, dimensions, (head) => {
      const x = randomTensor(34, [2, 3, dimensions.latent, dimensions.inputSize])
      const [evalA, evalB, train] = tidy(() => {
        const input = tensor4d(x.data, [2, 3, dimensions.latent, dimensions.inputSize])
        return [head.predictTensors(input), head.predictTensors(input), head.predictTensors(input, { training: true })].map((o) => o.arm.dataSync())
      })
      expect(maxAbsDiff(evalA!, evalB!)).toBe(0)
      expect(maxAbsDiff(evalA!, train!)).toBeGreaterThan(0)
    })
  })
})
