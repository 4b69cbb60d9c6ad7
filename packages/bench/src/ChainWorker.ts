/**
 * Worker-thread entry: one simulator and one policy instance per worker. It receives chains, runs them with
 * `runChain`, and posts each result back (with the recorded frames for chains that get a video).
 *
 * @since 0.1.0
 */
import { parentPort, workerData } from "node:worker_threads"
import type { ToWorker, WorkerSetup } from "./ChainTask.ts"
import { makeRolloutContext } from "./RolloutContext.ts"

const setup = workerData as WorkerSetup
const port = parentPort!

const context = await makeRolloutContext(setup).catch((cause: unknown) => {
  port.postMessage({ type: "fatal", message: cause instanceof Error ? cause.message : String(cause) })
  process.exit(1)
})

port.on("message", async (message: ToWorker) => {
  if (message.type === "stop") {
    await context.close()
    port.close()
    return
  }
  const { result, frames } = await context.run(message.chain, message.record)
  const transfer = frames.map((f) => f.rgb.buffer as ArrayBuffer)
  port.postMessage({ type: "result", result, frames }, transfer)
})
port.postMessage({ type: "ready" })
