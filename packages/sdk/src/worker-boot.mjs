// Boots a worker thread. A built entry (.js, what an installed package runs) is imported as is, with plain Node.
// A TypeScript entry (a source run in the repository or a user's own .ts worker) needs tsx registered in this
// thread first: worker threads do not inherit the parent's loaders (vitest's or tsx's). tsx is an optional peer
// of the SDK, needed only then.
import { workerData } from "node:worker_threads"

if (workerData.__entry.endsWith(".ts")) {
  let register
  try {
    ;({ register } = await import("tsx/esm/api"))
  } catch (cause) {
    throw new Error(`the worker entry ${workerData.__entry} is TypeScript: running it needs tsx installed (npm install -D tsx), or build it to .js`, { cause })
  }
  register()
}
await import(workerData.__entry)
