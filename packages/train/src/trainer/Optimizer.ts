/**
 * The optimiser of RoboVLMs' `configure_optimizers` (reference/robovlms.md §7.2): AdamW over one parameter group
 * (PyTorch defaults: betas 0.9 / 0.999, ε 1e-8, decoupled weight decay applied as p ← p·(1 − lr·wd) before the Adam
 * step), a linear warm-up from 0, then a constant, cosine (HF `get_cosine_schedule_with_warmup`) or half-cosine
 * (floored at `min_lr_scale`) schedule, and global-norm gradient clipping (PyTorch `clip_grad_norm_`).
 *
 * The moments live in tf.Variables so a checkpoint can save and restore them exactly (`state()` / `loadState()`).
 * The update and the gradient norm are the kit's (`adamWUpdate`, `globalGradNorm`): one fused pass over every
 * variable on the fast kernels (WebAssembly SIMD on wasm), the same formula in tfjs ops on the stock path.
 *
 * @since 0.1.0
 */
import { adamWUpdate, globalGradNorm, type AdamWSlot } from "@robovla/tfjs"
import * as tf from "@tensorflow/tfjs-core"

/** @since 0.1.0 @category models */
export type Schedule = "constant" | "cosine" | "half-cosine"

/** @since 0.1.0 @category models */
export interface ScheduleOptions {
  readonly learningRate: number
  readonly schedule: Schedule
  /** Warm-up optimiser steps (`warmup_epochs · iters_per_epoch + warmup_steps`). */
  readonly warmupSteps: number
  /** Total optimiser steps of the run (for the cosine schedules). */
  readonly totalSteps: number
  /** Floor of the half-cosine schedule (`min_lr_scale`). */
  readonly minLrScale: number
}

/**
 * The learning rate of optimiser step `step` (0-based), as the reference's LambdaLR computes it.
 *
 * @since 0.1.0
 * @category schedules
 */
export const learningRateAt = (step: number, o: ScheduleOptions): number => {
  if (step < o.warmupSteps) return o.learningRate * (step / Math.max(1, o.warmupSteps))
  if (o.schedule === "constant") return o.learningRate
  const span = Math.max(1, o.totalSteps - o.warmupSteps)
  const progress = Math.min(1, (step - o.warmupSteps) / span)
  const cosine = 0.5 * (1 + Math.cos(Math.PI * progress))
  if (o.schedule === "cosine") return o.learningRate * Math.max(0, cosine)
  return o.learningRate * (o.minLrScale + (1 - o.minLrScale) * cosine)
}

/** @since 0.1.0 @category models */
export interface AdamWOptions {
  readonly weightDecay: number
  readonly beta1?: number
  readonly beta2?: number
  readonly epsilon?: number
  /** Clip the global L2 norm of the gradients to this; 0 = no clipping. */
  readonly clipNorm: number
}

/** What one update did. @since 0.1.0 @category models */
export interface StepReport {
  /** Global gradient norm before clipping. */
  readonly gradNorm: number
  readonly clipped: boolean
}

/**
 * AdamW over named variables.
 *
 * @since 0.1.0
 * @category optimisers
 */
export class AdamW {
  readonly #m = new Map<string, tf.Variable>()
  readonly #v = new Map<string, tf.Variable>()
  /** Updates applied so far (PyTorch's per-parameter `step`, shared: one group). */
  steps = 0

  constructor(
    readonly variables: ReadonlyMap<string, tf.Variable>,
    readonly options: AdamWOptions
  ) {
    for (const [name, variable] of variables) {
      // tidy frees the zeros the variables were made from (a variable keeps its own copy).
      this.#m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(variable), false)))
      this.#v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(variable), false)))
    }
  }

  /**
   * Clips and applies `grads` (name → gradient; a missing one counts as zero) at learning rate `lr`. Disposes
   * nothing of the caller's.
   */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): StepReport {
    const { weightDecay, clipNorm } = this.options
    const beta1 = this.options.beta1 ?? 0.9
    const beta2 = this.options.beta2 ?? 0.999
    const epsilon = this.options.epsilon ?? 1e-8
    const gradNorm = globalGradNorm([...grads.values()])
    // PyTorch clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is < 1.
    const scale = clipNorm > 0 ? Math.min(1, clipNorm / (gradNorm + 1e-6)) : 1
    this.steps += 1
    const slots: Array<AdamWSlot> = []
    for (const [name, variable] of this.variables) {
      const grad = grads.get(name)
      if (grad !== undefined) slots.push({ variable, grad, m: this.#m.get(name)!, v: this.#v.get(name)! })
    }
    adamWUpdate(slots, { learningRate: lr, beta1, beta2, epsilon, weightDecay, step: this.steps, gradScale: scale })
    return { gradNorm, clipped: scale < 1 }
  }

  /** Moments by name (`m.<name>`, `v.<name>`), for the checkpoint's trainer state. */
  state(): Map<string, { data: Float32Array; shape: ReadonlyArray<number> }> {
    const out = new Map<string, { data: Float32Array; shape: ReadonlyArray<number> }>()
    for (const [name, m] of this.#m) out.set(`m.${name}`, { data: new Float32Array(m.dataSync() as Float32Array), shape: [...m.shape] })
    for (const [name, v] of this.#v) out.set(`v.${name}`, { data: new Float32Array(v.dataSync() as Float32Array), shape: [...v.shape] })
    return out
  }

  /** Restores moments and the step count; throws naming the first missing or mis-shaped moment. */
  loadState(state: ReadonlyMap<string, { readonly data: Float32Array; readonly shape: ReadonlyArray<number> }>, steps: number): void {
    for (const [prefix, moments] of [["m", this.#m], ["v", this.#v]] as const) {
      for (const [name, variable] of moments) {
        const saved = state.get(`${prefix}.${name}`)
        if (saved === undefined || saved.data.length !== variable.size) throw new Error(`optimiser state lacks ${prefix}.${name} (or its size differs)`)
      }
    }
    for (const [prefix, moments] of [["m", this.#m], ["v", this.#v]] as const) {
      for (const [name, variable] of moments) {
        const saved = state.get(`${prefix}.${name}`)!
        tf.tidy(() => variable.assign(tf.tensor(saved.data, variable.shape, "float32")))
      }
    }
    this.steps = steps
  }

  dispose(): void {
    for (const v of [...this.#m.values(), ...this.#v.values()]) v.dispose()
  }
}
