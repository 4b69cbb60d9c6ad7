/**
 * Loader worker thread (a `WorkerPool` entry): opens the split once, then answers planned batches with
 * `buildBatch`, transferring the batch's typed arrays back without copying.
 *
 * @since 0.1.0
 */
import { serveWorkerTasks } from "@robovla/sdk"
import { CalvinSplit } from "../data/CalvinDataset.ts"
import { TrainError } from "../TrainError.ts"
import { batchBuffers, buildBatch } from "../windows/WindowBatch.ts"
import { WindowIndex } from "../windows/WindowIndex.ts"
import type { BatchPlan, LoaderAnswer, LoaderWorkerData } from "./CalvinLoader.ts"

await serveWorkerTasks<LoaderWorkerData, BatchPlan, LoaderAnswer>((data) => {
  const split = CalvinSplit.open(data.dir)
  const index = new WindowIndex(split.annotations, data.window)
  return {
    run: (plan) => {
      try {
        return { batch: buildBatch(split, index, plan.items, data.batch, plan.seeds) }
      } catch (error) {
        const e = error instanceof TrainError ? error : new TrainError({ reason: "CorruptFile", message: error instanceof Error ? error.message : String(error) })
        return { error: { reason: e.reason, message: e.message, ...(e.file !== undefined ? { file: e.file } : {}) } }
      }
    },
    transfer: (answer) => ("batch" in answer ? batchBuffers(answer.batch) : [])
  }
})
