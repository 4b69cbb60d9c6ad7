/**
 * The backbone contract (RoboVLMs' `BaseRoboVLM`, reference/robovlms.md §4): a VLM that turns images and
 * token ids into embeddings in LM space and runs its decoder over `inputs_embeds`, returning the last
 * hidden states. The SDK's VLA assembly builds the multimodal sequence and inserts [LRN]; the backbone only
 * provides these primitives.
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { SdkError } from "./SdkError.ts"
import type { FloatTensor, IntTensor } from "./Tensor.ts"

/**
 * The contract version a backbone implements. Bump on any breaking change; keep old versions beside.
 *
 * @since 0.1.0
 * @category constants
 */
export const BACKBONE_CONTRACT_VERSION = "robovla.backbone/v1" as const

/**
 * How raw uint8 RGB images become the `encodeImages` input: resize to `size`×`size`, scale to [0, 1],
 * subtract `mean`, divide by `std` (per channel), CHW order.
 *
 * @since 0.1.0
 * @category models
 */
export interface ImagePreprocessing {
  readonly size: number
  readonly mean: readonly [number, number, number]
  readonly std: readonly [number, number, number]
  readonly resample: "nearest" | "bilinear" | "bicubic"
}

/**
 * The backbone's tokenizer, already wrapping the prompt template of the backbone (e.g. Kosmos'
 * `"<grounding>An image of a robot {instr}"`). `encode` returns ids including BOS and EOS when the
 * tokenizer has them.
 *
 * @since 0.1.0
 * @category models
 */
export interface BackboneTokenizer {
  readonly vocabSize: number
  readonly bosId: number | undefined
  readonly eosId: number | undefined
  readonly padId: number
  readonly encode: (instruction: string) => ReadonlyArray<number>
  readonly decode: (ids: ReadonlyArray<number>) => string
}

/**
 * A named group of parameters and whether it is trainable under the current `train_setup`.
 * `part` follows RoboVLMs' switches (reference/robovlms.md §7.1).
 *
 * @since 0.1.0
 * @category models
 */
export interface ParameterGroup {
  readonly name: string
  readonly part: "vision" | "projector" | "text_embedding" | "decoder_layer" | "final_norm" | "lora" | "action_token" | "head"
  readonly size: number
  readonly trainable: boolean
}

/**
 * A loaded backbone. Every method is pure with respect to the backbone's weights: same inputs, same outputs.
 *
 * @since 0.1.0
 * @category models
 */
export interface Backbone {
  readonly specificationVersion: typeof BACKBONE_CONTRACT_VERSION
  readonly name: string
  /** LM width D. */
  readonly hiddenSize: number
  /** Tokens per encoded image (n). */
  readonly imageTokens: number
  readonly imagePreprocessing: ImagePreprocessing
  readonly tokenizer: BackboneTokenizer
  /** (B, 3, S, S) preprocessed pixels → (B, n, D) image tokens already in LM space. */
  readonly encodeImages: (pixels: FloatTensor<"B 3 S S">) => Effect.Effect<FloatTensor<"B n D">, SdkError>
  /** (B, L) ids → (B, L, D) embeddings. */
  readonly embedTokens: (ids: IntTensor<"B L">) => Effect.Effect<FloatTensor<"B L D">, SdkError>
  /** Decoder over embeddings with a 1/0 attention mask (B, L) → last hidden states after the final norm. */
  readonly forward: (
    inputsEmbeds: FloatTensor<"B L D">,
    attentionMask: IntTensor<"B L">
  ) => Effect.Effect<FloatTensor<"B L D">, SdkError>
  /** Parameter groups and their trainability; empty for inference-only backbones (e.g. ONNX). */
  readonly parameterGroups: () => ReadonlyArray<ParameterGroup>
  /**
   * Optional, for trainable backbones: a copy of every weight by name (saved as `backbone.<name>` in a
   * checkpoint's `model.safetensors`), and loading such a map back (all names, matching shapes, else an error).
   */
  readonly weights?: () => Record<string, FloatTensor>
  readonly loadWeights?: (weights: Readonly<Record<string, FloatTensor>>) => Effect.Effect<void, SdkError>
}
