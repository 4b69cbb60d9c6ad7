// The "built" worker entry (there is no echo-worker.ts beside it, as in a published package's dist/).
import { serveWorkerTasks } from "@robovla/sdk"

await serveWorkerTasks((setup) => ({ run: (task) => task * setup.factor }))
