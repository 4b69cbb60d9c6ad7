/**
 * A queue worker's simulators: the SDK's worker pool running the local runner's own thread entry
 * (`ChainWorker.ts`: one simulator and one policy each), up to N threads. A thread is kept for the next chain with
 * the same setup (scene, policy, options) and replaced when a chain of another run needs another setup. Running
 * the chains off the main thread also keeps it free to renew BullMQ's job locks, so a busy worker is never taken
 * for a dead one.
 *
 * @since 0.1.0
 */
import { makeWorkerPool, SdkError } from "@robovla/sdk"
import { BenchError } from "../BenchError.ts"
import type { ChainSpec } from "../Chain.ts"
import type { ChainOutcome, ChainTask, WorkerSetup } from "../ChainTask.ts"

const WORKER_ENTRY = new URL("../ChainWorker.ts", import.meta.url)

/** @since 0.1.0 @category models */
export interface ChainPool {
  readonly run: (setup: WorkerSetup, chain: ChainSpec, record: boolean) => Promise<ChainOutcome>
  readonly close: () => Promise<void>
}

/** The pool's failures as the benchmark's own error. */
const benchError = (error: unknown): BenchError =>
  error instanceof SdkError && error.reason === "WorkerStartFailed"
    ? new BenchError({ reason: "PolicyUnavailable", message: `cannot start a simulator with this policy: ${error.message}`, cause: error })
    : new BenchError({ reason: "WorkerCrashed", message: `simulator thread died: ${error instanceof Error ? error.message : String(error)}`, cause: error })

/** @since 0.1.0 @category constructors */
export const makeChainPool = (size: number): ChainPool => {
  const pool = makeWorkerPool<WorkerSetup, ChainTask, ChainOutcome>(WORKER_ENTRY, size)
  return {
    run: (setup, chain, record) => pool.run(setup, { chain, record }).catch((error: unknown) => Promise.reject(benchError(error))),
    close: pool.close
  }
}
