// Worker bootstrap: registers tsx's loader in this thread (execArgv `--import tsx` does not reach worker
// threads), then imports the TypeScript worker entry named in workerData.
import { register } from "tsx/esm/api"
import { workerData } from "node:worker_threads"

register()
await import(workerData.entry)
