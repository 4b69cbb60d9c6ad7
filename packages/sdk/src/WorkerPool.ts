/**
 * The one worker pool of the repository (benchmark chains, expert data collection): up to `size` worker threads,
 * each started with a setup (a simulator, a policy, …) and kept for the next task with the same setup; a thread
 * whose setup is not wanted any more is stopped when a task needs another. Threads boot through `spawnTsWorker`,
 * so entries are TypeScript modules that call `serveWorkerTasks`. A thread keeps the process alive only while it
 * starts or runs a task, so a script that forgets `close()` still ends. Tasks beyond `size` wait for a thread.
 *
 * A task either resolves with the worker's result or rejects with an `SdkError`:
 * - `"WorkerStartFailed"`: the worker's setup threw (a policy that cannot load): another thread will not help;
 * - `"WorkerCrashed"`: the thread died (`subject: "starting"` when before it was ready); the caller may retry;
 * - `"WorkerTaskFailed"`: the task threw in the worker; the thread stays usable.
 *
 * @since 0.1.0
 */
import { parentPort, type Worker, workerData } from "node:worker_threads"
import { SdkError } from "./SdkError.ts"
import { spawnTsWorker } from "./TsWorker.ts"

/** Messages from the pool to a worker. */
type ToWorker<Task> = { readonly type: "run"; readonly task: Task } | { readonly type: "stop" }

/** Messages from a worker to the pool. */
type FromWorker<Result, Event> =
  | { readonly type: "ready" }
  | { readonly type: "startFailed"; readonly message: string }
  | { readonly type: "event"; readonly event: Event }
  | { readonly type: "result"; readonly result: Result }
  | { readonly type: "failed"; readonly message: string }

const SETUP_KEY = "__poolSetup"

const messageOf = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

// ---------------------------------------------------------------------------------------------------------------
// worker side
// ---------------------------------------------------------------------------------------------------------------

/**
 * What a worker does with its setup: run one task at a time (`emit` sends progress events to the caller),
 * optionally name the buffers of a result to transfer instead of copy, and free its resources on `close`.
 *
 * @since 0.1.0
 * @category models
 */
export interface WorkerTasks<Task, Result, Event = never> {
  readonly run: (task: Task, emit: (event: Event) => void) => Promise<Result> | Result
  readonly transfer?: (result: Result) => ReadonlyArray<ArrayBuffer>
  readonly close?: () => Promise<void> | void
}

/**
 * The body of a pool worker's entry module: builds its tasks from the setup it was started with, then answers
 * the pool until it is stopped.
 *
 * @since 0.1.0
 * @category constructors
 */
export const serveWorkerTasks = async <Setup, Task, Result, Event = never>(
  start: (setup: Setup) => Promise<WorkerTasks<Task, Result, Event>> | WorkerTasks<Task, Result, Event>
): Promise<void> => {
  const port = parentPort
  if (port === null) throw new SdkError({ reason: "InvalidInput", message: "serveWorkerTasks runs only in a worker thread started by a WorkerPool" })
  const post = (message: FromWorker<Result, Event>, transfer: ReadonlyArray<ArrayBuffer> = []) => port.postMessage(message, [...transfer])
  let tasks: WorkerTasks<Task, Result, Event>
  try {
    tasks = await start((workerData as Record<string, unknown>)[SETUP_KEY] as Setup)
  } catch (cause) {
    post({ type: "startFailed", message: messageOf(cause) })
    // A half-made setup (a loaded simulator) may hold the thread open: end it.
    process.exit(1)
  }
  port.on("message", async (message: ToWorker<Task>) => {
    if (message.type === "stop") {
      await tasks.close?.()
      port.close()
      return
    }
    try {
      const result = await tasks.run(message.task, (event) => post({ type: "event", event }))
      post({ type: "result", result }, tasks.transfer?.(result))
    } catch (cause) {
      post({ type: "failed", message: cause instanceof Error && cause.stack !== undefined ? `${cause.message}\n${cause.stack}` : messageOf(cause) })
    }
  })
  post({ type: "ready" })
}

// ---------------------------------------------------------------------------------------------------------------
// pool side
// ---------------------------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category models
 */
export interface WorkerPool<Setup, Task, Result, Event = never> {
  /** Runs a task on a thread started with `setup` (an idle one if there is one, else a new one). */
  readonly run: (setup: Setup, task: Task, onEvent?: (event: Event) => void) => Promise<Result>
  /** Stops every thread: idle ones free their resources (up to 5 s), busy ones are terminated. */
  readonly close: () => Promise<void>
}

interface Running<Result, Event> {
  readonly resolve: (result: Result) => void
  readonly reject: (error: SdkError) => void
  readonly onEvent: ((event: Event) => void) | undefined
}

interface Slot<Result, Event> {
  readonly key: string
  readonly worker: Worker
  readonly ready: Promise<void>
  running: Running<Result, Event> | undefined
  dead: boolean
}

const STOP_GRACE_MS = 5_000

/**
 * A pool of up to `size` threads running `entry` (a module that calls `serveWorkerTasks`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWorkerPool = <Setup, Task, Result, Event = never>(entry: URL, size: number): WorkerPool<Setup, Task, Result, Event> => {
  if (!(Number.isInteger(size) && size >= 1)) throw new SdkError({ reason: "InvalidInput", message: `a worker pool needs at least one thread, got ${size}` })
  type S = Slot<Result, Event>
  const idle: Array<S> = []
  const busy = new Set<S>()
  const waiters: Array<() => void> = []
  let live = 0
  let closed = false

  const spawn = (setup: Setup, key: string): S => {
    const worker = spawnTsWorker(entry, { [SETUP_KEY]: setup })
    let startFailure: string | undefined
    let ready = false
    const slot: S = {
      key,
      worker,
      running: undefined,
      dead: false,
      ready: new Promise<void>((resolve, reject) => {
        worker.on("message", (message: FromWorker<Result, Event>) => {
          const running = slot.running
          switch (message.type) {
            case "ready":
              ready = true
              // Referenced only while it starts or runs a task: an idle pool never keeps the process alive.
              worker.unref()
              return resolve()
            case "startFailed":
              startFailure = message.message
              return
            case "event":
              return running?.onEvent?.(message.event)
            case "result":
              slot.running = undefined
              worker.unref()
              return running?.resolve(message.result)
            case "failed":
              slot.running = undefined
              worker.unref()
              return running?.reject(new SdkError({ reason: "WorkerTaskFailed", message: message.message }))
          }
        })
        const onDeath = (why: string, cause?: unknown) => {
          if (slot.dead) return
          slot.dead = true
          const error = startFailure !== undefined
            ? new SdkError({ reason: "WorkerStartFailed", message: startFailure })
            : new SdkError({ reason: "WorkerCrashed", message: `worker thread died${ready ? "" : " before it was ready"}: ${why}`, subject: ready ? "running" : "starting", cause })
          reject(error)
          slot.running?.reject(error)
          slot.running = undefined
        }
        worker.on("error", (error) => onDeath(error.message, error))
        worker.on("exit", (code) => onDeath(`exit code ${code}`))
      })
    }
    slot.ready.catch(() => undefined)
    return slot
  }

  const stop = (slot: S): Promise<void> =>
    slot.dead ? Promise.resolve() : new Promise((resolve) => {
      const timer = setTimeout(() => void slot.worker.terminate().then(() => resolve()), STOP_GRACE_MS)
      slot.worker.once("exit", () => {
        clearTimeout(timer)
        resolve()
      })
      slot.worker.postMessage({ type: "stop" } satisfies ToWorker<Task>)
    })

  /** An idle thread with this setup, else a new one (stopping an idle thread of another setup when full). */
  const acquire = async (setup: Setup, key: string): Promise<S> => {
    for (;;) {
      if (closed) throw new SdkError({ reason: "Released", message: "the worker pool is closed" })
      const same = idle.findIndex((s) => s.key === key)
      if (same >= 0) return idle.splice(same, 1)[0]!
      if (live < size) {
        live += 1
        return spawn(setup, key)
      }
      if (idle.length > 0) {
        live -= 1
        void stop(idle.shift()!)
        continue
      }
      await new Promise<void>((resolve) => waiters.push(resolve))
    }
  }

  const release = (slot: S) => {
    busy.delete(slot)
    if (slot.dead) live -= 1
    else if (closed) void stop(slot)
    else idle.push(slot)
    waiters.shift()?.()
  }

  return {
    run: async (setup, task, onEvent) => {
      const slot = await acquire(setup, JSON.stringify(setup))
      busy.add(slot)
      try {
        await slot.ready
        return await new Promise<Result>((resolve, reject) => {
          if (slot.dead) return reject(new SdkError({ reason: "WorkerCrashed", message: "worker thread died", subject: "running" }))
          slot.running = { resolve, reject, onEvent }
          slot.worker.ref()
          slot.worker.postMessage({ type: "run", task } satisfies ToWorker<Task>)
        })
      } finally {
        release(slot)
      }
    },
    close: async () => {
      closed = true
      for (const wake of waiters.splice(0)) wake()
      const stopping = idle.splice(0).map(stop)
      await Promise.all([...stopping, ...[...busy].map((slot) => slot.worker.terminate())])
    }
  }
}
