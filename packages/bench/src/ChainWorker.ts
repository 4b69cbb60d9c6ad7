/**
 * Worker-thread entry: one simulator and one policy instance per worker (from its `WorkerSetup`). It runs the
 * chains it is given with `runChain` and answers each with the result and, for chains that get a video, the
 * recorded frames (transferred, not copied).
 *
 * @since 0.1.0
 */
import { serveWorkerTasks } from "@robovla/sdk"
import type { ChainOutcome, ChainTask, WorkerSetup } from "./ChainTask.ts"
import { makeRolloutContext } from "./RolloutContext.ts"

await serveWorkerTasks<WorkerSetup, ChainTask, ChainOutcome>(async (setup) => {
  const context = await makeRolloutContext(setup)
  return {
    run: (task) => context.run(task.chain, task.record),
    transfer: (outcome) => outcome.frames.map((frame) => frame.rgb.buffer as ArrayBuffer),
    close: () => context.close()
  }
})
