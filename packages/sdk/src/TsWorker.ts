/**
 * The one worker bootstrap: worker threads running TypeScript modules straight from the workspace (no build
 * step), under tsx, vitest or plain Node alike, and the built `.js` modules of an installed package. The worker
 * pool (bench, collection, the training loader) and the gateway's deployments start their threads here.
 *
 * Callers name an entry by its source URL (`new URL("./ChainWorker.ts", import.meta.url)`). In the repository the
 * `.ts` is on disk and boots under tsx; in an installed package the URL points into `dist/`, where only the built
 * `.js` is, and that boots with plain Node: tsx is an optional peer of the SDK, needed for TypeScript entries only.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import { Worker, type WorkerOptions } from "node:worker_threads"

const BOOT = new URL("./worker-boot.mjs", import.meta.url)

/** A built package has `X.js` where its source had `X.ts`: a `.ts` entry that is not on disk runs as its `.js`. */
const builtOrSource = (entry: URL): URL => {
  if (entry.protocol !== "file:" || !entry.pathname.endsWith(".ts") || fs.existsSync(entry)) return entry
  const built = new URL(entry.href.replace(/\.ts$/, ".js"))
  return fs.existsSync(built) ? built : entry
}

/**
 * Starts `entry` (a `.ts` module URL, or its built `.js`) in a worker thread. `workerData` reaches it as usual.
 *
 * @since 0.1.0
 * @category constructors
 */
export const spawnTsWorker = (entry: URL, workerData: Record<string, unknown> = {}, options: Omit<WorkerOptions, "workerData"> = {}): Worker =>
  new Worker(BOOT, { ...options, workerData: { ...workerData, __entry: builtOrSource(entry).href } })
