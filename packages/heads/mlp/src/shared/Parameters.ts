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

/**
 * An ordered set of named `tf.Variable`s. Names follow PyTorch state-dict style (`arm.0.weight`); tfjs'
 * own variable names are left automatic so several heads can live in one process.
 *
 * @since 0.1.0
 * @category models
 */
export class Parameters {
  readonly #variables = new Map<string, tf.Variable>()
  #disposed = false

  /** Creates a trainable variable from `values` (copied). Names must be unique within the head. */
  add(name: string, shape: ReadonlyArray<number>, values: Float32Array): tf.Variable {
    if (this.#variables.has(name)) throw new Error(`duplicate parameter name ${name}`)
    if (values.length !== Tensor.sizeOf(shape)) {
      throw new Error(`parameter ${name}: ${values.length} values for shape [${shape.join(", ")}]`)
    }
    const initial = tf.tensor(values, [...shape], "float32")
    const variable = tf.variable(initial, true)
    initial.dispose()
    this.#variables.set(name, variable)
    return variable
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
      out[name] = { data: new Float32Array(variable.dataSync() as Float32Array), shape: [...variable.shape] }
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
        if (tensor === undefined) {
          return Effect.fail(new SdkError({ reason: "WeightsNotFound", message: `no weight named ${name}`, subject: name }))
        }
        const sameShape = tensor.shape.length === variable.shape.length &&
          tensor.shape.every((d, i) => d === variable.shape[i])
        if (!sameShape || tensor.data.length !== variable.size) {
          return Effect.fail(
            new SdkError({
              reason: "ShapeMismatch",
              message: `weight ${name} has shape [${tensor.shape.join(", ")}] (${tensor.data.length} values), ` +
                `expected [${variable.shape.join(", ")}]`,
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
        tf.tidy(() => variable.assign(tf.tensor(tensor.data, [...variable.shape], "float32")))
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
 * throws, the variables made so far are disposed at once and the failure is a `"PluginFailure"`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const acquireParameters = <A>(
  subject: string,
  build: (parameters: Parameters) => A
): Effect.Effect<{ readonly parameters: Parameters; readonly built: A }, SdkError, Scope.Scope> =>
  Effect.acquireRelease(
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
  )
