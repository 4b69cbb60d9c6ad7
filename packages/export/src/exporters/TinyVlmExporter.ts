/**
 * Exporter for `@robovla/backbone-tiny-vlm`: its weights and config → the common three-graph VLM split that
 * `@robovla/backbone-onnx` also reads (same input names and layouts):
 *
 * | graph | inputs | output |
 * |---|---|---|
 * | `vision_encoder.onnx` | `pixel_values` (B, 3, S, S) | `image_features` (B, n, D) |
 * | `embed_tokens.onnx` | `input_ids` int64 (B, L) | `inputs_embeds` (B, L, D) |
 * | `decoder.onnx` | `inputs_embeds` (B, L, D), `attention_mask` int64 (B, L) | `last_hidden_state` (B, L, D) |
 *
 * plus the tokenizer as data (`tokenizer.json`, format `robovla.byte-bpe/v1`: the merge table and special ids,
 * replayed by the runtime's {@link ../runtime/BpeTokenizer}). Ops mirror `TinyVlmModel` one for one, LoRA
 * adapters included (kept as a separate low-rank path, not merged, so rounding matches).
 *
 * @since 0.1.0
 */
import { ExportError } from "../ExportError.ts"
import { GraphBuilder } from "../graph/GraphBuilder.ts"
import { causalOnes, dimOf, geluTanh, layerNorm, linearInOut, weight, type Weight, type Weights } from "../graph/Layers.ts"
import type { BpeTokenizerSpec } from "../runtime/BpeTokenizer.ts"

/** What the exporter reads from a tiny-vlm backbone (`backbone.model`), duck-typed so tfjs is never imported. */
export interface TinyVlmSource {
  readonly config: {
    readonly imageSize: number
    readonly patchSize: number
    readonly visionWidth: number
    readonly visionLayers: number
    readonly visionHeads: number
    readonly hiddenSize: number
    readonly textLayers: number
    readonly textHeads: number
    readonly maxPositions: number
    readonly trainSetup: { readonly loraEnable: boolean; readonly loraR: number; readonly loraAlpha: number }
  }
  readonly imageTokens: number
  readonly tokenizer: { readonly merges: ReadonlyArray<readonly [number, number]>; readonly vocabSize: number; readonly bosId: number | undefined; readonly eosId: number | undefined; readonly padId: number }
  readonly weights: () => ReadonlyArray<readonly [string, Weight]>
}

/** Tells a tiny-vlm backbone (one whose `model` has what the exporter reads) from others. */
export const asTinyVlmSource = (backbone: unknown): TinyVlmSource | undefined => {
  const model = (backbone as { model?: Partial<TinyVlmSource> }).model
  return model !== undefined && typeof model.weights === "function" && model.config !== undefined && model.tokenizer?.merges !== undefined
    ? model as TinyVlmSource
    : undefined
}

/** The tiny VLM's constants (TinyVlmBackbone.ts): LN ε, the masked-logit value, the prompt template, byte ids. */
const LN_EPSILON = 1e-5
const MASKED_LOGIT = -1e9
const PROMPT_TEMPLATE = "An image of a robot {instr}"
const BYTE_OFFSET = 3

/** The exported backbone: three graphs and the tokenizer. @since 0.1.0 @category models */
export interface BackboneGraphs {
  readonly visionEncoder: Uint8Array
  readonly embedTokens: Uint8Array
  readonly decoder: Uint8Array
  readonly tokenizer: BpeTokenizerSpec
}

const dense = (g: GraphBuilder, x: string, weights: Weights, prefix: string, lora: TinyVlmSource["config"]["trainSetup"]): string => {
  const y = linearInOut(g, x, weight(weights, `${prefix}.weight`), weight(weights, `${prefix}.bias`), prefix)
  if (!lora.loraEnable) return y
  const a = weight(weights, `${prefix}.lora_A`)
  const b = weight(weights, `${prefix}.lora_B`)
  const low = g.op("MatMul", [g.op("MatMul", [x, g.initializer({ data: a.data, dims: a.shape }, `${prefix}.lora_A`)]), g.initializer({ data: b.data, dims: b.shape }, `${prefix}.lora_B`)])
  return g.op("Add", [y, g.op("Mul", [low, g.scalar(lora.loraAlpha / lora.loraR)])])
}

/** A pre-LN transformer block; `bias` (B, 1, L, L) masks attention logits when given. */
const block = (g: GraphBuilder, x: string, weights: Weights, prefix: string, heads: number, width: number, bias: string | undefined, source: TinyVlmSource): string => {
  const lora = source.config.trainSetup
  const hd = width / heads
  const ln = (v: string, name: string) => layerNorm(g, v, weight(weights, `${name}.weight`), weight(weights, `${name}.bias`), LN_EPSILON, "div", name)
  const qkv = dense(g, ln(x, `${prefix}.ln1`), weights, `${prefix}.attn.qkv`, lora)
  const [q, k, v] = g.opN("Split", [qkv], 3, { axis: 2 })
  const toHeads = (t: string) => g.op("Transpose", [g.op("Reshape", [t, g.ints([0, 0, heads, hd])])], { perm: [0, 2, 1, 3] })
  let scores = g.op("Mul", [g.op("MatMul", [toHeads(q!), g.op("Transpose", [toHeads(k!)], { perm: [0, 1, 3, 2] })]), g.scalar(1 / Math.sqrt(hd))])
  if (bias !== undefined) scores = g.op("Add", [scores, bias])
  const context = g.op("MatMul", [g.op("Softmax", [scores], { axis: -1 }), toHeads(v!)])
  const attended = g.op("Reshape", [g.op("Transpose", [context], { perm: [0, 2, 1, 3] }), g.ints([0, 0, width])])
  const x1 = g.op("Add", [x, dense(g, attended, weights, `${prefix}.attn.proj`, lora)])
  const mlp = dense(g, geluTanh(g, dense(g, ln(x1, `${prefix}.ln2`), weights, `${prefix}.mlp.fc1`, lora)), weights, `${prefix}.mlp.fc2`, lora)
  return g.op("Add", [x1, mlp])
}

const visionGraph = (source: TinyVlmSource, weights: Weights): Uint8Array => {
  const { imageSize: s, patchSize: p, visionWidth: vw, hiddenSize: d } = source.config
  const grid = s / p
  const n = grid * grid
  const g = new GraphBuilder("tiny_vlm_vision_encoder")
  const pixels = g.input("pixel_values", "float32", ["B", 3, s, s])
  // The tfjs patchify: (B·3, g, P, g, P) → (B·3, g, g, P, P) → (B, 3, n, P·P) → (B, n, P·P, 3) → (B, n, P·P·3).
  const t1 = g.op("Transpose", [g.op("Reshape", [pixels, g.ints([-1, grid, p, grid, p])])], { perm: [0, 1, 3, 2, 4] })
  const t2 = g.op("Transpose", [g.op("Reshape", [t1, g.ints([-1, 3, n, p * p])])], { perm: [0, 2, 3, 1] })
  const patches = g.op("Reshape", [t2, g.ints([-1, n, p * p * 3])])
  const pos = weight(weights, "vision.pos_embed", [n, vw])
  let x = g.op("Add", [dense(g, patches, weights, "vision.patch_embed", source.config.trainSetup), g.initializer({ data: pos.data, dims: pos.shape }, "vision.pos_embed")])
  for (let i = 0; i < source.config.visionLayers; i++) x = block(g, x, weights, `vision.blocks.${i}`, source.config.visionHeads, vw, undefined, source)
  x = layerNorm(g, x, weight(weights, "vision.norm.weight"), weight(weights, "vision.norm.bias"), LN_EPSILON, "div", "vision.norm")
  g.output("image_features", dense(g, x, weights, "projector", source.config.trainSetup), "float32", ["B", n, d])
  return g.toBytes({ docString: "tiny-vlm vision encoder + projector (robovla export)" })
}

const embedGraph = (source: TinyVlmSource, weights: Weights): Uint8Array => {
  const d = source.config.hiddenSize
  const g = new GraphBuilder("tiny_vlm_embed_tokens")
  const ids = g.input("input_ids", "int64", ["B", "L"])
  const table = weight(weights, "text.embed_tokens.weight", [source.tokenizer.vocabSize, d])
  g.output("inputs_embeds", g.op("Gather", [g.initializer({ data: table.data, dims: table.shape }, "text.embed_tokens.weight"), ids], { axis: 0 }), "float32", ["B", "L", d])
  return g.toBytes({ docString: "tiny-vlm token embedding (robovla export)" })
}

const decoderGraph = (source: TinyVlmSource, weights: Weights): Uint8Array => {
  const d = source.config.hiddenSize
  const g = new GraphBuilder("tiny_vlm_decoder")
  const embeds = g.input("inputs_embeds", "float32", ["B", "L", d])
  const mask = g.input("attention_mask", "int64", ["B", "L"])
  const maskF = g.op("Cast", [mask], { to: 1 })
  // Positions count only unmasked tokens: max(cumsum(mask) − 1, 0).
  const positions = g.op("Cast", [g.op("Max", [g.op("Sub", [g.op("CumSum", [maskF, g.ints([1], [])]), g.scalar(1)]), g.scalar(0)])], { to: 7 })
  const table = weight(weights, "text.embed_positions.weight", [source.config.maxPositions, d])
  let x = g.op("Add", [embeds, g.op("Gather", [g.initializer({ data: table.data, dims: table.shape }, "text.embed_positions.weight"), positions], { axis: 0 })])
  const causal = g.op("Unsqueeze", [causalOnes(g, dimOf(g, embeds, 1)), g.ints([0])]) // (1, L, L)
  const visible = g.op("Mul", [causal, g.op("Unsqueeze", [maskF, g.ints([1])])]) // (B, L, L)
  const bias = g.op("Unsqueeze", [g.op("Mul", [g.op("Sub", [g.scalar(1), visible]), g.scalar(MASKED_LOGIT)]), g.ints([1])]) // (B, 1, L, L)
  for (let i = 0; i < source.config.textLayers; i++) x = block(g, x, weights, `text.layers.${i}`, source.config.textHeads, d, bias, source)
  const out = layerNorm(g, x, weight(weights, "text.norm.weight"), weight(weights, "text.norm.bias"), LN_EPSILON, "div", "text.norm")
  g.output("last_hidden_state", out, "float32", ["B", "L", d])
  return g.toBytes({ docString: "tiny-vlm causal decoder (robovla export)" })
}

/**
 * Builds the three graphs and the tokenizer spec of a tiny-vlm backbone.
 *
 * @since 0.1.0
 * @category exporters
 */
export const exportTinyVlm = (source: TinyVlmSource): BackboneGraphs => {
  const weights: Weights = new Map(source.weights())
  const { imageSize, patchSize } = source.config
  if (imageSize % patchSize !== 0) throw new ExportError({ reason: "InvalidInput", message: "tiny-vlm imageSize is not a multiple of patchSize", subject: "imageSize" })
  return {
    visionEncoder: visionGraph(source, weights),
    embedTokens: embedGraph(source, weights),
    decoder: decoderGraph(source, weights),
    tokenizer: {
      format: "robovla.byte-bpe/v1",
      promptTemplate: PROMPT_TEMPLATE,
      byteOffset: BYTE_OFFSET,
      bosId: source.tokenizer.bosId ?? null,
      eosId: source.tokenizer.eosId ?? null,
      padId: source.tokenizer.padId,
      vocabSize: source.tokenizer.vocabSize,
      merges: source.tokenizer.merges.map(([a, b]) => [a, b] as const)
    }
  }
}
