/**
 * PlayTable: the plain-function layer over one MuJoCo model + data of the CALVIN play table, for hot loops.
 * (Work in progress: signatures are final; bodies land in the next commits.)
 *
 * @since 0.1.0
 */
import type { Action7, ObservationFrame } from "@robovla/sdk"
import type { SceneId } from "./scene/SceneLayout.ts"
import { SimError } from "./SimError.ts"
import type { SimInfo } from "./SimInfo.ts"

export type { SceneId } from "./scene/SceneLayout.ts"

/** CALVIN's neutral robot_obs (§6.3). @since 0.1.0 @category constants */
export const NEUTRAL_ROBOT_OBS: ReadonlyArray<number> = [
  0.02586889, -0.2313129, 0.5712808, 3.09045411, -0.02908596, 1.50013585, 0.07999963,
  -1.21779124, 1.03987629, 2.11978254, -2.34205014, -0.87015899, 1.64119093, 0.55344928, 1
]

/** @since 0.1.0 @category models */
export interface ResetState {
  readonly robotObs?: ArrayLike<number>
  readonly sceneObs?: ArrayLike<number>
}

/** @since 0.1.0 @category models */
export type ActionSpace = "relative" | "absolute"

/** @since 0.1.0 @category models */
export interface CameraRequest {
  readonly rgbStatic?: boolean
  readonly rgbGripper?: boolean
  readonly depth?: boolean
}

/** @since 0.1.0 @category models */
export type SimObservation = ObservationFrame & { readonly depthStatic?: Float32Array; readonly depthGripper?: Float32Array }

/** @since 0.1.0 @category models */
export class PlayTable {
  static load(scene: SceneId, options?: { readonly cameras?: boolean }): Promise<PlayTable> {
    return Promise.reject(new SimError({ reason: "ModelLoad", message: `not implemented yet (${scene}, ${JSON.stringify(options)})` }))
  }
  private constructor(readonly scene: SceneId) {}
  reset(_state?: ResetState): void {}
  step(_action: Action7, _space: ActionSpace = "relative"): void {}
  info(): SimInfo {
    throw new SimError({ reason: "ModelLoad", message: "not implemented yet" })
  }
  observe(_cameras?: CameraRequest): SimObservation {
    throw new SimError({ reason: "ModelLoad", message: "not implemented yet" })
  }
  dispose(): void {}
}
