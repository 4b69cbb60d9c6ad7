/**
 * Weight initialisers matching RoboVLMs (reference/robovlms.md §6): Xavier-uniform with zero bias for the MLP and
 * LSTM heads' linear layers, PyTorch's defaults where RoboVLMs leaves them (nn.LSTM, the GPT head's MLPs), and
 * normal(0, 0.02) for GPT-2.
 *
 * @since 0.1.0
 */
import type { Rng } from "./Rng.ts"

/**
 * How a linear layer's weight and bias are initialised.
 * - `xavier`: weight U(±√(6/(fan_in+fan_out))), bias 0 (RoboVLMs' MLP/LSTM heads).
 * - `torch`: PyTorch's nn.Linear default, weight and bias U(±1/√fan_in).
 * - `gpt2`: weight N(0, std), bias 0 (Hugging Face GPT-2; `std` defaults to 0.02).
 *
 * @since 0.1.0
 * @category models
 */
export type LinearInit = { readonly kind: "xavier" } | { readonly kind: "torch" } | { readonly kind: "gpt2"; readonly std?: number }

/**
 * @since 0.1.0
 * @category constructors
 */
export const uniform = (rng: Rng, size: number, bound: number): Float32Array => {
  const out = new Float32Array(size)
  for (let i = 0; i < size; i++) out[i] = (rng.uniform() * 2 - 1) * bound
  return out
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const normal = (rng: Rng, size: number, std: number): Float32Array => {
  const out = new Float32Array(size)
  for (let i = 0; i < size; i++) out[i] = rng.normal() * std
  return out
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const xavierUniform = (rng: Rng, fanIn: number, fanOut: number): Float32Array =>
  uniform(rng, fanIn * fanOut, Math.sqrt(6 / (fanIn + fanOut)))

/**
 * Weight then bias values for a linear layer with `fanIn` inputs and `fanOut` outputs.
 *
 * @since 0.1.0
 * @category constructors
 */
export const linearValues = (
  rng: Rng,
  init: LinearInit,
  fanIn: number,
  fanOut: number
): { readonly weight: Float32Array; readonly bias: Float32Array } => {
  switch (init.kind) {
    case "xavier":
      return { weight: xavierUniform(rng, fanIn, fanOut), bias: new Float32Array(fanOut) }
    case "torch": {
      const bound = 1 / Math.sqrt(fanIn)
      const weight = uniform(rng, fanIn * fanOut, bound)
      return { weight, bias: uniform(rng, fanOut, bound) }
    }
    case "gpt2":
      return { weight: normal(rng, fanIn * fanOut, init.std ?? 0.02), bias: new Float32Array(fanOut) }
  }
}
