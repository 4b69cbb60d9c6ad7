// Boots a worker thread: for a TypeScript entry, registers tsx in this thread first (worker threads do not
// inherit the parent's loaders, vitest's or tsx's), then imports the entry. A built entry (.js) runs as is.
import { workerData } from "node:worker_threads"

if (workerData.__entry.endsWith(".ts")) {
  const { register } = await import("tsx/esm/api")
  register()
}
await import(workerData.__entry)
