/**
 * What crosses the thread boundary between the benchmark's drivers (the local runner, a queue worker's simulator
 * pool) and the chain worker threads (`ChainWorker.ts`, served by the SDK's `WorkerPool`): the setup a thread
 * starts with, the chain it is asked to run, and what it sends back. Kept apart from both sides so neither
 * imports the other.
 *
 * @since 0.1.0
 */
import type { ChainResult, ChainSpec } from "./Chain.ts"
import type { PolicySpec } from "./PolicySpec.ts"

/** What every worker is started with (structured-clone friendly). @since 0.1.0 @category models */
export interface WorkerSetup {
  readonly scene: string
  readonly policy: PolicySpec
  readonly maxSteps: number
  readonly actTimeoutMs: number
  readonly actionsPerQuery: number
  /** Average what the last K chunks predicted for each step (1 = off, RoboVLMs' evaluation; see TemporalEnsemble). */
  readonly temporalEnsemble?: number | undefined
  readonly videoStride: number
  readonly videoSize: number
  /** Task → instruction overrides (a user's instruction file, eval split). */
  readonly instructions?: Readonly<Record<string, string>> | undefined
}

/** One recorded video frame: the static camera, downsampled, with its caption. @since 0.1.0 @category models */
export interface VideoFrame {
  readonly rgb: Uint8Array
  readonly size: number
  readonly caption: string
}

/** A chain for a worker, and whether to record its video. @since 0.1.0 @category models */
export interface ChainTask {
  readonly chain: ChainSpec
  readonly record: boolean
}

/** A worker's answer: the chain's result and its recorded frames (empty when not recorded). @since 0.1.0 @category models */
export interface ChainOutcome {
  readonly result: ChainResult
  readonly frames: Array<VideoFrame>
}
