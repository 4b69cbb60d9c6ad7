/**
 * @robovla/bench: CALVIN's long-horizon protocol for any policy, in parallel worker threads, resumable, with
 * CALVIN-shaped results, an HTML report with rollout videos, and a Markdown summary.
 *
 * @since 0.1.0
 */
export * from "./BenchError.ts"
export * from "./Chain.ts"
export { describePolicy, parsePolicyArg, PolicySpecSchema, type PolicySpec } from "./PolicySpec.ts"
export { makePolicy } from "./MakePolicy.ts"
export { makeRandomPolicyModel } from "./adapters/RandomPolicy.ts"
export { formatRates, summarize, type BenchSummary } from "./Results.ts"
export { readResults, ResultStore } from "./ResultStore.ts"
export { runChain, type RolloutOptions, type RolloutWorld } from "./Rollout.ts"
export { checkActingOptions, makeTemporalEnsemble, type TemporalEnsemble } from "./TemporalEnsemble.ts"
export { runBenchmark, type Progress, type RunOptions, type RunOutcome } from "./Runner.ts"
export { singleTaskCoverage, SUITES, suiteChains, type SuiteName } from "./Suites.ts"
export { runQueuedBenchmark, type QueueRunOptions } from "./queue/QueueCoordinator.ts"
export { suiteVersion } from "./queue/QueueJob.ts"
export { jsonLineLog, startQueueWorker, type QueueWorkerHandle, type QueueWorkerOptions } from "./queue/QueueWorker.ts"
export { redact, redisOptions, type RedisConnectOptions } from "./queue/RedisUrl.ts"
