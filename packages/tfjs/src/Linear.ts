/**
 * Dense layers over 2-D tensors (rows, features), built from tfjs-core ops only so they train on the wasm
 * backend. Weights are exported in PyTorch's nn.Linear layout `(out, in)` (or GPT-2's Conv1D layout `(in, out)`)
 * so that RoboVLMs / Hugging Face state dicts load as they are; inside, every variable is `(in, out)` so the
 * forward pass is a plain x·W (see `Parameters.add`).
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { LinearInit } from "./Init.ts"
import { linearValues } from "./Init.ts"
import { matMul } from "./MatMul.ts"
import type { Parameters } from "./Parameters.ts"
import type { Rng } from "./Rng.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface Linear {
  readonly inFeatures: number
  readonly outFeatures: number
  /** (rows, in) → (rows, out). */
  readonly apply: (x: tf.Tensor2D) => tf.Tensor2D
}

/**
 * Exported layout: `torch`: weight `(out, in)`, y = x·Wᵀ + b (nn.Linear). `conv1d`: weight `(in, out)`,
 * y = x·W + b (GPT-2).
 *
 * @since 0.1.0
 * @category models
 */
export type WeightLayout = "torch" | "conv1d"

/**
 * Registers `<name>.weight` and `<name>.bias` in `parameters` and returns the layer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeLinear = (
  parameters: Parameters,
  rng: Rng,
  name: string,
  inFeatures: number,
  outFeatures: number,
  init: LinearInit,
  layout: WeightLayout = "torch"
): Linear => {
  const values = linearValues(rng, init, inFeatures, outFeatures)
  const torch = layout === "torch"
  const weight = parameters.add(
    `${name}.weight`,
    torch ? [outFeatures, inFeatures] : [inFeatures, outFeatures],
    values.weight,
    { transposed: torch }
  )
  const bias = parameters.add(`${name}.bias`, [outFeatures], values.bias)
  return {
    inFeatures,
    outFeatures,
    apply: (x) => tf.add(matMul(x, weight as tf.Tensor2D), bias)
  }
}

/**
 * A stack of linear layers with ReLU between them (none after the last).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeReluStack = (
  parameters: Parameters,
  rng: Rng,
  name: string,
  sizes: ReadonlyArray<number>,
  init: LinearInit
): Linear => {
  const layers: Array<Linear> = []
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(makeLinear(parameters, rng, `${name}.${i}`, sizes[i]!, sizes[i + 1]!, init))
  }
  return {
    inFeatures: sizes[0]!,
    outFeatures: sizes[sizes.length - 1]!,
    apply: (x) => {
      let h = x
      layers.forEach((layer, i) => {
        h = layer.apply(h)
        if (i + 1 < layers.length) h = tf.relu(h)
      })
      return h
    }
  }
}
