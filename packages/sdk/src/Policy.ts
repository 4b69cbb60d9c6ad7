/**
 * The policy contract: what the benchmark, the gateway and a robot call. A `PolicyModel` is the loaded,
 * heavy thing (weights, sessions of an engine); a `Policy` is one stateful episode-runner made from it, with
 * its own history, so many clients can share one model.
 *
 * Actions come out denormalised (±0.65 inverse applied) with the gripper as ±1 (−1 close, +1 open, CALVIN's
 * env convention), relative 7-D, one chunk of N per call.
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { ActionChunk } from "./Action.ts"
import type { Observation } from "./Observation.ts"
import type { SdkError } from "./SdkError.ts"

/**
 * What a policy needs from an observation, so callers skip what it does not use (e.g. rendering cameras).
 *
 * @since 0.1.0
 * @category models
 */
export interface PolicyInputs {
  readonly rgbStatic: boolean
  readonly rgbGripper: boolean
  readonly robotObs: boolean
  readonly sceneObs: boolean
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PolicyMetadata {
  readonly name: string
  /** History the policy keeps (W); 1 for stateless policies. */
  readonly windowSize: number
  /** Actions returned per `act` call (N). */
  readonly chunkSize: number
  readonly actionSpace: "relative" | "absolute"
  readonly inputs: PolicyInputs
  /** Free-form details (backbone, head, checkpoint) shown by `GET /v1/policies/{id}`. */
  readonly details?: Readonly<Record<string, string | number | boolean>>
}

/**
 * One stateful policy instance. `reset()` is called at the start of every subtask.
 *
 * @since 0.1.0
 * @category models
 */
export interface Policy {
  readonly metadata: PolicyMetadata
  readonly reset: () => Effect.Effect<void, SdkError>
  readonly act: (observation: Observation, instruction: string) => Effect.Effect<ActionChunk, SdkError>
}

/**
 * One call in a batch: a policy made by the same model, and its inputs.
 *
 * @since 0.1.0
 * @category models
 */
export interface PolicyBatchItem {
  readonly policy: Policy
  readonly observation: Observation
  readonly instruction: string
}

/**
 * A loaded policy model. `actBatch` answers several policies' calls in one forward pass where the model can
 * (the gateway batches concurrent clients through it); it must equal calling `act` on each.
 *
 * @since 0.1.0
 * @category models
 */
export interface PolicyModel {
  readonly metadata: PolicyMetadata
  readonly policy: () => Effect.Effect<Policy, SdkError>
  readonly actBatch: (items: ReadonlyArray<PolicyBatchItem>) => Effect.Effect<ReadonlyArray<ActionChunk>, SdkError>
}
