/**
 * A queue worker's simulators: up to N worker threads running the local runner's own thread entry
 * (`ChainWorker.ts`: one simulator and one policy each). A thread is kept for the next chain with the same setup
 * (scene, policy, options) and replaced when a chain of another run needs another setup. Running the chains off
 * the main thread also keeps it free to renew BullMQ's job locks, so a busy worker is never taken for a dead one.
 *
 * @since 0.1.0
 */
import type { Worker } from "node:worker_threads"
import { spawnTsWorker } from "@robovla/sdk"
import { BenchError } from "../BenchError.ts"
import type { ChainResult, ChainSpec } from "../Chain.ts"
import type { ToWorker, VideoFrame, WorkerSetup } from "../ChainTask.ts"

const WORKER_ENTRY = new URL("../ChainWorker.ts", import.meta.url)

interface Pending {
  readonly resolve: (value: { result: ChainResult; frames: Array<VideoFrame> }) => void
  readonly reject: (error: BenchError) => void
}

interface Slot {
  readonly key: string
  readonly worker: Worker
  readonly ready: Promise<void>
  pending: Pending | undefined
  dead: boolean
}

/** @since 0.1.0 @category models */
export interface ChainPool {
  readonly run: (setup: WorkerSetup, chain: ChainSpec, record: boolean) => Promise<{ readonly result: ChainResult; readonly frames: Array<VideoFrame> }>
  readonly close: () => Promise<void>
}

/** @since 0.1.0 @category constructors */
export const makeChainPool = (size: number): ChainPool => {
  const idle: Array<Slot> = []
  let live = 0
  const waiters: Array<() => void> = []

  const spawn = (setup: WorkerSetup, key: string): Slot => {
    const worker = spawnTsWorker(WORKER_ENTRY, setup as unknown as Record<string, unknown>)
    let fatal: string | undefined
    const slot: Slot = {
      key,
      worker,
      pending: undefined,
      dead: false,
      ready: new Promise<void>((resolve, reject) => {
        worker.on("message", (message: { type: string; result?: ChainResult; frames?: Array<VideoFrame>; message?: string }) => {
          if (message.type === "ready") resolve()
          else if (message.type === "fatal") fatal = message.message ?? "the policy or the simulator failed to load"
          else if (message.type === "result" && message.result) {
            const pending = slot.pending
            slot.pending = undefined
            pending?.resolve({ result: message.result, frames: message.frames ?? [] })
          }
        })
        const onDeath = (why: string) => {
          if (slot.dead) return
          slot.dead = true
          const error = fatal !== undefined
            ? new BenchError({ reason: "PolicyUnavailable", message: `cannot start a simulator with this policy: ${fatal}` })
            : new BenchError({ reason: "WorkerCrashed", message: `simulator thread died: ${why}` })
          reject(error)
          slot.pending?.reject(error)
          slot.pending = undefined
        }
        worker.on("error", (error) => onDeath(error.message))
        worker.on("exit", (code) => onDeath(`exit code ${code}`))
      })
    }
    slot.ready.catch(() => {})
    return slot
  }

  const stop = (slot: Slot): Promise<void> =>
    slot.dead ? Promise.resolve() : new Promise((resolve) => {
      const timer = setTimeout(() => void slot.worker.terminate().then(() => resolve()), 5_000)
      slot.worker.once("exit", () => {
        clearTimeout(timer)
        resolve()
      })
      slot.worker.postMessage({ type: "stop" } satisfies ToWorker)
    })

  /** A slot for this setup: an idle one with the same setup, else a new thread (replacing an idle one if full). */
  const acquire = async (setup: WorkerSetup, key: string): Promise<Slot> => {
    for (;;) {
      const same = idle.findIndex((s) => s.key === key)
      if (same >= 0) return idle.splice(same, 1)[0]!
      if (live < size) {
        live += 1
        return spawn(setup, key)
      }
      if (idle.length > 0) {
        const old = idle.shift()!
        live -= 1
        void stop(old)
        continue
      }
      await new Promise<void>((resolve) => waiters.push(resolve))
    }
  }

  const release = (slot: Slot) => {
    if (slot.dead) live -= 1
    else idle.push(slot)
    waiters.shift()?.()
  }

  return {
    run: async (setup, chain, record) => {
      const key = JSON.stringify(setup)
      const slot = await acquire(setup, key)
      try {
        await slot.ready
        return await new Promise((resolve, reject) => {
          if (slot.dead) return reject(new BenchError({ reason: "WorkerCrashed", message: "simulator thread died" }))
          slot.pending = { resolve, reject }
          slot.worker.postMessage({ type: "run", chain, record } satisfies ToWorker)
        })
      } finally {
        release(slot)
      }
    },
    close: async () => {
      const all = idle.splice(0)
      live -= all.length
      await Promise.all(all.map(stop))
    }
  }
}
