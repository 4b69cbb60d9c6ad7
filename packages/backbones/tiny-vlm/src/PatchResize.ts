/**
 * Re-targets pre-trained tiny-vlm weights to larger images with the same token grid: S → k·S with P → k·P keeps
 * (S / P)² image tokens (so every other weight, the positional embedding included, keeps its shape), and the
 * patch embedding is spread over the k × k pixels each old pixel becomes, divided by k². The resized model on a
 * k·S image then equals the original on that image average-pooled by k: it starts exactly where pre-training left
 * it, and training can use the extra detail inside each patch.
 *
 * @since 0.1.0
 */
import { SdkError } from "@robovla/sdk"
import type { TinyVlmConfig } from "./TinyVlmConfig.ts"

type Weight = { readonly data: Float32Array; readonly shape: ReadonlyArray<number> }

/**
 * `weights` of a model with `config`; returns the weights and config for images `factor` times larger.
 *
 * @since 0.1.0
 * @category weights
 */
export const resizePatchEmbedding = <W extends Readonly<Record<string, Weight>>>(
  weights: W,
  config: TinyVlmConfig,
  factor: number
): { readonly weights: Record<string, Weight>; readonly config: TinyVlmConfig } => {
  if (!Number.isInteger(factor) || factor < 1) throw new SdkError({ reason: "InvalidInput", subject: "factor", message: `the resize factor must be an integer ≥ 1, got ${factor}` })
  const p = config.patchSize
  const embed = weights["vision.patch_embed.weight"]
  if (embed === undefined) throw new SdkError({ reason: "InvalidInput", subject: "vision.patch_embed.weight", message: "the weights have no vision.patch_embed.weight" })
  const [rows, width] = embed.shape
  if (rows !== p * p * 3 || width === undefined) {
    throw new SdkError({ reason: "ShapeMismatch", subject: "vision.patch_embed.weight", message: `vision.patch_embed.weight is [${embed.shape.join(", ")}], not [${p * p * 3}, width] for patch size ${p}` })
  }
  const q = p * factor
  const data = new Float32Array(q * q * 3 * width)
  const scale = 1 / (factor * factor)
  // Rows are (pixel row · P + pixel column) · 3 + channel (TinyVlmModel.encodeImages' patch layout).
  for (let r = 0; r < q; r++) {
    for (let c = 0; c < q; c++) {
      for (let ch = 0; ch < 3; ch++) {
        const from = ((Math.floor(r / factor) * p + Math.floor(c / factor)) * 3 + ch) * width
        const to = ((r * q + c) * 3 + ch) * width
        for (let j = 0; j < width; j++) data[to + j] = embed.data[from + j]! * scale
      }
    }
  }
  return {
    weights: { ...weights, "vision.patch_embed.weight": { data, shape: [q * q * 3, width] } },
    config: { ...config, imageSize: config.imageSize * factor, patchSize: q }
  }
}
