// Boots a TypeScript worker thread: registers tsx in this thread, then imports the real entry module.
// Worker threads do not inherit the parent's loaders (vitest's or tsx's), so each registers its own.
import { workerData } from "node:worker_threads"
import { register } from "tsx/esm/api"

register()
await import(workerData.__entry)
