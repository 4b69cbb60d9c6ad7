import * as tf from "@tensorflow/tfjs-core"
import { ActionTokenizer } from "@robovla/sdk"
import { headContractTests, maxAbsDiff, randomTensor, useBackend, withHead } from "@robovla/tfjs/testing"
import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { classValues, Config, make, plugin, tokenizerFor, valuesToClasses } from "../src/index.ts"
import type { DiscreteConfig } from "../src/DiscreteConfig.ts"

const dimensions = { inputSize: 6, windowSize: 3, chunkSize: 2, latent: 2 }
const tiny: DiscreteConfig = Schema.decodeUnknownSync(Config)({ seed: 7 })

headContractTests({
  name: "discrete",
  make,
  config: tiny,
  withSeed: (config, seed) => ({ ...config, seed }),
  dimensions,
  bins: 256
})

const logSumExp = (values: ArrayLike<number>, from: number, to: number) => {
  let max = -Infinity
  for (let i = from; i < to; i++) max = Math.max(max, values[i]!)
  let total = 0
  for (let i = from; i < to; i++) total += Math.exp(values[i]! - max)
  return max + Math.log(total)
}

describe("discrete head", () => {
  it("manifest and tokenizer defaults (256 bins over [-1, 1])", () => {
    expect(plugin.name).toBe("discrete")
    expect(plugin.defaultConfig).toEqual({ bins: 256, min_action: -1, max_action: 1, seed: 123 })
    expect(() => Schema.decodeUnknownSync(Config)({ min_action: 0.1 })).toThrow()
  })

  it("bins labels exactly like the SDK ActionTokenizer's encode (class = k − 1)", async () => {
    await useBackend()
    const tokenizer = tokenizerFor(tiny)
    const reference = new ActionTokenizer({ vocabSize: 32000, specialTokensCount: 3, nBins: 256 })
    const samples = [-2, -1, -0.99, -0.5, -1e-3, 0, 1e-3, 0.25, 0.5, 0.9921568627, 0.999, 1, 3]
    for (let i = 0; i < 2000; i++) samples.push(Math.sin(i * 12.9898) * 1.2)
    for (const edge of tokenizer.binEdges) samples.push(edge, Math.fround(edge), edge - 1e-8, edge + 1e-8)
    const classes = tf.tidy(() => Array.from(valuesToClasses(tokenizer, tf.tensor1d(samples)).dataSync()))
    samples.forEach((raw, i) => {
      const x = Math.fround(raw) // labels are float32
      expect(classes[i], `class of ${x}`).toBe(reference.binIndex(x) - 1)
      const id = reference.encode([x])[0]!
      expect(classValues(tokenizer)[classes[i]!]).toBeCloseTo(reference.decode([id])[0]!, 6)
    })
  })

  it("arm = decoded centres of the argmax bins; gripper logit = log P(centre > 0) − log P(centre ≤ 0)", async () => {
    await useBackend()
    const x = randomTensor(41, [1, 2, dimensions.latent, dimensions.inputSize], 3)
    await withHead(make, tiny, dimensions, async (head) => {
      const out = await Effect.runPromise(head.predict(x))
      const logits = out.binLogits!.data
      const values = classValues(tokenizerFor(tiny))
      const rows = out.arm.data.length / 6
      for (let r = 0; r < rows; r++) {
        for (let d = 0; d < 7; d++) {
          const base = (r * 7 + d) * 256
          if (d < 6) {
            let best = 0
            for (let c = 1; c < 256; c++) if (logits[base + c]! > logits[base + best]!) best = c
            expect(out.arm.data[r * 6 + d]).toBeCloseTo(values[best]!, 6)
          } else {
            const want = logSumExp(logits, base + 128, base + 256) - logSumExp(logits, base, base + 128)
            expect(out.gripperLogits.data[r]).toBeCloseTo(want, 4)
          }
        }
      }
      expect(values[127]).toBeLessThanOrEqual(0)
      expect(values[128]).toBeGreaterThan(0)
    })
  })

  it("loss is the cross-entropy of the binned labels over valid positions", async () => {
    await useBackend()
    await withHead(make, { ...tiny, bins: 5 }, { ...dimensions, chunkSize: 1, windowSize: 1 }, (head) => {
      tf.tidy(() => {
        const logitsData = Float32Array.from({ length: 2 * 7 * 5 }, (_, i) => Math.sin(i))
        const binLogits = tf.tensor5d(logitsData, [2, 1, 1, 7, 5])
        const output = { arm: tf.zeros([2, 1, 1, 6]) as tf.Tensor4D, gripperLogits: tf.zeros([2, 1, 1, 1]) as tf.Tensor4D, binLogits }
        const armLabels = [-1, -0.6, 0, 0.3, 0.99, 1, 0, 0, 0, 0, 0, 0]
        const labels = { arm: tf.tensor4d(armLabels, [2, 1, 1, 6]), gripper: tf.tensor3d([1, 0], [2, 1, 1]) }
        const result = head.loss(output, labels, tf.tensor3d([1, 0], [2, 1, 1]))
        // bins = 5 → edges −1, −0.5, 0, 0.5, 1 → classes of sample 0: −1→0, −0.6→0, 0→2, 0.3→2, 0.99→3, 1→4; gripper 1 → +1 → 4
        const targets = [0, 0, 2, 2, 3, 4, 4]
        const ce = targets.map((c, d) => logSumExp(logitsData, d * 5, d * 5 + 5) - logitsData[d * 5 + c]!)
        expect(result.armLoss.dataSync()[0]).toBeCloseTo(ce.slice(0, 6).reduce((a, b) => a + b, 0) / 6, 5)
        expect(result.gripperLoss.dataSync()[0]).toBeCloseTo(ce[6]!, 5)
        expect(result.loss.dataSync()[0]).toBeCloseTo(ce.reduce((a, b) => a + b, 0) / 7, 5)
      })
    })
  })

  it("predictions follow a trained projection (argmax decodes back to the label's bin)", async () => {
    await useBackend()
    await withHead(make, tiny, { ...dimensions, windowSize: 1, chunkSize: 1 }, async (head) => {
      const x = randomTensor(42, [4, 1, dimensions.latent, dimensions.inputSize])
      const target = [0.5, -0.5, 0.25, -0.25, 0.75, -0.75]
      const labels = {
        arm: tf.tensor4d(Array.from({ length: 4 }, () => target).flat(), [4, 1, 1, 6]),
        gripper: tf.tensor3d([1, 1, 1, 1], [4, 1, 1]),
        mask: tf.ones([4, 1, 1]) as tf.Tensor3D
      }
      const input = tf.tensor4d(x.data, [4, 1, dimensions.latent, dimensions.inputSize])
      const optimizer = tf.train.adam(0.05)
      for (let i = 0; i < 60; i++) {
        optimizer.minimize(() => head.loss(head.predictTensors(input), labels, labels.mask).loss, false, head.variables() as Array<tf.Variable>)?.dispose()
      }
      optimizer.dispose()
      tf.dispose([input, labels.arm, labels.gripper, labels.mask])
      const out = await Effect.runPromise(head.predict(x))
      const values = classValues(tokenizerFor(tiny))
      const step = values[1]! - values[0]!
      for (let b = 0; b < 4; b++) {
        expect(maxAbsDiff(out.arm.data.subarray(b * 6, b * 6 + 6), target)).toBeLessThanOrEqual(step)
        expect(out.gripperLogits.data[b]).toBeGreaterThan(0)
      }
    })
  })
})
