/**
 * Evaluation steppers (reference/robovlms.md §5.3). History lives in plain Float32Arrays, never in tfjs
 * tensors, so an abandoned stepper leaks nothing and steppers of one head are independent.
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { FloatTensor, StepperHooks } from "@robovla/sdk"
import type { HeadTensors } from "./TfHead.ts"
import { lastPosition, tidyRead } from "./TfHead.ts"

/**
 * The last `capacity` per-step features of one session, each (B, latent·D). The SDK's stepper keeps the batch
 * size fixed between resets and hands over frames it has already copied.
 *
 * @since 0.1.0
 * @category models
 */
export class FeatureHistory {
  readonly #steps: Array<Float32Array> = []
  #batch = 0
  #seen = 0
  constructor(readonly capacity: number) {}

  /** Steps pushed since the last reset (not capped by capacity). */
  get seen(): number {
    return this.#seen
  }

  get length(): number {
    return this.#steps.length
  }

  get batch(): number {
    return this.#batch
  }

  clear(): void {
    this.#steps.length = 0
    this.#batch = 0
    this.#seen = 0
  }

  push(lrn: FloatTensor): void {
    this.#batch = lrn.shape[0]!
    this.#seen += 1
    this.#steps.push(lrn.data)
    if (this.#steps.length > this.capacity) this.#steps.shift()
  }

  /** The stored steps as a (B, T, latent, D) window tensor (oldest first). */
  window(latent: number, width: number): tf.Tensor4D {
    const time = this.#steps.length
    const perStep = latent * width
    const out = new Float32Array(this.#batch * time * perStep)
    for (let t = 0; t < time; t++) {
      const step = this.#steps[t]!
      for (let b = 0; b < this.#batch; b++) {
        out.set(step.subarray(b * perStep, (b + 1) * perStep), (b * time + t) * perStep)
      }
    }
    return tf.tensor4d(out, [this.#batch, time, latent, width])
  }
}

/**
 * For heads where positions are independent (MLP, discrete): each step is a one-position window.
 *
 * @since 0.1.0
 * @category constructors
 */
export const statelessStepper = (predictTensors: (lrn: tf.Tensor4D) => HeadTensors): StepperHooks => ({
  reset: () => {},
  step: (lrn) => {
    const [batch, latent, width] = lrn.shape as [number, number, number]
    return tidyRead(() => lastPosition(predictTensors(tf.tensor4d(lrn.data, [batch, 1, latent, width]))))
  }
})
