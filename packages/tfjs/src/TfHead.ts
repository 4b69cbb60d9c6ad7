/**
 * The tfjs side of a policy head, shared by the four head plugins: the trainable extension of the SDK's
 * `PolicyHead` (`variables`, `predictTensors`, `loss`, `weights`, `loadWeights`), input checks that fail with
 * `SdkError` `"ShapeMismatch"`, and `makeTfHead`, which turns a pure-tensor `predictTensors` into the
 * contract's `predict` (FloatTensor in, FloatTensor out, no tensor leaks).
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { FloatTensor, HeadDimensions, HeadOutput, HeadStepOutput, HeadStepper, PolicyHeadService } from "@robovla/sdk"
import { PolicyHead, SdkError, Tensor } from "@robovla/sdk"
import { Effect } from "effect"
import type { HeadLabels, HeadLoss } from "./Loss.ts"
import type { Parameters } from "./Parameters.ts"
import { pluginFailure, released } from "./Parameters.ts"

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

const shapeError = (message: string): SdkError => new SdkError({ reason: "ShapeMismatch", message })

const checkData = (lrn: FloatTensor, what: string): SdkError | undefined => {
  if (!(lrn.data instanceof Float32Array)) {
    return new SdkError({ reason: "InvalidInput", message: `${what} data must be a Float32Array` })
  }
  if (lrn.shape.some((d) => !Number.isInteger(d) || d < 1)) {
    return shapeError(`${what} shape [${lrn.shape.join(", ")}] must hold positive integers`)
  }
  if (lrn.data.length !== Tensor.sizeOf(lrn.shape)) {
    return shapeError(`${what} has ${lrn.data.length} values but shape [${lrn.shape.join(", ")}]`)
  }
  if (!Tensor.isAllFinite(lrn.data)) return new SdkError({ reason: "NonFinite", message: `${what} has NaN or Infinity` })
  return undefined
}

/**
 * Checks a (B, T, latent, D) window with 1 ≤ T ≤ `maxWindow`.
 *
 * @since 0.1.0
 * @category validation
 */
export const checkWindow = (lrn: FloatTensor, dimensions: HeadDimensions, maxWindow: number): SdkError | undefined => {
  const [batch, time, latent, width] = lrn.shape
  if (lrn.shape.length !== 4) {
    return shapeError(`[LRN] window must be (B, W, latent, D), got shape [${lrn.shape.join(", ")}]`)
  }
  if (latent !== dimensions.latent || width !== dimensions.inputSize) {
    return shapeError(
      `[LRN] window is (${batch}, ${time}, ${latent}, ${width}) but the head expects latent ${dimensions.latent}, ` +
        `D ${dimensions.inputSize}`
    )
  }
  if (time! > maxWindow) return shapeError(`[LRN] window has ${time} positions, at most ${maxWindow} allowed`)
  return checkData(lrn, "[LRN] window")
}

/**
 * Checks one step's (B, latent, D) features.
 *
 * @since 0.1.0
 * @category validation
 */
export const checkStep = (lrn: FloatTensor, dimensions: HeadDimensions): SdkError | undefined => {
  const [, latent, width] = lrn.shape
  if (lrn.shape.length !== 3 || latent !== dimensions.latent || width !== dimensions.inputSize) {
    return shapeError(
      `step features must be (B, ${dimensions.latent}, ${dimensions.inputSize}), got [${lrn.shape.join(", ")}]`
    )
  }
  return checkData(lrn, "step features")
}

/**
 * Copies a tensor out (no buffer shared with the backend).
 *
 * @since 0.1.0
 * @category conversions
 */
export const toFloatTensor = <Dims extends string>(tensor: tf.Tensor): FloatTensor<Dims> => ({
  data: new Float32Array(tensor.dataSync() as Float32Array),
  shape: [...tensor.shape]
})

/**
 * Runs tensor code for a head: fails with `"Released"` after the Scope closed, turns throws into `SdkError`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const runTf = <A>(subject: string, parameters: Parameters, operation: string, f: () => A): Effect.Effect<A, SdkError> =>
  Effect.suspend(() => parameters.disposed ? Effect.fail(released(operation)) : Effect.try({ try: f, catch: pluginFailure(subject) }))

/**
 * Runs `f` in `tf.tidy` when its result holds no tensors (only copied-out arrays): every tensor made inside is
 * disposed.
 *
 * @since 0.1.0
 * @category combinators
 */
export const tidyRead = <A>(f: () => A): A => tf.tidy(f as unknown as () => tf.TensorContainer) as unknown as A

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
  /** Builds a fresh stepper; gets the finished head so it can reuse `predictTensors`. */
  readonly stepper: (head: TfPolicyHead) => HeadStepper
}

/**
 * Assembles the contract object from a spec.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeTfHead = (spec: TfHeadSpec): TfPolicyHead => {
  const { dimensions, name, parameters } = spec
  const maxWindow = spec.maxWindow ?? Number.POSITIVE_INFINITY
  const predict = (lrn: FloatTensor<"B W latent D">): Effect.Effect<HeadOutput, SdkError> =>
    runTf(name, parameters, "predict", () => {
      const invalid = checkWindow(lrn, dimensions, maxWindow)
      if (invalid !== undefined) throw invalid
      return tidyRead((): HeadOutput => {
        const output = spec.predictTensors(tf.tensor4d(lrn.data, lrn.shape as [number, number, number, number]))
        return {
          arm: toFloatTensor(output.arm),
          gripperLogits: toFloatTensor(output.gripperLogits),
          ...(output.binLogits === undefined ? {} : { binLogits: toFloatTensor(output.binLogits) })
        }
      })
    })
  const head: TfPolicyHead = {
    specificationVersion: PolicyHead.HEAD_CONTRACT_VERSION,
    name,
    kind: spec.kind,
    dimensions,
    predict,
    stepper: () => spec.stepper(head),
    parameterGroups: () => parameters.groups(),
    variables: () => parameters.variables(),
    predictTensors: spec.predictTensors,
    loss: spec.loss,
    weights: () => parameters.weights(),
    loadWeights: (weights) => parameters.loadWeights(weights)
  }
  return head
}
