/**
 * Loader worker thread: opens the split once, then answers batch requests with `buildBatch`, transferring the
 * batch's typed arrays back without copying.
 *
 * @since 0.1.0
 */
import { parentPort, workerData } from "node:worker_threads"
import { CalvinSplit } from "../data/CalvinDataset.ts"
import { TrainError } from "../TrainError.ts"
import { batchBuffers, buildBatch } from "../windows/WindowBatch.ts"
import { WindowIndex } from "../windows/WindowIndex.ts"
import type { LoaderRequest, LoaderResponse, LoaderWorkerData } from "./CalvinLoader.ts"

const data = workerData as LoaderWorkerData
const split = CalvinSplit.open(data.dir)
const index = new WindowIndex(split.annotations, data.window)

parentPort!.on("message", (request: LoaderRequest) => {
  let response: LoaderResponse
  try {
    const batch = buildBatch(split, index, request.items, data.batch, request.seeds)
    response = { id: request.id, batch }
    parentPort!.postMessage(response, batchBuffers(batch))
    return
  } catch (error) {
    const e = error instanceof TrainError ? error : new TrainError({ reason: "CorruptFile", message: error instanceof Error ? error.message : String(error) })
    response = { id: request.id, error: { reason: e.reason, message: e.message, ...(e.file !== undefined ? { file: e.file } : {}) } }
  }
  parentPort!.postMessage(response)
})
