/**
 * A small VLM written with `@tensorflow/tfjs-core` ops only (no tfjs-layers, no convolutions, so it trains on
 * the wasm backend): a ViT whose patch embedding is a reshape plus a matmul, pre-LN transformer blocks, a
 * projector to the LM width D, and a causal pre-LN decoder with learned positions and a final norm; its
 * language-model head is tied to the word embedding (`lmLogits`), so next-token pre-training adds no weights.
 *
 * Two faces:
 * - {@link TinyVlmModel}, the pure-tensor path (tf.Tensor in / out, tf.Variables) for training;
 * - {@link makeBackbone}, the engine-neutral SDK `Backbone` (FloatTensor in / out, Effects, typed errors).
 *
 * Initialisation is seeded and independent of creation order: every tensor draws from its own PRNG stream
 * derived from (seed, tensor name), so the same config gives bit-identical weights on every backend.
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import "@tensorflow/tfjs-backend-cpu"
import {
  Backbone as BackboneContract,
  makeRng,
  SdkError,
  Safetensors,
  type BackboneService,
  type FloatTensor,
  type ParameterGroup
} from "@robovla/sdk"
import { ensureTfjsEffect, geluTanh, layerNorm as fusedLayerNorm } from "@robovla/tfjs"
import { Effect, type Scope } from "effect"
import { attendBatched } from "./Attention.ts"
import type { TinyVlmConfig, TrainSetup } from "./TinyVlmConfig.ts"
import { makeTokenizer, type TinyVlmTokenizer } from "./TinyVlmTokenizer.ts"

// ---------------------------------------------------------------------------------------------------------------
// seeded initialisation
// ---------------------------------------------------------------------------------------------------------------

/** FNV-1a over the name, mixed with the seed: one independent stream per tensor. */
const streamSeed = (seed: number, name: string): number => {
  let h = (0x811c9dc5 ^ seed) >>> 0
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0
  return h
}


const normalInit = (seed: number, name: string, size: number, std: number): Float32Array => {
  const rng = makeRng(streamSeed(seed, name))
  return Float32Array.from({ length: size }, () => rng.normal() * std)
}

const uniformInit = (seed: number, name: string, size: number, bound: number): Float32Array => {
  const rng = makeRng(streamSeed(seed, name))
  return Float32Array.from({ length: size }, () => (2 * rng.uniform() - 1) * bound)
}

// ---------------------------------------------------------------------------------------------------------------
// weight layout
// ---------------------------------------------------------------------------------------------------------------

/** `kaiming`: uniform(±1/√fan_in), PEFT's LoRA-A init (kaiming_uniform with a = √5). */
type Init = "normal" | "zeros" | "ones" | "kaiming"

interface WeightSpec {
  readonly name: string
  readonly shape: ReadonlyArray<number>
  readonly init: Init
  /** Which trainable part it belongs to (reference/robovlms.md §7.1), and its group name. */
  readonly part: ParameterGroup["part"]
  readonly group: string
}

/** The linear layers (prefix → weight (in, out) + bias): LoRA adapts exactly these, like PEFT's "all linear". */
const linearPrefixes = (specs: ReadonlyArray<WeightSpec>): Array<string> =>
  specs.filter((s) => s.name.endsWith(".weight") && s.shape.length === 2 && specs.some((b) => b.name === s.name.replace(/\.weight$/, ".bias")))
    .map((s) => s.name.replace(/\.weight$/, ""))

const blockSpecs = (prefix: string, width: number, mlpRatio: number, part: ParameterGroup["part"], group: string): Array<WeightSpec> => {
  const w = (suffix: string, shape: Array<number>, init: Init): WeightSpec => ({ name: `${prefix}.${suffix}`, shape, init, part, group })
  return [
    w("ln1.weight", [width], "ones"),
    w("ln1.bias", [width], "zeros"),
    w("attn.qkv.weight", [width, 3 * width], "normal"),
    w("attn.qkv.bias", [3 * width], "zeros"),
    w("attn.proj.weight", [width, width], "normal"),
    w("attn.proj.bias", [width], "zeros"),
    w("ln2.weight", [width], "ones"),
    w("ln2.bias", [width], "zeros"),
    w("mlp.fc1.weight", [width, mlpRatio * width], "normal"),
    w("mlp.fc1.bias", [mlpRatio * width], "zeros"),
    w("mlp.fc2.weight", [mlpRatio * width, width], "normal"),
    w("mlp.fc2.bias", [width], "zeros")
  ]
}

/**
 * Every weight of a config, in a fixed order (the safetensors file order). Linear weights are (in, out).
 *
 * @since 0.1.0
 * @category models
 */
export const weightSpecs = (config: TinyVlmConfig, vocabSize: number): Array<WeightSpec> => {
  const { patchSize: p, visionWidth: vw, hiddenSize: d } = config
  const patches = (config.imageSize / p) ** 2
  const specs: Array<WeightSpec> = [
    { name: "vision.patch_embed.weight", shape: [p * p * 3, vw], init: "normal", part: "vision", group: "vision" },
    { name: "vision.patch_embed.bias", shape: [vw], init: "zeros", part: "vision", group: "vision" },
    { name: "vision.pos_embed", shape: [patches, vw], init: "normal", part: "vision", group: "vision" }
  ]
  for (let i = 0; i < config.visionLayers; i++) specs.push(...blockSpecs(`vision.blocks.${i}`, vw, config.mlpRatio, "vision", "vision"))
  specs.push(
    { name: "vision.norm.weight", shape: [vw], init: "ones", part: "vision", group: "vision" },
    { name: "vision.norm.bias", shape: [vw], init: "zeros", part: "vision", group: "vision" },
    { name: "projector.weight", shape: [vw, d], init: "normal", part: "projector", group: "projector" },
    { name: "projector.bias", shape: [d], init: "zeros", part: "projector", group: "projector" },
    { name: "text.embed_tokens.weight", shape: [vocabSize, d], init: "normal", part: "text_embedding", group: "text.embed_tokens" },
    // Learned positions belong to the text tower (not the word embedding): they follow freeze / train_decoder_layers.
    { name: "text.embed_positions.weight", shape: [config.maxPositions, d], init: "normal", part: "final_norm", group: "text.embed_positions" }
  )
  for (let i = 0; i < config.textLayers; i++) specs.push(...blockSpecs(`text.layers.${i}`, d, config.mlpRatio, "decoder_layer", `text.layers.${i}`))
  specs.push(
    { name: "text.norm.weight", shape: [d], init: "ones", part: "final_norm", group: "text.norm" },
    { name: "text.norm.bias", shape: [d], init: "zeros", part: "final_norm", group: "text.norm" }
  )
  if (config.trainSetup.loraEnable) {
    const r = config.trainSetup.loraR
    for (const prefix of linearPrefixes(specs)) {
      const [fanIn, fanOut] = specs.find((s) => s.name === `${prefix}.weight`)!.shape as [number, number]
      specs.push(
        { name: `${prefix}.lora_A`, shape: [fanIn, r], init: "kaiming", part: "lora", group: "lora" },
        { name: `${prefix}.lora_B`, shape: [r, fanOut], init: "zeros", part: "lora", group: "lora" }
      )
    }
  }
  return specs
}

/**
 * Whether a weight is trainable under RoboVLMs' `_trainable_params_setup` (reference/robovlms.md §7.1):
 * freeze_backbone freezes everything; else train_decoder_layers −1 trains everything and k trains only the last
 * k decoder layers; then train_vision and train_text_embedding override the vision tower and word embedding.
 * With lora_enable, only the LoRA adapters train (the PEFT wrap freezes the base model).
 */
const isTrainable = (spec: WeightSpec, setup: TrainSetup, textLayers: number): boolean => {
  // PEFT's get_peft_model freezes every base weight and trains only the adapters.
  if (setup.loraEnable) return spec.part === "lora"
  if (spec.part === "vision") return setup.trainVision
  if (spec.part === "text_embedding") return setup.trainTextEmbedding
  if (setup.freezeBackbone) return false
  if (setup.trainDecoderLayers === -1) return true
  if (spec.part !== "decoder_layer") return false
  const layer = Number(spec.group.split(".")[2])
  return layer >= textLayers - setup.trainDecoderLayers
}

// ---------------------------------------------------------------------------------------------------------------
// the pure-tensor model
// ---------------------------------------------------------------------------------------------------------------

const LN_EPSILON = 1e-5
/** Added to masked attention logits; finite so a query with no visible key gets a uniform (not NaN) row. */
const MASKED_LOGIT = -1e9

// GELU (tanh form) and LayerNorm are the kit's: single kernels with their own gradients on the fast path, the
// usual composition of tfjs ops on the stock one (equal to 1e-5, tested in @robovla/tfjs).
const gelu = (x: tf.Tensor): tf.Tensor => geluTanh(x)

const layerNorm = (x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor => fusedLayerNorm(x, weight, bias, LN_EPSILON)

/** (…, in) × (in, out) + (out). */
const linear = (x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor => {
  const shape = x.shape
  const inner = shape[shape.length - 1]!
  const flat = tf.reshape(x, [-1, inner])
  const y = tf.add(tf.matMul(flat, weight), bias)
  return tf.reshape(y, [...shape.slice(0, -1), weight.shape[1]!])
}

/**
 * Embedding lookup as one-hot × table: the same values as a gather (exact: one 1·w term plus zeros), but its
 * gradient is a matmul. A gather's gradient needs UnsortedSegmentSum, which the wasm backend lacks, so a
 * gather-based embedding could not be trained there.
 */
const lookup = (table: tf.Tensor, ids: tf.Tensor): tf.Tensor => {
  const [rows, width] = table.shape as [number, number]
  const oneHot = tf.oneHot(tf.reshape(tf.cast(ids, "int32"), [-1]), rows)
  return tf.reshape(tf.matMul(tf.cast(oneHot, "float32"), table), [...ids.shape, width])
}

/**
 * The pure-tensor tiny VLM. Owns its tf.Variables (`dispose()` frees them); every method must run inside the
 * caller's `tf.tidy` (or the caller disposes the result). Trainability follows the config's train setup, set on
 * each variable's `trainable` flag and listed by {@link TinyVlmModel.trainableVariables}.
 *
 * @since 0.1.0
 * @category models
 */
export class TinyVlmModel {
  readonly config: TinyVlmConfig
  readonly tokenizer: TinyVlmTokenizer
  readonly specs: ReadonlyArray<WeightSpec>
  readonly variables: ReadonlyMap<string, tf.Variable>
  readonly imageTokens: number
  private disposed = false

  /** Use {@link TinyVlmModel.create}: it checks the config first. */
  private constructor(config: TinyVlmConfig, tokenizer: TinyVlmTokenizer, initial: ReadonlyMap<string, Float32Array> | undefined) {
    this.config = config
    this.tokenizer = tokenizer
    this.specs = weightSpecs(config, tokenizer.vocabSize)
    this.imageTokens = (config.imageSize / config.patchSize) ** 2
    const variables = new Map<string, tf.Variable>()
    for (const spec of this.specs) {
      const size = spec.shape.reduce((a, b) => a * b, 1)
      const data =
        initial?.get(spec.name) ??
        (spec.init === "normal"
          ? normalInit(config.seed, spec.name, size, 0.02)
          : spec.init === "kaiming"
          ? uniformInit(config.seed, spec.name, size, 1 / Math.sqrt(spec.shape[0]!))
          : new Float32Array(size).fill(spec.init === "ones" ? 1 : 0))
      const trainable = isTrainable(spec, config.trainSetup, config.textLayers)
      const initialTensor = tf.tensor(data, [...spec.shape], "float32")
      variables.set(spec.name, tf.variable(initialTensor, trainable))
      initialTensor.dispose() // the variable keeps its own reference to the data
    }
    this.variables = variables
  }

  /**
   * Checks the config and builds the model, from `weights` (name → data) where given, else from the seeded init.
   * Throws `SdkError` on a bad config or a weight of the wrong size.
   */
  static create(config: TinyVlmConfig, weights?: ReadonlyMap<string, { readonly data: Float32Array; readonly shape: ReadonlyArray<number> }>): TinyVlmModel {
    const bad = (message: string, subject: string) => new SdkError({ reason: "InvalidInput", message, subject })
    if (config.imageSize % config.patchSize !== 0) throw bad(`imageSize ${config.imageSize} is not a multiple of patchSize ${config.patchSize}`, "imageSize")
    if (config.visionWidth % config.visionHeads !== 0) throw bad(`visionWidth ${config.visionWidth} is not divisible by visionHeads ${config.visionHeads}`, "visionHeads")
    if (config.hiddenSize % config.textHeads !== 0) throw bad(`hiddenSize ${config.hiddenSize} is not divisible by textHeads ${config.textHeads}`, "textHeads")
    if (config.trainSetup.trainDecoderLayers > config.textLayers) {
      throw bad(`trainDecoderLayers ${config.trainSetup.trainDecoderLayers} exceeds textLayers ${config.textLayers}`, "trainSetup.trainDecoderLayers")
    }
    if (config.trainSetup.trainDecoderLayers === 0) throw bad("trainDecoderLayers must be −1 (all) or k ≥ 1 (the last k)", "trainSetup.trainDecoderLayers")
    const tokenizer = makeTokenizer(config.bpeMerges)
    let initial: Map<string, Float32Array> | undefined
    if (weights !== undefined) {
      initial = new Map()
      for (const spec of weightSpecs(config, tokenizer.vocabSize)) {
        const w = weights.get(spec.name)
        // A base checkpoint has no adapters: they start from their init (B = 0, so the model is unchanged).
        if (w === undefined && spec.part === "lora") continue
        if (w === undefined) throw new SdkError({ reason: "CorruptFile", message: `weights lack tensor "${spec.name}"`, subject: spec.name })
        if (w.shape.length !== spec.shape.length || w.shape.some((n, i) => n !== spec.shape[i])) {
          throw new SdkError({
            reason: "ShapeMismatch",
            message: `weight "${spec.name}" has shape [${w.shape.join(", ")}], the config needs [${spec.shape.join(", ")}]`,
            subject: spec.name
          })
        }
        initial.set(spec.name, w.data)
      }
    }
    return new TinyVlmModel(config, tokenizer, initial)
  }

  private v(name: string): tf.Variable {
    if (this.disposed) throw new SdkError({ reason: "Released", message: "tiny-vlm was used after its scope closed" })
    return this.variables.get(name)!
  }

  get isDisposed(): boolean {
    return this.disposed
  }

  /** Variables trained under the config's train setup (the optimiser's var list). */
  trainableVariables(): Array<tf.Variable> {
    return this.specs.filter((s) => this.variables.get(s.name)!.trainable).map((s) => this.variables.get(s.name)!)
  }

  /** One entry per group (vision, projector, word embedding, positions, each decoder layer, final norm). */
  parameterGroups(): Array<ParameterGroup> {
    const groups = new Map<string, { part: ParameterGroup["part"]; size: number; trainable: boolean }>()
    for (const spec of this.specs) {
      const size = spec.shape.reduce((a, b) => a * b, 1)
      const trainable = this.variables.get(spec.name)!.trainable
      const g = groups.get(spec.group)
      if (g === undefined) groups.set(spec.group, { part: spec.part, size, trainable })
      else g.size += size
    }
    return [...groups].map(([name, g]) => ({ name, part: g.part, size: g.size, trainable: g.trainable }))
  }

  /** Linear layer `prefix` (weight (in, out) + bias), plus its LoRA update x·A·B·(α/r) when enabled. */
  private dense(prefix: string, x: tf.Tensor): tf.Tensor {
    const y = linear(x, this.v(`${prefix}.weight`), this.v(`${prefix}.bias`))
    const setup = this.config.trainSetup
    if (!setup.loraEnable) return y
    const a = this.v(`${prefix}.lora_A`)
    const b = this.v(`${prefix}.lora_B`)
    const shape = x.shape
    const low = tf.matMul(tf.matMul(tf.reshape(x, [-1, shape[shape.length - 1]!]), a), b)
    return tf.add(y, tf.reshape(tf.mul(low, setup.loraAlpha / setup.loraR), y.shape))
  }

  private block(prefix: string, x: tf.Tensor, heads: number, bias: tf.Tensor | undefined): tf.Tensor {
    const h = layerNorm(x, this.v(`${prefix}.ln1.weight`), this.v(`${prefix}.ln1.bias`))
    // All heads as one (B·H)-batched product: fewer, larger ops (equal to the per-head loop to 1e-5, tested).
    const attended = attendBatched(this.dense(`${prefix}.attn.qkv`, h), heads, bias) // (B, L, 3C) → (B, L, C)
    const x1 = tf.add(x, this.dense(`${prefix}.attn.proj`, attended))
    const h2 = layerNorm(x1, this.v(`${prefix}.ln2.weight`), this.v(`${prefix}.ln2.bias`))
    const mlp = this.dense(`${prefix}.mlp.fc2`, gelu(this.dense(`${prefix}.mlp.fc1`, h2)))
    return tf.add(x1, mlp)
  }

  /** (B, 3, S, S) → (B, n, D): patchify by reshape, embed by matmul, ViT blocks, norm, projector. */
  encodeImages(pixels: tf.Tensor): tf.Tensor {
    const { imageSize: s, patchSize: p } = this.config
    const b = pixels.shape[0]!
    const g = s / p
    // (B·3, g, P, g, P) → (B·3, g, g, P, P) → (B, 3, g·g, P·P) → (B, g·g, P·P, 3) → (B, n, P·P·3); rank ≤ 5 for wasm.
    const grid = tf.transpose(tf.reshape(pixels, [b * 3, g, p, g, p]), [0, 1, 3, 2, 4])
    const patches = tf.reshape(tf.transpose(tf.reshape(grid, [b, 3, g * g, p * p]), [0, 2, 3, 1]), [b, g * g, p * p * 3])
    let x = tf.add(this.dense("vision.patch_embed", patches), this.v("vision.pos_embed"))
    for (let i = 0; i < this.config.visionLayers; i++) x = this.block(`vision.blocks.${i}`, x, this.config.visionHeads, undefined)
    x = layerNorm(x, this.v("vision.norm.weight"), this.v("vision.norm.bias"))
    return this.dense("projector", x)
  }

  /** (B, L) int32 ids → (B, L, D). */
  embedTokens(ids: tf.Tensor): tf.Tensor {
    return lookup(this.v("text.embed_tokens.weight"), ids)
  }

  /**
   * Causal decoder over (B, L, D) embeddings with a (B, L) 1/0 mask → last hidden states after the final norm.
   * Positions count only unmasked tokens (position = cumsum(mask) − 1), so left padding does not shift them.
   */
  forward(inputsEmbeds: tf.Tensor, attentionMask: tf.Tensor): tf.Tensor {
    const [b, l] = inputsEmbeds.shape as [number, number, number]
    const mask = tf.cast(attentionMask, "float32")
    const positions = tf.cast(tf.maximum(tf.sub(tf.cumsum(mask, 1), 1), 0), "int32")
    let x = tf.add(inputsEmbeds, lookup(this.v("text.embed_positions.weight"), positions))
    const causal = tf.linalg.bandPart(tf.ones([l, l]), -1, 0) // (L, L) lower triangle
    const visible = tf.mul(tf.reshape(causal, [1, l, l]), tf.reshape(mask, [b, 1, l])) // (B, L, L)
    const bias = tf.mul(tf.sub(1, visible), MASKED_LOGIT)
    for (let i = 0; i < this.config.textLayers; i++) x = this.block(`text.layers.${i}`, x, this.config.textHeads, bias)
    return layerNorm(x, this.v("text.norm.weight"), this.v("text.norm.bias"))
  }

  /**
   * The language-model head, tied to the word embedding (no weights of its own, as in GPT-2 / Kosmos-2):
   * (…, D) final hidden states → (…, V) next-token logits = h · Eᵀ. Used by vision-language pre-training.
   */
  lmLogits(hidden: tf.Tensor): tf.Tensor {
    const shape = hidden.shape
    const d = shape[shape.length - 1]!
    const table = this.v("text.embed_tokens.weight")
    const logits = tf.matMul(tf.reshape(hidden, [-1, d]), table, false, true)
    return tf.reshape(logits, [...shape.slice(0, -1), table.shape[0]!])
  }

  /** Current weights as name → data (for safetensors), in file order. */
  weights(): Array<[string, { readonly data: Float32Array; readonly shape: ReadonlyArray<number> }]> {
    return this.specs.map((s) => [s.name, { data: this.v(s.name).dataSync() as Float32Array, shape: s.shape }])
  }

  /** Serialises every weight to safetensors bytes (metadata: format + config JSON). */
  toSafetensors(): Uint8Array {
    return Safetensors.writeSafetensorsSync(new Map(this.weights()), { format: "robovla.tiny-vlm/v1", config: JSON.stringify(this.config) })
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    for (const v of this.variables.values()) v.dispose()
  }
}

/**
 * Reads a safetensors file (path or bytes) into the name → weight map `TinyVlmModel.create` takes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const readWeights = (input: string | Uint8Array): Map<string, { data: Float32Array; shape: ReadonlyArray<number> }> => {
  const file = Safetensors.readSafetensorsSync(input)
  const out = new Map<string, { data: Float32Array; shape: ReadonlyArray<number> }>()
  for (const [name, t] of file.tensors) {
    if (!(t.data instanceof Float32Array)) throw new SdkError({ reason: "CorruptFile", message: `weight "${name}" is ${t.dtype}, not a float`, subject: name })
    out.set(name, { data: t.data, shape: t.shape })
  }
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// the engine-neutral SDK backbone
// ---------------------------------------------------------------------------------------------------------------

/**
 * The SDK backbone plus the pure-tensor model behind it (training uses `model` directly).
 *
 * @since 0.1.0
 * @category models
 */
export interface TinyVlmBackbone extends BackboneService {
  readonly model: TinyVlmModel
  /** The variables trained under the config's train setup. */
  readonly trainableVariables: () => ReadonlyArray<tf.Variable>
  /** All weights as safetensors bytes. */
  readonly saveWeights: () => Uint8Array
}

const shapeError = (message: string, subject: string) => new SdkError({ reason: "ShapeMismatch", message, subject })

/** Runs `body` in a tf.tidy and reads its values out (the SDK copies them before a caller sees them). */
const tidyRead = (body: () => tf.Tensor): FloatTensor => {
  const result = tf.tidy(body)
  try {
    return { data: result.dataSync() as Float32Array, shape: result.shape }
  } finally {
    result.dispose()
  }
}

/**
 * Wraps a model as the SDK backbone contract. `Backbone.make` checks every argument (shapes, dtypes, NaNs, ids
 * in the vocabulary, the 0/1 mask, at most `maxPositions` tokens), refuses calls after the Scope closed and
 * copies the outputs; the hooks only run the model.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeBackbone = (model: TinyVlmModel): Effect.Effect<TinyVlmBackbone, never, Scope.Scope> => {
  const { config } = model
  const d = config.hiddenSize
  return Effect.map(
    BackboneContract.make({
      name: "tiny-vlm",
      hiddenSize: d,
      imageTokens: model.imageTokens,
      imagePreprocessing: { size: config.imageSize, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], resample: "bilinear" },
      tokenizer: model.tokenizer,
      maxSequenceLength: config.maxPositions,
      encodeImages: (pixels) => tidyRead(() => model.encodeImages(tf.tensor(pixels.data, [...pixels.shape], "float32"))),
      embedTokens: (ids) => tidyRead(() => model.embedTokens(tf.tensor(ids.data, [...ids.shape], "int32"))),
      forward: (inputsEmbeds, attentionMask) =>
        tidyRead(() =>
          model.forward(
            tf.tensor(inputsEmbeds.data, [...inputsEmbeds.shape], "float32"),
            tf.tensor(attentionMask.data, [...attentionMask.shape], "int32")
          )
        ),
      parameterGroups: () => model.parameterGroups(),
      weights: () => Object.fromEntries(model.weights().map(([name, w]) => [name, { data: new Float32Array(w.data), shape: [...w.shape] }])),
      loadWeights: (weights) => {
        // Check every name and shape first, so a bad map changes nothing.
        for (const spec of model.specs) {
          const w = weights[spec.name]
          if (w === undefined) throw new SdkError({ reason: "WeightsNotFound", message: `no weight named ${spec.name}`, subject: spec.name })
          if (w.shape.length !== spec.shape.length || w.shape.some((n, i) => n !== spec.shape[i])) {
            throw shapeError(`weight "${spec.name}" has shape [${w.shape.join(", ")}], the config needs [${spec.shape.join(", ")}]`, spec.name)
          }
        }
        const unknown = Object.keys(weights).filter((name) => !model.variables.has(name))
        if (unknown.length > 0) throw new SdkError({ reason: "InvalidInput", message: `weights not used by tiny-vlm: ${unknown.slice(0, 5).join(", ")}`, subject: unknown[0]! })
        for (const spec of model.specs) {
          const w = weights[spec.name]!
          tf.tidy(() => model.variables.get(spec.name)!.assign(tf.tensor(w.data, [...spec.shape], "float32")))
        }
      }
    }),
    (backbone): TinyVlmBackbone => ({
      ...backbone,
      model,
      trainableVariables: () => model.trainableVariables(),
      saveWeights: () => model.toSafetensors()
    })
  )
}

/**
 * Builds the model (from `config.weights` when set) in the Scope; closing the Scope frees its variables.
 * Initialises the tfjs kit first (backend, gradients, fast kernels) unless that was done already.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (config: TinyVlmConfig): Effect.Effect<TinyVlmBackbone, SdkError, Scope.Scope> =>
  Effect.gen(function*() {
    yield* ensureTfjsEffect
    const model = yield* Effect.acquireRelease(
      Effect.try({
        try: () => TinyVlmModel.create(config, config.weights === undefined ? undefined : readWeights(config.weights)),
        catch: (cause) =>
          cause instanceof SdkError ? cause : new SdkError({ reason: "PluginFailure", message: `tiny-vlm: ${String(cause)}`, subject: "tiny-vlm", cause })
      }),
      (model) => Effect.sync(() => model.dispose())
    )
    return yield* makeBackbone(model)
  })
