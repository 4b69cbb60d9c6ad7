// A pool worker for WorkerPool.test.ts: its setup names how it behaves; each answer says which thread ran it.
import { threadId } from "node:worker_threads"
import { serveWorkerTasks } from "../../src/WorkerPool.ts"

interface Setup {
  readonly label: string
  readonly failSetup?: boolean
}
type Task = { readonly kind: "echo"; readonly value: number } | { readonly kind: "throw" } | { readonly kind: "die" }

await serveWorkerTasks<Setup, Task, { readonly label: string; readonly thread: number; readonly value: number; readonly tasksSeen: number }, string>((setup) => {
  if (setup.failSetup === true) throw new Error("this setup cannot load")
  let tasksSeen = 0
  return {
    run: (task, emit) => {
      tasksSeen += 1
      if (task.kind === "throw") throw new Error("the task went wrong")
      if (task.kind === "die") process.exit(3)
      emit(`working on ${task.value}`)
      return { label: setup.label, thread: threadId, value: task.value * 2, tasksSeen }
    }
  }
})
