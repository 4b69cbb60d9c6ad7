/**
 * Configuration of the tiny VLM: sizes of the ViT, the projector and the causal decoder, the seed of the
 * deterministic initialisation, an optional safetensors weight file, and RoboVLMs' trainable-part switches
 * (reference/robovlms.md §7.1). Decoded with Schema at the plugin boundary.
 *
 * @since 0.1.0
 */
import { NonNegativeInt, PositiveInt } from "@robovla/sdk"
import { Schema } from "effect"

/**
 * RoboVLMs' `train_setup` switches. `trainDecoderLayers` = −1 trains the whole decoder (and projector, positions,
 * final norm); k > 0 trains only the last k decoder layers. `trainVision` / `trainTextEmbedding` are applied after
 * and override the above for the vision tower and the word embedding. `loraEnable` adds LoRA adapters (rank
 * `loraR`, scale `loraAlpha / loraR`) to every linear layer and trains only them (PEFT's behaviour);
 * `loraDropout` is accepted for config compatibility but not applied (the forward pass has no training mode).
 *
 * @since 0.1.0
 * @category schemas
 */
export const TrainSetup = Schema.Struct({
  freezeBackbone: Schema.Boolean,
  trainVision: Schema.Boolean,
  trainTextEmbedding: Schema.Boolean,
  trainDecoderLayers: Schema.Int.check(Schema.isGreaterThanOrEqualTo(-1)),
  loraEnable: Schema.Boolean,
  loraR: PositiveInt,
  loraAlpha: Schema.Finite,
  loraDropout: Schema.Finite
})

/** @since 0.1.0 @category models */
export type TrainSetup = typeof TrainSetup.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const TinyVlmConfig = Schema.Struct({
  /** Seed of the deterministic initialisation (ignored for tensors loaded from `weights`). */
  seed: NonNegativeInt,
  /** Square input size S of `encodeImages`. */
  imageSize: PositiveInt,
  /** ViT patch size P; S must be a multiple of P. Image tokens n = (S / P)². */
  patchSize: PositiveInt,
  visionWidth: PositiveInt,
  visionLayers: NonNegativeInt,
  visionHeads: PositiveInt,
  /** LM width D. */
  hiddenSize: PositiveInt,
  textLayers: NonNegativeInt,
  textHeads: PositiveInt,
  /** Feed-forward width as a multiple of the block width. */
  mlpRatio: PositiveInt,
  /** Learned decoder positions; sequences longer than this are rejected. */
  maxPositions: PositiveInt,
  /** Number of BPE merges learned (deterministically) from the CALVIN instruction vocabulary. */
  bpeMerges: NonNegativeInt,
  /** Optional safetensors file with every weight (see `TinyVlmBackbone.weightNames`). */
  weights: Schema.optionalKey(Schema.String),
  trainSetup: TrainSetup
})

/** @since 0.1.0 @category models */
export type TinyVlmConfig = typeof TinyVlmConfig.Type

/**
 * Small enough for unit tests on two CPU cores, big enough to be a real ViT + decoder. The train setup
 * matches the CALVIN configs (reference/robovlms.md §7.3: everything trainable, LoRA off).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultConfig: TinyVlmConfig = {
  seed: 0,
  imageSize: 32,
  patchSize: 8,
  visionWidth: 32,
  visionLayers: 2,
  visionHeads: 2,
  hiddenSize: 64,
  textLayers: 2,
  textHeads: 4,
  mlpRatio: 4,
  maxPositions: 256,
  bpeMerges: 128,
  trainSetup: {
    freezeBackbone: false,
    trainVision: true,
    trainTextEmbedding: true,
    trainDecoderLayers: -1,
    loraEnable: false,
    loraR: 64,
    loraAlpha: 16,
    loraDropout: 0.05
  }
}
