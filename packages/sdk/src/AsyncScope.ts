/**
 * The one seam where Promise-shaped code holds Effect resources (docs/ARCHITECTURE.md, "Where Effect ends"): the
 * bench's policy adapters, the gateway's deployment worker, the trainer, the CLI commands and the conformance kit
 * open a Scope here, acquire a policy (or plugins) in it, call it, and close the Scope when they are done.
 *
 * ```ts
 * const { value: model, close } = await AsyncScope.acquire(loadPolicyModel(spec))
 * try {
 *   const policy = await Effect.runPromise(model.policy())
 *   …
 * } finally {
 *   await close()
 * }
 * ```
 *
 * @since 0.1.0
 */
import { Effect, Exit, Scope } from "effect"
import { SdkError } from "./SdkError.ts"

/**
 * A Scope held by async code.
 *
 * @since 0.1.0
 * @category models
 */
export interface AsyncScope {
  /**
   * Runs `effect` in this Scope: what it acquires lives until `close`. Resolves with its value, or rejects with
   * its typed error (a defect rejects with the defect itself, as `Effect.runPromise` does). After `close` it
   * rejects with `SdkError` `"Released"`.
   */
  readonly run: <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) => Promise<A>
  /** Releases what was acquired, last acquired first. Calling it again waits for the first close. */
  readonly close: () => Promise<void>
}

/**
 * A resource taken out of Effect: its value and the `close` that releases it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Acquired<A> {
  readonly value: A
  readonly close: () => Promise<void>
}

/**
 * Opens a Scope for async code.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (): AsyncScope => {
  const scope = Scope.makeUnsafe()
  let closing: Promise<void> | undefined
  return {
    run: (effect) =>
      closing === undefined
        ? Effect.runPromise(Scope.provide(scope)(effect))
        : Promise.reject(new SdkError({ reason: "Released", message: "this scope is closed" })),
    close: () => (closing ??= Effect.runPromise(Scope.close(scope, Exit.void)))
  }
}

/**
 * Acquires `effect` in a Scope of its own. On failure the Scope is closed before the promise rejects (with the
 * typed error), so nothing half-made stays open.
 *
 * @since 0.1.0
 * @category constructors
 */
export const acquire = async <A, E>(effect: Effect.Effect<A, E, Scope.Scope>): Promise<Acquired<A>> => {
  const scope = make()
  try {
    return { value: await scope.run(effect), close: scope.close }
  } catch (error) {
    await scope.close()
    throw error
  }
}

/**
 * What `run` or `acquire` rejected with, for a person: `SdkError(WeightsNotFound): …` for a tagged error with a
 * reason, `Tag: …` for one without, else the message (or the defect as text).
 *
 * @since 0.1.0
 * @category utils
 */
export const describe = (error: unknown): string => {
  const { _tag: tag, message, reason } = (typeof error === "object" && error !== null ? error : {}) as { _tag?: unknown; message?: unknown; reason?: unknown }
  const text = typeof message === "string" ? message : String(error)
  if (typeof tag !== "string") return text
  return typeof reason === "string" ? `${tag}(${reason}): ${text}` : `${tag}: ${text}`
}
