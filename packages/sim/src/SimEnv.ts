/**
 * SimEnv: the play table as an Effect service. A scoped layer per scene acquires one `PlayTable` with
 * `Effect.acquireRelease`, so its MuJoCo model and data are freed exactly once when the scope closes; the
 * methods wrap `PlayTable` and surface its failures as `SimError` in the error channel.
 *
 * Hot loops that step thousands of times can take the underlying `PlayTable` with `table` and call it directly.
 *
 * @since 0.1.0
 */
import type { Action7 } from "@robovla/sdk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import {
  type ActionSpace,
  type CameraRequest,
  type LoadOptions,
  PlayTable,
  type PlayTableState,
  type ResetState,
  type SimObservation
} from "./PlayTable.ts"
import type { SceneId } from "./scene/SceneLayout.ts"
import { SimError } from "./SimError.ts"
import type { SimInfo } from "./SimInfo.ts"

/** @since 0.1.0 @category models */
export interface SimEnvShape {
  readonly scene: SceneId
  /** The underlying plain-function table (valid until the layer's scope closes). */
  readonly table: PlayTable
  readonly reset: (state?: ResetState) => Effect.Effect<SimInfo, SimError>
  readonly step: (action: Action7, space?: ActionSpace) => Effect.Effect<SimInfo, SimError>
  readonly observe: (cameras?: CameraRequest) => Effect.Effect<SimObservation, SimError>
  readonly info: () => Effect.Effect<SimInfo, SimError>
  /** Snapshot / restore the full state (bit-identical replay). */
  readonly snapshot: () => Effect.Effect<PlayTableState, SimError>
  readonly restore: (state: PlayTableState) => Effect.Effect<SimInfo, SimError>
}

/** Run a PlayTable call, turning a thrown SimError (or anything else) into a typed failure. */
const attempt = <A>(f: () => A): Effect.Effect<A, SimError> =>
  Effect.try({
    try: f,
    catch: (cause) => (cause instanceof SimError ? cause : new SimError({ reason: "Diverged", message: `simulator call failed: ${String(cause)}`, cause }))
  })

/**
 * Acquire a PlayTable for `scene` in the current scope (disposed when the scope closes) and wrap it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fn("SimEnv.make")(function*(scene: SceneId, options: LoadOptions = {}) {
  const table = yield* Effect.acquireRelease(
    Effect.tryPromise({
      try: () => PlayTable.load(scene, options),
      catch: (cause) => (cause instanceof SimError ? cause : new SimError({ reason: "ModelLoad", message: String(cause), cause }))
    }),
    (t) => Effect.sync(() => t.dispose())
  )
  return SimEnv.of({
    scene,
    table,
    reset: Effect.fn("SimEnv.reset")(function*(state?: ResetState) {
      return yield* attempt(() => {
        table.reset(state)
        return table.info()
      })
    }),
    step: Effect.fn("SimEnv.step")(function*(action: Action7, space: ActionSpace = "relative") {
      return yield* attempt(() => {
        table.step(action, space)
        return table.info()
      })
    }),
    observe: Effect.fn("SimEnv.observe")(function*(cameras?: CameraRequest) {
      return yield* attempt(() => table.observe(cameras))
    }),
    info: Effect.fn("SimEnv.info")(function*() {
      return yield* attempt(() => table.info())
    }),
    snapshot: Effect.fn("SimEnv.snapshot")(function*() {
      return yield* attempt(() => table.saveState())
    }),
    restore: Effect.fn("SimEnv.restore")(function*(state: PlayTableState) {
      return yield* attempt(() => {
        table.restoreState(state)
        return table.info()
      })
    })
  })
})

/**
 * The simulator service for one scene.
 *
 * @since 0.1.0
 * @category services
 */
export class SimEnv extends Context.Service<SimEnv, SimEnvShape>()("@robovla/sim/SimEnv") {
  /** A scoped layer for one scene; the table is released when the layer's scope closes. */
  static layer(scene: SceneId, options: LoadOptions = {}): Layer.Layer<SimEnv, SimError> {
    return Layer.effect(SimEnv, make(scene, options))
  }
  /** Scene D, the evaluation scene. */
  static readonly layerD: Layer.Layer<SimEnv, SimError> = Layer.effect(SimEnv, make("D"))
}
