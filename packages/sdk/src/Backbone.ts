/**
 * The backbone contract (RoboVLMs' `BaseRoboVLM`, reference/robovlms.md §4): a VLM that turns images and
 * token ids into embeddings in LM space and runs its decoder over `inputs_embeds`, returning the last
 * hidden states. The SDK's VLA assembly builds the multimodal sequence and inserts [LRN]; the backbone only
 * provides these primitives.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import type { HookResult } from "./internal/pluginCalls.ts"
import { callHook, checkArgument, checkWeights as checkWeightMap, copyOutput, makeReleaseGuard, withWeightHooks } from "./internal/pluginCalls.ts"
import { SdkError } from "./SdkError.ts"
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
  /** Longest sequence `forward` accepts (learned positions); absent when unbounded. */
  readonly maxSequenceLength?: number
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

/**
 * What a backbone plugin writes: its model and nothing else. The hooks receive arguments that `make` has
 * already checked (Float32Array / Int32Array data of the right rank, dimensions and length, finite floats, ids
 * inside the vocabulary, a 0/1 mask of the embeddings' (B, L)) and may return views into engine memory, plain
 * values or Effects; a thrown `SdkError` is kept, anything else thrown becomes `PluginFailure`.
 *
 * @since 0.1.0
 * @category models
 */
export interface BackboneHooks {
  readonly name: string
  readonly hiddenSize: number
  readonly imageTokens: number
  readonly imagePreprocessing: ImagePreprocessing
  readonly tokenizer: BackboneTokenizer
  /** Longest sequence `forward` accepts (e.g. learned positions); unbounded when absent. */
  readonly maxSequenceLength?: number
  /** (B, 3, S, S) → (B, n, D). */
  readonly encodeImages: (pixels: FloatTensor<"B 3 S S">) => HookResult<FloatTensor>
  /** (B, L) → (B, L, D). */
  readonly embedTokens: (ids: IntTensor<"B L">) => HookResult<FloatTensor>
  /** (B, L, D) + (B, L) mask → (B, L, D). */
  readonly forward: (inputsEmbeds: FloatTensor<"B L D">, attentionMask: IntTensor<"B L">) => HookResult<FloatTensor>
  /** Default: none (inference-only). */
  readonly parameterGroups?: () => ReadonlyArray<ParameterGroup>
  readonly weights?: () => Record<string, FloatTensor>
  /** Gets only maps whose tensors are float32, of consistent length and finite; checks names and shapes itself. */
  readonly loadWeights?: (weights: Readonly<Record<string, FloatTensor>>) => HookResult<void>
}

/**
 * Checks every tensor of a weight map (dtype, length against shape, finiteness), naming the first bad one.
 *
 * @since 0.1.0
 * @category validation
 */
export const checkWeights: (plugin: string, weights: Readonly<Record<string, FloatTensor>>) => SdkError | undefined = checkWeightMap

/**
 * Builds the contract's `Backbone` around a plugin's hooks, in the plugin's Scope. It owns what every backbone
 * must do the same way: argument checks with the SDK's reasons (`InvalidInput` for a wrong dtype, an id outside
 * the vocabulary or a mask value other than 0/1; `ShapeMismatch`; `NonFinite`), `Released` after the Scope
 * closes, a span per call (`Backbone.encodeImages`, … with the plugin's name), and fresh output buffers checked
 * against the promised shapes. Call it after acquiring the model's resources, so that the release guard flips
 * before they are freed.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (hooks: BackboneHooks): Effect.Effect<Backbone, never, Scope.Scope> =>
  Effect.map(makeReleaseGuard, (guard) => {
    const { hiddenSize: D, imageTokens: n, name, tokenizer } = hooks
    const S = hooks.imagePreprocessing.size
    const maxLength = hooks.maxSequenceLength ?? Number.POSITIVE_INFINITY
    const call = <A>(method: string, check: () => SdkError | undefined, hook: () => HookResult<A>) =>
      callHook(name, `Backbone.${method}`, guard, check, hook)

    const checkIds = (ids: IntTensor) => {
      const invalid = checkArgument(name, "ids", ids, "int32", ["B", "L"])
      if (invalid !== undefined) return invalid
      const bad = ids.data.findIndex((id) => id < 0 || id >= tokenizer.vocabSize)
      return bad === -1 ? undefined : new SdkError({
        reason: "InvalidInput",
        message: `${name}: ids[${bad}] = ${ids.data[bad]} is outside the vocabulary [0, ${tokenizer.vocabSize})`,
        subject: "ids"
      })
    }

    const checkForward = (inputsEmbeds: FloatTensor, attentionMask: IntTensor) => {
      const invalid = checkArgument(name, "inputsEmbeds", inputsEmbeds, "float32", ["B", "L", D])
      if (invalid !== undefined) return invalid
      const [B, L] = inputsEmbeds.shape as [number, number]
      const maskInvalid = checkArgument(name, "attentionMask", attentionMask, "int32", [B, L])
      if (maskInvalid !== undefined) return maskInvalid
      if (L > maxLength) {
        return new SdkError({
          reason: "ShapeMismatch",
          message: `${name}: sequence length ${L} exceeds the longest this backbone takes (${maxLength})`,
          subject: "inputsEmbeds"
        })
      }
      return attentionMask.data.every((m) => m === 0 || m === 1) ? undefined : new SdkError({
        reason: "InvalidInput",
        message: `${name}: attentionMask must hold only 0 and 1`,
        subject: "attentionMask"
      })
    }

    const backbone: Backbone = {
      specificationVersion: BACKBONE_CONTRACT_VERSION,
      name,
      hiddenSize: D,
      imageTokens: n,
      imagePreprocessing: hooks.imagePreprocessing,
      tokenizer,
      ...(hooks.maxSequenceLength !== undefined ? { maxSequenceLength: hooks.maxSequenceLength } : {}),
      encodeImages: (pixels) =>
        call("encodeImages", () => checkArgument(name, "pixels", pixels, "float32", ["B", 3, S, S]), () => hooks.encodeImages(pixels))
          .pipe(Effect.flatMap((out) => copyOutput<"B n D">(name, "image tokens", out, [pixels.shape[0]!, n, D]))),
      embedTokens: (ids) =>
        call("embedTokens", () => checkIds(ids), () => hooks.embedTokens(ids))
          .pipe(Effect.flatMap((out) => copyOutput<"B L D">(name, "token embeddings", out, [...ids.shape, D]))),
      forward: (inputsEmbeds, attentionMask) =>
        call("forward", () => checkForward(inputsEmbeds, attentionMask), () => hooks.forward(inputsEmbeds, attentionMask))
          .pipe(Effect.flatMap((out) => copyOutput<"B L D">(name, "hidden states", out, inputsEmbeds.shape))),
      parameterGroups: hooks.parameterGroups ?? (() => [])
    }
    return withWeightHooks(name, backbone, hooks, call)
  })
