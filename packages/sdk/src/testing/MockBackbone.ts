/**
 * A deterministic tiny backbone in plain TypeScript, for tests of everything above the backbone (assembly,
 * heads, serving) without a real VLM. It really computes, so outputs depend on inputs and masks:
 *
 * - images: each `patchSize`² patch is mean-pooled per channel, then a seeded linear map (3 → D) plus a
 *   per-patch position embedding gives one token per patch (n = (imageSize / patchSize)²);
 * - text: a byte-level tokenizer (PAD 0, BOS 1, EOS 2, byte b → b + 3) and a seeded embedding table;
 * - forward: a causal running mean over the positions whose mask is 1, through a seeded D×D map and tanh.
 *
 * Weights come from `seed`, so two makes with the same config give identical outputs. Closing the Scope marks it
 * released: later calls fail with `SdkError` `"Released"`; `mockBackboneLiveInstances()` counts open ones.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import type { Scope } from "effect"
import type { Backbone, BackboneTokenizer } from "../Backbone.ts"
import { BACKBONE_CONTRACT_VERSION, make as makeBackbone } from "../Backbone.ts"
import type { BackbonePlugin } from "../Plugin.ts"
import { PositiveInt } from "../Schemas.ts"
import { SdkError } from "../SdkError.ts"
import type { FloatTensor, IntTensor } from "../Tensor.ts"
import { randomWeights, seededRandom } from "./tensorChecks.ts"

/**
 * @since 0.1.0
 * @category config
 */
export const MockBackboneConfig = Schema.Struct({
  /** LM width D. */
  hiddenSize: PositiveInt,
  /** Side S of the preprocessed (B, 3, S, S) input. */
  imageSize: PositiveInt,
  /** Side of a square patch; must divide imageSize. */
  patchSize: PositiveInt,
  seed: Schema.Int
})

/**
 * @since 0.1.0
 * @category config
 */
export type MockBackboneConfig = typeof MockBackboneConfig.Type

/**
 * @since 0.1.0
 * @category config
 */
export const defaultMockBackboneConfig: MockBackboneConfig = { hiddenSize: 32, imageSize: 16, patchSize: 8, seed: 0 }

const PAD = 0
const BOS = 1
const EOS = 2
const BYTE_OFFSET = 3
const VOCAB_SIZE = 256 + BYTE_OFFSET

/**
 * The mock's byte-level tokenizer: `encode` wraps UTF-8 bytes in BOS/EOS.
 *
 * @since 0.1.0
 * @category tokenizer
 */
export const mockTokenizer: BackboneTokenizer = {
  vocabSize: VOCAB_SIZE,
  bosId: BOS,
  eosId: EOS,
  padId: PAD,
  encode: (instruction) => [BOS, ...Array.from(new TextEncoder().encode(instruction), (b) => b + BYTE_OFFSET), EOS],
  decode: (ids) => new TextDecoder().decode(Uint8Array.from(ids.filter((id) => id >= BYTE_OFFSET), (id) => id - BYTE_OFFSET))
}

let liveInstances = 0

/**
 * How many mock backbones are made and not yet released (for resource-release checks).
 *
 * @since 0.1.0
 * @category testing
 */
export const mockBackboneLiveInstances = (): number => liveInstances

/**
 * Makes a mock backbone in the current Scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMockBackbone = (config: MockBackboneConfig): Effect.Effect<Backbone, SdkError, Scope.Scope> =>
  Effect.gen(function*() {
    const { hiddenSize: D, imageSize: S, patchSize: P, seed } = config
    if (S % P !== 0) {
      return yield* new SdkError({
        reason: "InvalidInput",
        subject: "patchSize",
        message: `mock backbone: patchSize ${P} must divide imageSize ${S}`
      })
    }
    const grid = S / P
    const n = grid * grid
    const random = seededRandom(seed)
    const imageProjection = randomWeights(random, 3 * D, 1) // (3, D)
    const imageBias = randomWeights(random, D, 0.1)
    const patchPosition = randomWeights(random, n * D, 0.1) // (n, D)
    const embeddingTable = randomWeights(random, VOCAB_SIZE * D, 1) // (V, D)
    const decoderWeight = randomWeights(random, D * D, 1 / Math.sqrt(D)) // (D, D)
    const decoderBias = randomWeights(random, D, 0.1)

    yield* Effect.acquireRelease(
      Effect.sync(() => void liveInstances++),
      () => Effect.sync(() => void liveInstances--)
    )

    // Backbone.make checks every argument before these run (shapes, NaNs, ids, the 0/1 mask) and copies outputs.
    const encodeImages = (pixels: FloatTensor<"B 3 S S">): FloatTensor => {
      const B = pixels.shape[0]!
      const out = new Float32Array(B * n * D)
      const pooled = [0, 0, 0]
      for (let b = 0; b < B; b++) {
        for (let gy = 0; gy < grid; gy++) {
          for (let gx = 0; gx < grid; gx++) {
            for (let c = 0; c < 3; c++) {
              let sum = 0
              const plane = (b * 3 + c) * S * S
              for (let y = gy * P; y < (gy + 1) * P; y++) {
                for (let x = gx * P; x < (gx + 1) * P; x++) sum += pixels.data[plane + y * S + x]!
              }
              pooled[c] = sum / (P * P)
            }
            const k = gy * grid + gx
            const o = (b * n + k) * D
            for (let d = 0; d < D; d++) {
              out[o + d] = pooled[0]! * imageProjection[d]! + pooled[1]! * imageProjection[D + d]! +
                pooled[2]! * imageProjection[2 * D + d]! + imageBias[d]! + patchPosition[k * D + d]!
            }
          }
        }
      }
      return { data: out, shape: [B, n, D] }
    }

    const embedTokens = (ids: IntTensor<"B L">): FloatTensor => {
      const [B, L] = [ids.shape[0]!, ids.shape[1]!]
      const out = new Float32Array(B * L * D)
      for (let i = 0; i < B * L; i++) {
        const id = ids.data[i]!
        out.set(embeddingTable.subarray(id * D, (id + 1) * D), i * D)
      }
      return { data: out, shape: [B, L, D] }
    }

    const forward = (inputsEmbeds: FloatTensor<"B L D">, attentionMask: IntTensor<"B L">): FloatTensor => {
      const [B, L] = [inputsEmbeds.shape[0]!, inputsEmbeds.shape[1]!]
      const out = new Float32Array(B * L * D)
      const sum = new Float64Array(D)
      for (let b = 0; b < B; b++) {
        sum.fill(0)
        let count = 0
        for (let t = 0; t < L; t++) {
          const m = attentionMask.data[b * L + t]!
          const row = (b * L + t) * D
          if (m === 1) {
            for (let d = 0; d < D; d++) sum[d]! += inputsEmbeds.data[row + d]!
            count++
          }
          for (let j = 0; j < D; j++) {
            let acc = decoderBias[j]!
            if (count > 0) for (let d = 0; d < D; d++) acc += (sum[d]! / count) * decoderWeight[d * D + j]!
            out[row + j] = Math.tanh(acc)
          }
        }
      }
      return { data: out, shape: [B, L, D] }
    }

    return yield* makeBackbone({
      name: "mock",
      hiddenSize: D,
      imageTokens: n,
      imagePreprocessing: { size: S, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], resample: "bilinear" },
      tokenizer: mockTokenizer,
      encodeImages,
      embedTokens,
      forward,
      parameterGroups: () => [
        { name: "mock.vision", part: "vision", size: imageProjection.length + imageBias.length + patchPosition.length, trainable: false },
        { name: "mock.embed_tokens", part: "text_embedding", size: embeddingTable.length, trainable: false },
        { name: "mock.decoder", part: "decoder_layer", size: decoderWeight.length + decoderBias.length, trainable: false }
      ]
    })
  })

/**
 * The mock backbone's plugin manifest (registry key `mock`).
 *
 * @since 0.1.0
 * @category plugin
 */
export const mockBackbonePlugin: BackbonePlugin<MockBackboneConfig> = {
  kind: "backbone",
  name: "mock",
  version: "0.1.0",
  contractVersion: BACKBONE_CONTRACT_VERSION,
  configSchema: MockBackboneConfig,
  defaultConfig: defaultMockBackboneConfig,
  make: makeMockBackbone
}
