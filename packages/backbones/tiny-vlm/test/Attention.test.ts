import * as tf from "@tensorflow/tfjs-core"
import { initTfjs } from "@robovla/tfjs"
import { describe, expect, it } from "vitest"
import { attendBatched, attendPerHead } from "../src/Attention.ts"

const relDiff = (a: tf.Tensor, b: tf.Tensor): number => {
  const x = a.dataSync()
  const y = b.dataSync()
  expect(x.length).toBe(y.length)
  let num = 0
  let den = 0
  for (let i = 0; i < x.length; i++) {
    num = Math.max(num, Math.abs(x[i]! - y[i]!))
    den = Math.max(den, Math.abs(y[i]!))
  }
  return num / Math.max(den, 1e-12)
}

/** Causal × key-padding bias (B, L, L), as the decoder builds it: −1e9 where a key is not visible. */
const decoderBias = (b: number, l: number): tf.Tensor =>
  tf.tidy(() => {
    const causal = tf.reshape(tf.linalg.bandPart(tf.ones([l, l]), -1, 0), [1, l, l])
    const keys = tf.reshape(tf.tensor2d(Array.from({ length: b * l }, (_, i) => (i % l < (i < l ? l : l - 3) ? 1 : 0)), [b, l]), [b, 1, l])
    return tf.mul(tf.sub(1, tf.mul(causal, keys)), -1e9)
  })

// Shapes the models use: the ViT (2 heads, no mask), the decoder (4 heads, causal + padding), one head.
const cases = [
  { name: "vision: B 2, L 16, C 32, 2 heads, no bias", b: 2, l: 16, c: 32, heads: 2, bias: false },
  { name: "decoder: B 3, L 21, C 64, 4 heads, causal + padding bias", b: 3, l: 21, c: 64, heads: 4, bias: true },
  { name: "one head: B 1, L 5, C 8", b: 1, l: 5, c: 8, heads: 1, bias: true }
]

describe("attention: one batched product over heads equals the per-head loop", () => {
  for (const backend of ["cpu", "wasm"] as const) {
    it.each(cases)(`${backend}: $name — outputs and gradients to 1e-5 relative`, async ({ b, bias: withBias, c, heads, l }) => {
      await initTfjs({ backend })
      const before = tf.memory().numTensors
      tf.tidy(() => {
        const qkv = tf.randomNormal([b, l, 3 * c], 0, 1, "float32", 7)
        const bias = withBias ? decoderBias(b, l) : undefined
        const batched = attendBatched(qkv, heads, bias)
        const perHead = attendPerHead(qkv, heads, bias)
        expect(batched.shape).toEqual([b, l, c])
        expect(relDiff(batched, perHead)).toBeLessThan(1e-5)
        // A loss that weighs every output differently, so a permuted head or position would show.
        const weights = tf.sin(tf.reshape(tf.range(0, b * l * c), [b, l, c]))
        const gradOf = (attend: typeof attendBatched) => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(attend(x, heads, bias), weights)))(qkv)
        expect(relDiff(gradOf(attendBatched), gradOf(attendPerHead))).toBeLessThan(1e-5)
      })
      expect(tf.memory().numTensors).toBe(before)
    })
  }
})
