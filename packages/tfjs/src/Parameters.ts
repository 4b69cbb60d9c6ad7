/**
 * Named trainable tfjs variables of one head: created from seeded initial values, exported and loaded as
 * `name → FloatTensor` maps (the safetensors layout of a checkpoint), and disposed exactly once when the head's
 * Scope closes.
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { ParameterGroup } from "@robovla/sdk"
import { SdkError, Tensor } from "@robovla/sdk"
import type { FloatTensor } from "@robovla/sdk"
import { Effect } from "effect"
import type { Scope } from "effect"
import { ensureTfjsEffect } from "./TfjsEngine.ts"

/**
 * An ordered set of named `tf.Variable`s. Names follow PyTorch state-dict style (`arm.0.weight`); tfjs'
 * own variable names are left automatic so several heads can live in one process.
 *
 * @since 0.1.0
 * @category models
 */
export class Parameters {
  readonly #variables = new Map<string, tf.Variable>()
  /** Names whose variable holds the transpose of the exported 2-D weight. */
  readonly #transposed = new Set<string>()
  #disposed = false

  /**
   * Creates a trainable variable from `values` (copied), given in the exported (state-dict) layout `shape`.
   * With `transposed`, a 2-D weight is stored as its transpose: tfjs' wasm matMul with `transposeB` is ~10×
   * slower than a plain one, so PyTorch `(out, in)` weights live as `(in, out)` and are transposed only when
   * exported or loaded. Names must be unique within the head.
   */
  add(name: string, shape: ReadonlyArray<number>, values: Float32Array, options?: { readonly transposed?: boolean }): tf.Variable {
    if (this.#variables.has(name)) throw new Error(`duplicate parameter name ${name}`)
    if (values.length !== Tensor.sizeOf(shape)) {
      throw new Error(`parameter ${name}: ${values.length} values for shape [${shape.join(", ")}]`)
    }
    const transposed = options?.transposed === true
    if (transposed && shape.length !== 2) throw new Error(`parameter ${name}: only 2-D weights can be stored transposed`)
    const initial = transposed
      ? tf.tensor(transpose2d(values, shape[0]!, shape[1]!), [shape[1]!, shape[0]!], "float32")
      : tf.tensor(values, [...shape], "float32")
    const variable = tf.variable(initial, true)
    initial.dispose()
    this.#variables.set(name, variable)
    if (transposed) this.#transposed.add(name)
    return variable
  }

  /** The exported (state-dict) shape of a parameter. */
  exportedShape(name: string): ReadonlyArray<number> {
    const shape = this.get(name).shape
    return this.#transposed.has(name) ? [shape[1]!, shape[0]!] : [...shape]
  }

  get(name: string): tf.Variable {
    const variable = this.#variables.get(name)
    if (variable === undefined) throw new Error(`unknown parameter ${name}`)
    return variable
  }

  get disposed(): boolean {
    return this.#disposed
  }

  names(): ReadonlyArray<string> {
    return [...this.#variables.keys()]
  }

  variables(): ReadonlyArray<tf.Variable> {
    return [...this.#variables.values()]
  }

  /** Total number of scalars. */
  size(): number {
    let total = 0
    for (const variable of this.#variables.values()) total += variable.size
    return total
  }

  /**
   * One trainable group per top-level module (`arm.0.weight` → `head.arm`), all of part `"head"`
   * (RoboVLMs always trains the head, reference/robovlms.md §7.1).
   */
  groups(): ReadonlyArray<ParameterGroup> {
    const sizes = new Map<string, number>()
    for (const [name, variable] of this.#variables) {
      const module = name.split(".")[0]!
      sizes.set(module, (sizes.get(module) ?? 0) + variable.size)
    }
    return [...sizes].map(([module, size]) => ({ name: `head.${module}`, part: "head" as const, size, trainable: true }))
  }

  /** A copy of every weight, by name. */
  weights(): Record<string, FloatTensor> {
    const out: Record<string, FloatTensor> = {}
    for (const [name, variable] of this.#variables) {
      const data = new Float32Array(variable.dataSync() as Float32Array)
      out[name] = this.#transposed.has(name)
        ? { data: transpose2d(data, variable.shape[0]!, variable.shape[1]!), shape: [variable.shape[1]!, variable.shape[0]!] }
        : { data, shape: [...variable.shape] }
    }
    return out
  }

  /**
   * Replaces every weight. The map must hold exactly this head's names with matching shapes; nothing is
   * assigned unless all of them check out.
   */
  loadWeights(weights: Readonly<Record<string, FloatTensor>>): Effect.Effect<void, SdkError> {
    return Effect.suspend(() => {
      if (this.#disposed) return Effect.fail(released("loadWeights"))
      for (const [name, variable] of this.#variables) {
        const tensor = weights[name]
        const expected = this.exportedShape(name)
        if (tensor === undefined) {
          return Effect.fail(new SdkError({ reason: "WeightsNotFound", message: `no weight named ${name}`, subject: name }))
        }
        const sameShape = tensor.shape.length === expected.length && tensor.shape.every((d, i) => d === expected[i])
        if (!sameShape || tensor.data.length !== variable.size) {
          return Effect.fail(
            new SdkError({
              reason: "ShapeMismatch",
              message: `weight ${name} has shape [${tensor.shape.join(", ")}] (${tensor.data.length} values), ` +
                `expected [${expected.join(", ")}]`,
              subject: name
            })
          )
        }
        if (!Tensor.isAllFinite(tensor.data)) {
          return Effect.fail(new SdkError({ reason: "NonFinite", message: `weight ${name} has NaN or Infinity`, subject: name }))
        }
      }
      const unknown = Object.keys(weights).filter((name) => !this.#variables.has(name))
      if (unknown.length > 0) {
        return Effect.fail(
          new SdkError({
            reason: "InvalidInput",
            message: `weights not used by this head: ${unknown.slice(0, 5).join(", ")}${unknown.length > 5 ? ", …" : ""}`,
            subject: unknown[0]!
          })
        )
      }
      for (const [name, variable] of this.#variables) {
        const tensor = weights[name]!
        const data = this.#transposed.has(name) ? transpose2d(tensor.data, tensor.shape[0]!, tensor.shape[1]!) : tensor.data
        tf.tidy(() => variable.assign(tf.tensor(data, [...variable.shape], "float32")))
      }
      return Effect.void
    })
  }

  dispose(): void {
    if (this.#disposed) return
    this.#disposed = true
    for (const variable of this.#variables.values()) variable.dispose()
  }
}

/**
 * Row-major (rows, cols) → (cols, rows).
 *
 * @since 0.1.0
 * @category utils
 */
export const transpose2d = (values: ArrayLike<number>, rows: number, cols: number): Float32Array => {
  const out = new Float32Array(rows * cols)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!
  return out
}

/**
 * The error for using a head after its Scope closed.
 *
 * @since 0.1.0
 * @category errors
 */
export const released = (operation: string): SdkError =>
  new SdkError({ reason: "Released", message: `the head was used (${operation}) after its scope closed` })

/**
 * Wraps anything thrown while building or running a head as `SdkError` `"PluginFailure"` (an `SdkError`
 * passes through unchanged).
 *
 * @since 0.1.0
 * @category errors
 */
export const pluginFailure = (subject: string) => (cause: unknown): SdkError =>
  cause instanceof SdkError
    ? cause
    : new SdkError({
      reason: "PluginFailure",
      message: `head ${subject} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      subject,
      cause
    })

/**
 * Creates a head's variables with `build` inside the Scope and disposes them when it closes. If `build`
 * throws, the variables made so far are disposed at once and the failure is a `"PluginFailure"`. Initialises
 * the kit first (`ensureTfjs`: backend, gradients, fast kernels) unless that was done already.
 *
 * @since 0.1.0
 * @category constructors
 */
export const acquireParameters = <A>(
  subject: string,
  build: (parameters: Parameters) => A
): Effect.Effect<{ readonly parameters: Parameters; readonly built: A }, SdkError, Scope.Scope> =>
  Effect.andThen(ensureTfjsEffect, Effect.acquireRelease(
    Effect.try({
      try: () => {
        const parameters = new Parameters()
        try {
          return { parameters, built: build(parameters) }
        } catch (cause) {
          parameters.dispose()
          throw cause
        }
      },
      catch: pluginFailure(subject)
    }),
    ({ parameters }) => Effect.sync(() => parameters.dispose())
  ))
