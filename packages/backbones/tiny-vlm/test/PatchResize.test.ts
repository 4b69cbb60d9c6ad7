import { Effect, Exit, Scope } from "effect"
import { describe, expect, it } from "vitest"
import { defaultConfig, make, resizePatchEmbedding, type TinyVlmConfig } from "../src/index.ts"

const open = async (config: TinyVlmConfig) => {
  const scope = await Effect.runPromise(Scope.make())
  const backbone = await Effect.runPromise(Scope.provide(scope)(make(config)))
  return { backbone, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

/** (1, 3, S, S) → (1, 3, S/k, S/k), each output the mean of a k × k block. */
const averagePool = (data: Float32Array, size: number, k: number): Float32Array => {
  const s = size / k
  const out = new Float32Array(3 * s * s)
  for (let ch = 0; ch < 3; ch++) {
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) out[(ch * s + Math.floor(y / k)) * s + Math.floor(x / k)]! += data[(ch * size + y) * size + x]! / (k * k)
  }
  return out
}

describe("resizePatchEmbedding", () => {
  it("makes a model on 2× images that equals the original on those images average-pooled by 2", async () => {
    const small = await open(defaultConfig)
    const resized = resizePatchEmbedding(small.backbone.weights!(), defaultConfig, 2)
    expect(resized.config).toMatchObject({ imageSize: 64, patchSize: 16 })
    expect(resized.weights["vision.patch_embed.weight"]!.shape).toEqual([16 * 16 * 3, defaultConfig.visionWidth])
    const large = await open({ ...resized.config, seed: 99 })
    await Effect.runPromise(large.backbone.loadWeights!(resized.weights))

    const size = 64
    const image = new Float32Array(3 * size * size)
    for (let i = 0; i < image.length; i++) image[i] = Math.sin(i * 0.61) * 0.8 + Math.cos(i * 0.07) * 0.1
    const fromLarge = await Effect.runPromise(large.backbone.encodeImages({ data: image, shape: [1, 3, size, size] }))
    const fromSmall = await Effect.runPromise(small.backbone.encodeImages({ data: averagePool(image, size, 2), shape: [1, 3, 32, 32] }))
    expect(fromLarge.shape).toEqual(fromSmall.shape)
    let worst = 0
    for (let i = 0; i < fromLarge.data.length; i++) worst = Math.max(worst, Math.abs(fromLarge.data[i]! - fromSmall.data[i]!))
    expect(worst).toBeLessThan(1e-4)
    await small.close()
    await large.close()
  })

  it("refuses a non-integer factor and a patch embedding of another shape", () => {
    const weight = { data: new Float32Array(8 * 8 * 3 * 4), shape: [8 * 8 * 3, 4] }
    expect(() => resizePatchEmbedding({ "vision.patch_embed.weight": weight }, defaultConfig, 1.5)).toThrowError(/integer/)
    expect(() => resizePatchEmbedding({ "vision.patch_embed.weight": weight }, { ...defaultConfig, patchSize: 4 }, 2)).toThrowError(/patch size 4/)
    expect(() => resizePatchEmbedding({}, defaultConfig, 2)).toThrowError(/no vision.patch_embed.weight/)
  })
})
