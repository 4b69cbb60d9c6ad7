/**
 * The tfjs side of a policy head, shared by the four head plugins: the trainable extension of the SDK's
 * `PolicyHead` (`variables`, `predictTensors`, `loss`, `weights`, `loadWeights`) and `makeTfHead`, which hands a
 * pure-tensor `predictTensors` to the SDK's `PolicyHead.make` as its `predict` hook. The SDK checks the inputs,
 * guards against use after release, traces and copies the outputs; this file only moves data in and out of
 * tfjs without leaking tensors.
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type {
  FloatTensor,
  HeadDimensions,
  HeadOutput,
  HeadStepOutput,
  PolicyHeadService,
  SdkError,
  StepperHooks,
  StepperHooksStep
} from "@robovla/sdk"
import { PolicyHead } from "@robovla/sdk"
import { Effect } from "effect"
import type { Scope } from "effect"
import type { HeadLabels, HeadLoss } from "./Loss.ts"
import type { Parameters } from "./Parameters.ts"

/**
 * A head's prediction as tensors. `binLogits` (B, W, N, 7, bins) only for discrete heads.
 *
 * @since 0.1.0
 * @category models
 */
export interface HeadTensors {
  readonly arm: tf.Tensor4D
  readonly gripperLogits: tf.Tensor4D
  readonly binLogits?: tf.Tensor5D
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PredictOptions {
  /** Training mode: enables dropout where the head has it (GPT). Off by default (inference). */
  readonly training?: boolean
}

/**
 * A `PolicyHead` built on tfjs variables, with the pure-tensor API a trainer needs:
 * `tf.variableGrads(() => head.loss(head.predictTensors(x), labels, mask).loss, head.variables())`.
 *
 * @since 0.1.0
 * @category models
 */
export interface TfPolicyHead extends PolicyHeadService {
  readonly variables: () => ReadonlyArray<tf.Variable>
  /** (B, T, latent, D) → outputs; T ≤ W for heads with learned positions. Call inside `tf.tidy`. */
  readonly predictTensors: (lrn: tf.Tensor4D, options?: PredictOptions) => HeadTensors
  /** The head's training loss (§6.1 for continuous heads, cross-entropy over bins for discrete). */
  readonly loss: (output: HeadTensors, labels: HeadLabels, mask: tf.Tensor3D) => HeadLoss
  /** A copy of every weight by name (PyTorch-style names). */
  readonly weights: () => Record<string, FloatTensor>
  readonly loadWeights: (weights: Readonly<Record<string, FloatTensor>>) => Effect.Effect<void, SdkError>
}

/**
 * A tensor's values as a FloatTensor. The values are tfjs' own array (no copy): the SDK copies every output
 * before a caller sees it.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toFloatTensor = <Dims extends string>(tensor: tf.Tensor): FloatTensor<Dims> => ({
  data: tensor.dataSync() as Float32Array,
  shape: [...tensor.shape]
})

/**
 * Runs `f` in `tf.tidy` when its result holds no tensors (only arrays read out): every tensor made inside is
 * disposed. The result does not pass through `tf.tidy`, which would walk it for tensors element by element
 * (`for … in` over every typed array: ~60 ms for an LSTM stepper's states at act()).
 *
 * @since 0.1.0
 * @category combinators
 */
export const tidyRead = <A>(f: () => A): A => {
  let result: { readonly value: A } | undefined
  tf.tidy(() => {
    result = { value: f() }
  })
  return result!.value
}

/**
 * Reads the last window position of `arm` / `gripperLogits` as a step output.
 *
 * @since 0.1.0
 * @category conversions
 */
export const lastPosition = (output: HeadTensors): HeadStepOutput => {
  const [batch, time, chunk] = output.arm.shape
  const take = <Dims extends string>(t: tf.Tensor4D, size: number) =>
    tidyRead(() => toFloatTensor<Dims>(tf.reshape(tf.slice(t, [0, time - 1, 0, 0], [batch, 1, chunk, size]), [batch, chunk, size])))
  return { arm: take<"B N 6">(output.arm, 6), gripperLogits: take<"B N 1">(output.gripperLogits, 1) }
}

/**
 * What a head plugin supplies to `makeTfHead`.
 *
 * @since 0.1.0
 * @category models
 */
export interface TfHeadSpec {
  readonly name: string
  readonly kind: "continuous" | "discrete"
  readonly dimensions: HeadDimensions
  readonly parameters: Parameters
  /** Longest window `predict` accepts; unbounded when absent. */
  readonly maxWindow?: number
  readonly predictTensors: (lrn: tf.Tensor4D, options?: PredictOptions) => HeadTensors
  readonly loss: (output: HeadTensors, labels: HeadLabels, mask: tf.Tensor3D) => HeadLoss
  /**
   * A fresh stepper's hooks (frames arrive checked and copied). Absent: the SDK's window stepper, `predict`
   * over the last W frames read at the last position.
   */
  readonly stepper?: () => StepperHooks
  /** Several of this head's steppers in one engine call (the SDK's `stepMany` hook); only with `stepper`. */
  readonly stepMany?: (steps: ReadonlyArray<StepperHooksStep>) => ReadonlyArray<HeadStepOutput>
}

/**
 * Builds the contract object (through the SDK's `PolicyHead.make`) plus the trainer's pure-tensor API, in the
 * Scope that holds the head's parameters.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeTfHead = (spec: TfHeadSpec): Effect.Effect<TfPolicyHead, SdkError, Scope.Scope> => {
  const { parameters } = spec
  const predict = (lrn: FloatTensor<"B W latent D">): HeadOutput =>
    tidyRead((): HeadOutput => {
      const output = spec.predictTensors(tf.tensor4d(lrn.data, lrn.shape as [number, number, number, number]))
      return {
        arm: toFloatTensor(output.arm),
        gripperLogits: toFloatTensor(output.gripperLogits),
        ...(output.binLogits === undefined ? {} : { binLogits: toFloatTensor(output.binLogits) })
      }
    })
  return Effect.map(
    PolicyHead.make({
      name: spec.name,
      kind: spec.kind,
      dimensions: spec.dimensions,
      ...(spec.maxWindow === undefined ? {} : { maxWindow: spec.maxWindow }),
      predict,
      ...(spec.stepper === undefined ? {} : { stepper: spec.stepper }),
      ...(spec.stepMany === undefined ? {} : { stepMany: spec.stepMany }),
      parameterGroups: () => parameters.groups(),
      weights: () => parameters.weights(),
      loadWeights: (weights) => parameters.loadWeights(weights)
    }),
    (head): TfPolicyHead => ({
      ...head,
      variables: () => parameters.variables(),
      predictTensors: spec.predictTensors,
      loss: spec.loss,
      weights: () => parameters.weights(),
      loadWeights: head.loadWeights!
    })
  )
}
