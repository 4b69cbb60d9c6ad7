/**
 * The policy-head contract (reference/robovlms.md §6): [LRN] hidden states in, a chunk of N actions per
 * window position out. Continuous heads return the arm in tanh range and gripper logits; the discrete head
 * also returns per-dimension bin logits (its arm is the decoded bin centres).
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { ParameterGroup } from "./Backbone.ts"
import type { SdkError } from "./SdkError.ts"
import type { FloatTensor } from "./Tensor.ts"

/**
 * @since 0.1.0
 * @category constants
 */
export const HEAD_CONTRACT_VERSION = "robovla.head/v1" as const

/**
 * The dimensions a head is built for. The assembly fills `inputSize` from the backbone and `windowSize` /
 * `chunkSize` / `latent` from the VLA configuration (the top-level values override the head block's own).
 *
 * @since 0.1.0
 * @category models
 */
export interface HeadDimensions {
  /** D_in, the backbone width. */
  readonly inputSize: number
  /** W, history window. */
  readonly windowSize: number
  /** N, actions predicted per step (`fwd_pred_next_n`). */
  readonly chunkSize: number
  /** Number of [LRN] tokens read out per frame. */
  readonly latent: number
}

/**
 * What a head predicts for every window position.
 *
 * @since 0.1.0
 * @category models
 */
export interface HeadOutput {
  /** (B, W, N, 6) in [−1, 1]. */
  readonly arm: FloatTensor<"B W N 6">
  /** (B, W, N, 1) logits; sigmoid > 0.5 means open (label 1 = open = env +1, reference/robovlms.md §1.5). */
  readonly gripperLogits: FloatTensor<"B W N 1">
  /** Discrete heads only: (B, W, N, 7, bins) logits over the action tokenizer's bins. */
  readonly binLogits?: FloatTensor<"B W N 7 bins">
}

/**
 * What a head predicts for the newest step at evaluation.
 *
 * @since 0.1.0
 * @category models
 */
export interface HeadStepOutput {
  readonly arm: FloatTensor<"B N 6">
  readonly gripperLogits: FloatTensor<"B N 1">
}

/**
 * The stateful evaluation API (reference/robovlms.md §5.3): feed the newest frame's [LRN] features one step
 * at a time; `reset()` at the start of every subtask clears the history.
 *
 * @since 0.1.0
 * @category models
 */
export interface HeadStepper {
  readonly reset: () => void
  readonly step: (lrn: FloatTensor<"B latent D">) => Effect.Effect<HeadStepOutput, SdkError>
}

/**
 * A loaded policy head.
 *
 * @since 0.1.0
 * @category models
 */
export interface PolicyHead {
  readonly specificationVersion: typeof HEAD_CONTRACT_VERSION
  readonly name: string
  readonly kind: "continuous" | "discrete"
  readonly dimensions: HeadDimensions
  /** Whole-window prediction (training and `pre`/one-step inference): (B, W, latent, D) → per position chunks. */
  readonly predict: (lrn: FloatTensor<"B W latent D">) => Effect.Effect<HeadOutput, SdkError>
  /** A fresh stepper with its own history; several may exist at once (one per session). */
  readonly stepper: () => HeadStepper
  readonly parameterGroups: () => ReadonlyArray<ParameterGroup>
  /** Optional, for trainable heads: every weight by name (`head.<name>` in a checkpoint) and loading them back. */
  readonly weights?: () => Record<string, FloatTensor>
  readonly loadWeights?: (weights: Readonly<Record<string, FloatTensor>>) => Effect.Effect<void, SdkError>
}
