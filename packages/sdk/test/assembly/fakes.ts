/**
 * Small deterministic stand-ins for a backbone and a head, to test the assembly seam in isolation (the real
 * tiny-vlm and heads are composed in packages/backbones/tiny-vlm/test/compose.test.ts). The fake backbone is
 * causal and mask-aware, so [LRN] read-out positions and padding show in its outputs.
 */
import { Effect } from "effect"
import { BACKBONE_CONTRACT_VERSION, type Backbone, type BackboneTokenizer } from "../../src/Backbone.ts"
import { HEAD_CONTRACT_VERSION, type HeadDimensions, type PolicyHead } from "../../src/PolicyHead.ts"
import type { FloatTensor } from "../../src/Tensor.ts"

export const charTokenizer: BackboneTokenizer = {
  vocabSize: 64,
  bosId: 1,
  eosId: 2,
  padId: 0,
  encode: (instruction) => [1, ...Array.from(instruction, (c) => 3 + (c.charCodeAt(0) % 61)), 2],
  decode: (ids) => ids.filter((id) => id > 2).map((id) => String.fromCharCode(id - 3 + 61)).join("")
}

export interface FakeBackboneCalls {
  forwardShapes: Array<ReadonlyArray<number>>
  encodeShapes: Array<ReadonlyArray<number>>
  lastForward?: { embeds: FloatTensor; mask: Int32Array; hidden: FloatTensor }
}

export const makeFakeBackbone = (options: { hiddenSize?: number; imageTokens?: number; size?: number; tokenizer?: BackboneTokenizer } = {}) => {
  const d = options.hiddenSize ?? 8
  const n = options.imageTokens ?? 2
  const s = options.size ?? 4
  const calls: FakeBackboneCalls = { forwardShapes: [], encodeShapes: [] }
  const backbone: Backbone = {
    specificationVersion: BACKBONE_CONTRACT_VERSION,
    name: "fake-backbone",
    hiddenSize: d,
    imageTokens: n,
    imagePreprocessing: { size: s, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], resample: "bilinear" },
    tokenizer: options.tokenizer ?? charTokenizer,
    encodeImages: (pixels) =>
      Effect.sync(() => {
        calls.encodeShapes.push(pixels.shape)
        const b = pixels.shape[0]!
        const per = pixels.data.length / b
        const out = new Float32Array(b * n * d)
        for (let i = 0; i < b; i++) {
          for (let j = 0; j < n; j++) {
            for (let k = 0; k < d; k++) {
              let acc = 0
              for (let p = 0; p < per; p++) acc += pixels.data[i * per + p]! * Math.sin(p * 0.1 + j + k * 0.7)
              out[(i * n + j) * d + k] = Math.tanh(acc / per * 4)
            }
          }
        }
        return { data: out, shape: [b, n, d] }
      }),
    embedTokens: (ids) =>
      Effect.sync(() => {
        const out = new Float32Array(ids.data.length * d)
        ids.data.forEach((id, i) => {
          for (let k = 0; k < d; k++) out[i * d + k] = Math.sin(id * (k + 1) * 0.37)
        })
        return { data: out, shape: [...ids.shape, d] }
      }),
    forward: (embeds, mask) =>
      Effect.sync(() => {
        calls.forwardShapes.push(embeds.shape)
        const [b, l] = embeds.shape as [number, number, number]
        const out = new Float32Array(b * l * d)
        for (let i = 0; i < b; i++) {
          const sum = new Float64Array(d)
          let count = 0
          for (let t = 0; t < l; t++) {
            const m = mask.data[i * l + t]!
            if (m === 1) {
              count++
              for (let k = 0; k < d; k++) sum[k] = sum[k]! + embeds.data[(i * l + t) * d + k]! * (1 + 0.1 * count)
            }
            for (let k = 0; k < d; k++) out[(i * l + t) * d + k] = Math.tanh(embeds.data[(i * l + t) * d + k]! + sum[k]! / Math.max(1, count) + 0.01 * count)
          }
        }
        const hidden = { data: out, shape: [b, l, d] }
        calls.lastForward = { embeds, mask: mask.data, hidden }
        return hidden
      }),
    parameterGroups: () => [{ name: "fake", part: "decoder_layer", size: 1, trainable: false }]
  }
  return { backbone, calls }
}

/** Per-position linear head: arm = tanh(x·c), gripper logit = x·c′ + `gripperBias`; the stepper averages history. */
export const makeFakeHead = (dimensions: HeadDimensions, options: { gripperBias?: number; armScale?: number; nan?: boolean } = {}) => {
  const { inputSize: d, latent, chunkSize: nc } = dimensions
  const features = latent * d
  const bias = options.gripperBias ?? 0
  const armScale = options.armScale ?? 1
  const position = (x: Float32Array, offset: number, arm: Float32Array, armOffset: number, grip: Float32Array, gripOffset: number) => {
    for (let k = 0; k < nc; k++) {
      for (let j = 0; j < 6; j++) {
        let acc = 0
        for (let f = 0; f < features; f++) acc += x[offset + f]! * Math.cos(f + 3 * j + 7 * k)
        arm[armOffset + k * 6 + j] = options.nan ? Number.NaN : Math.tanh(armScale * acc)
      }
      let g = 0
      for (let f = 0; f < features; f++) g += x[offset + f]! * Math.sin(f + k)
      grip[gripOffset + k] = g + bias
    }
  }
  const head: PolicyHead = {
    specificationVersion: HEAD_CONTRACT_VERSION,
    name: "fake-head",
    kind: "continuous",
    dimensions,
    predict: (lrn) =>
      Effect.sync(() => {
        const [b, w] = lrn.shape as [number, number]
        const arm = new Float32Array(b * w * nc * 6)
        const grip = new Float32Array(b * w * nc)
        for (let p = 0; p < b * w; p++) position(lrn.data, p * features, arm, p * nc * 6, grip, p * nc)
        return { arm: { data: arm, shape: [b, w, nc, 6] }, gripperLogits: { data: grip, shape: [b, w, nc, 1] } }
      }),
    stepper: () => {
      let history: Array<Float32Array> = []
      return {
        reset: () => {
          history = []
        },
        step: (lrn) =>
          Effect.sync(() => {
            const b = lrn.shape[0]!
            history.push(Float32Array.from(lrn.data))
            if (history.length > dimensions.windowSize) history.shift()
            const mean = new Float32Array(lrn.data.length)
            for (const h of history) h.forEach((v, i) => (mean[i] = mean[i]! + v / history.length))
            const arm = new Float32Array(b * nc * 6)
            const grip = new Float32Array(b * nc)
            for (let i = 0; i < b; i++) position(mean, i * features, arm, i * nc * 6, grip, i * nc)
            return { arm: { data: arm, shape: [b, nc, 6] }, gripperLogits: { data: grip, shape: [b, nc, 1] } }
          })
      }
    },
    parameterGroups: () => [{ name: "fake-head", part: "head", size: 1, trainable: true }]
  }
  return head
}
