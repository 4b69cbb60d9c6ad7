/**
 * Worker threads running TypeScript modules straight from the workspace (no build step), under tsx, vitest
 * or plain Node alike. The benchmark runner and the gateway put one simulator or deployment in each.
 *
 * @since 0.1.0
 */
import { Worker, type WorkerOptions } from "node:worker_threads"

const BOOT = new URL("./worker-boot.mjs", import.meta.url)

/**
 * Starts `entry` (a `.ts` module URL) in a worker thread. `workerData` reaches it as usual.
 *
 * @since 0.1.0
 * @category constructors
 */
export const spawnTsWorker = (entry: URL, workerData: Record<string, unknown> = {}, options: Omit<WorkerOptions, "workerData"> = {}): Worker =>
  new Worker(BOOT, { ...options, workerData: { ...workerData, __entry: entry.href } })
