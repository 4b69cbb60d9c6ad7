/**
 * What `Backbone.make` and `PolicyHead.make` do around every plugin hook, written once: check the arguments
 * (dtype, rank, dimensions, data length, finiteness), refuse calls after the plugin's Scope closed, turn a
 * thrown value into `SdkError`, trace the call, and copy the result out so that no caller ever holds a view into
 * engine memory.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { SdkError } from "../SdkError.ts"
import type { FloatTensor } from "../Tensor.ts"
import { isAllFinite, sizeOf } from "../Tensor.ts"

/**
 * What a hook may return: a plain value (synchronous engines) or an Effect (asynchronous ones).
 *
 * @since 0.1.0
 * @category models
 */
export type HookResult<A> = A | Effect.Effect<A, SdkError>

/**
 * An expected dimension: a number must match exactly, a string names a free dimension (`"B"`) for messages.
 *
 * @since 0.1.0
 * @category models
 */
export type ExpectedDimension = number | string

const renderShape = (shape: ReadonlyArray<ExpectedDimension>) => `[${shape.join(", ")}]`

/** Checks dtype, rank, dimensions, length and (for floats) finiteness of one argument. */
export const checkArgument = (
  plugin: string,
  argument: string,
  tensor: { readonly data: unknown; readonly shape: ReadonlyArray<number> },
  dtype: "float32" | "int32",
  expected: ReadonlyArray<ExpectedDimension>
): SdkError | undefined => {
  const fail = (reason: SdkError["reason"], message: string) =>
    new SdkError({ reason, message: `${plugin}: ${message}`, subject: argument })
  const arrayType = dtype === "float32" ? Float32Array : Int32Array
  if (!(tensor.data instanceof arrayType)) return fail("InvalidInput", `${argument} data must be a ${arrayType.name}`)
  const { shape } = tensor
  const matches = shape.length === expected.length &&
    shape.every((d, i) => Number.isInteger(d) && d > 0 && (typeof expected[i] === "string" || expected[i] === d))
  if (!matches) return fail("ShapeMismatch", `${argument} has shape ${renderShape(shape)}, expected ${renderShape(expected)}`)
  const data = tensor.data as Float32Array | Int32Array
  if (data.length !== sizeOf(shape)) {
    return fail("ShapeMismatch", `${argument} has ${data.length} values but shape ${renderShape(shape)}`)
  }
  if (dtype === "float32" && !isAllFinite(data)) return fail("NonFinite", `${argument} contains NaN or Infinity`)
  return undefined
}

/**
 * Checks a hook's output against the shape the contract promises and copies it into a fresh Float32Array.
 * A wrong shape or a NaN here is the plugin's bug, reported as such.
 */
export const copyOutput = <Dims extends string>(
  plugin: string,
  output: string,
  tensor: { readonly data: ArrayLike<number>; readonly shape: ReadonlyArray<number> },
  expected: ReadonlyArray<ExpectedDimension>
): Effect.Effect<FloatTensor<Dims>, SdkError> => {
  const { shape } = tensor
  const matches = shape.length === expected.length &&
    shape.every((d, i) => typeof expected[i] === "string" ? Number.isInteger(d) && d > 0 : expected[i] === d)
  if (!matches || tensor.data.length !== sizeOf(shape)) {
    return Effect.fail(
      new SdkError({
        reason: "ShapeMismatch",
        message: `${plugin}: ${output} has shape ${renderShape(shape)} (${tensor.data.length} values), expected ${
          renderShape(expected)
        }`,
        subject: output
      })
    )
  }
  if (!isAllFinite(tensor.data)) {
    return Effect.fail(
      new SdkError({ reason: "NonFinite", message: `${plugin}: ${output} contains NaN or Infinity`, subject: output })
    )
  }
  const data = tensor.data instanceof Float32Array ? tensor.data.slice() : Float32Array.from(tensor.data)
  return Effect.succeed({ data, shape: [...shape] })
}

/**
 * A flag that flips when the plugin's Scope closes. Register it after the plugin's resources, so that it flips
 * before they are freed and no call can start on a freed resource.
 */
export interface ReleaseGuard {
  readonly released: () => boolean
}

/** Adds the finalizer that flips the guard. */
export const makeReleaseGuard = Effect.gen(function*() {
  let released = false
  yield* Effect.addFinalizer(() => Effect.sync(() => void (released = true)))
  return { released: () => released } satisfies ReleaseGuard
})

/**
 * Runs one hook call: refuses it after release, checks the arguments first (`check` returns the first problem),
 * turns throws into `SdkError` (`PluginFailure` unless an `SdkError` was thrown), and traces it as
 * `<span>` with the plugin's name as an attribute.
 */
export const callHook = <A>(
  plugin: string,
  span: string,
  guard: ReleaseGuard,
  check: () => SdkError | undefined,
  hook: () => HookResult<A>
): Effect.Effect<A, SdkError> =>
  Effect.suspend((): Effect.Effect<A, SdkError> => {
    if (guard.released()) {
      return Effect.fail(
        new SdkError({ reason: "Released", message: `${plugin}: ${span} was called after its Scope closed`, subject: plugin })
      )
    }
    const invalid = check()
    if (invalid !== undefined) return Effect.fail(invalid)
    try {
      const result = hook()
      return Effect.isEffect(result) ? result as Effect.Effect<A, SdkError> : Effect.succeed(result)
    } catch (cause) {
      return Effect.fail(
        cause instanceof SdkError
          ? cause
          : new SdkError({ reason: "PluginFailure", message: `${plugin}: ${span} failed: ${String(cause)}`, subject: plugin, cause })
      )
    }
  }).pipe(Effect.withSpan(span, { attributes: { "robovla.plugin": plugin } }))

/** Checks every tensor of a weight map (dtype, length against shape, finiteness), naming the first bad one. */
export const checkWeights = (plugin: string, weights: Readonly<Record<string, FloatTensor>>): SdkError | undefined => {
  for (const [name, tensor] of Object.entries(weights)) {
    const invalid = checkArgument(plugin, name, tensor, "float32", tensor.shape.map((_, i) => `d${i}`))
    if (invalid !== undefined) return invalid
  }
  return undefined
}

/**
 * Adds a plugin's optional `weights` and `loadWeights` hooks to its contract object, `loadWeights` checked and
 * guarded like every other call (`call` is the plugin's `callHook`).
 */
export const withWeightHooks = <T extends object>(
  plugin: string,
  contract: T,
  hooks: {
    readonly weights?: (() => Readonly<Record<string, FloatTensor>>) | undefined
    readonly loadWeights?: ((weights: Readonly<Record<string, FloatTensor>>) => HookResult<void>) | undefined
  },
  call: (method: string, check: () => SdkError | undefined, hook: () => HookResult<void>) => Effect.Effect<void, SdkError>
) => {
  const { loadWeights, weights } = hooks
  return {
    ...contract,
    ...(weights === undefined ? {} : { weights }),
    ...(loadWeights === undefined ? {} : {
      loadWeights: (map: Readonly<Record<string, FloatTensor>>) => call("loadWeights", () => checkWeights(plugin, map), () => loadWeights(map))
    })
  }
}
