/**
 * Messages between a deployment's host (main thread) and its worker thread. Structured-clone only: plain
 * objects, arrays and typed arrays.
 *
 * @since 0.1.0
 */
import type { ObservationFrame as Observation, PolicyMetadata } from "@robovla/sdk"
import type { DeploymentSpec } from "../Config.ts"

/** What the worker is started with. */
export interface WorkerInit {
  readonly spec: DeploymentSpec
}

/** One call of a batch; `sid` null means stateless (a fresh policy instance for this call). */
export interface WorkerActItem {
  readonly sid: string | null
  readonly observation: Observation
  readonly instruction: string
}

export type ToWorker =
  | { readonly type: "session"; readonly id: number; readonly sid: string }
  | { readonly type: "reset"; readonly id: number; readonly sid: string }
  | { readonly type: "drop"; readonly sid: string }
  | { readonly type: "act"; readonly id: number; readonly items: ReadonlyArray<WorkerActItem> }

export type WorkerFailure = "PolicyFailed" | "PolicyRejectedInput" | "SessionNotFound"

/** Why one call of a batch failed, when the others succeeded. */
export interface ItemFailure {
  readonly reason: WorkerFailure
  readonly message: string
}

export type FromWorker =
  | { readonly type: "ready"; readonly metadata: PolicyMetadata; readonly loadMs: number }
  | { readonly type: "loadFailed"; readonly message: string }
  | {
    readonly type: "ok"
    readonly id: number
    /** One chunk per call; null where `failures` holds that call's error. */
    readonly chunks?: ReadonlyArray<ReadonlyArray<ReadonlyArray<number>> | null>
    readonly failures?: ReadonlyArray<ItemFailure | null>
    readonly inferMs?: number
  }
  | { readonly type: "failed"; readonly id: number; readonly reason: WorkerFailure; readonly message: string }
