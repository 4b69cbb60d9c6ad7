import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { SdkError } from "../../src/SdkError.ts"
import { spawnTsWorker } from "../../src/TsWorker.ts"
import { makeWorkerPool } from "../../src/WorkerPool.ts"

type Setup = { readonly label: string; readonly failSetup?: boolean }
type Task = { readonly kind: "echo"; readonly value: number } | { readonly kind: "throw" } | { readonly kind: "die" }
type Answer = { readonly label: string; readonly thread: number; readonly value: number; readonly tasksSeen: number }

const pool = makeWorkerPool<Setup, Task, Answer, string>(new URL("./PoolWorker.ts", import.meta.url), 1)
afterAll(() => pool.close())

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as SdkError)

describe("WorkerPool (one thread)", () => {
  it("keeps a thread for its setup, streams its events, and replaces it for another setup", async () => {
    const events: Array<string> = []
    const first = await pool.run({ label: "a" }, { kind: "echo", value: 2 }, (e) => events.push(e))
    const second = await pool.run({ label: "a" }, { kind: "echo", value: 5 })
    expect([first.value, second.value, second.tasksSeen, second.thread]).toEqual([4, 10, 2, first.thread])
    expect(events).toEqual(["working on 2"])
    const other = await pool.run({ label: "b" }, { kind: "echo", value: 1 })
    expect(other.label).toBe("b")
    expect(other.thread).not.toBe(first.thread)
  })

  it("fails a task that throws with WorkerTaskFailed and keeps the thread", async () => {
    const before = await pool.run({ label: "b" }, { kind: "echo", value: 0 })
    const error = await failure(pool.run({ label: "b" }, { kind: "throw" }))
    expect(error).toBeInstanceOf(SdkError)
    expect([error?.reason, error?.message.split("\n")[0]]).toEqual(["WorkerTaskFailed", "the task went wrong"])
    expect((await pool.run({ label: "b" }, { kind: "echo", value: 0 })).thread).toBe(before.thread)
  })

  it("fails a task whose thread dies with WorkerCrashed, then runs the next task on a fresh thread", async () => {
    const before = await pool.run({ label: "b" }, { kind: "echo", value: 0 })
    const error = await failure(pool.run({ label: "b" }, { kind: "die" }))
    expect([error?.reason, error?.subject]).toEqual(["WorkerCrashed", "running"])
    expect(error?.message).toMatch(/exit code 3/)
    const after = await pool.run({ label: "b" }, { kind: "echo", value: 3 })
    expect([after.value, after.tasksSeen]).toEqual([6, 1])
    expect(after.thread).not.toBe(before.thread)
  })

  it("fails with WorkerStartFailed when the setup throws", async () => {
    const error = await failure(pool.run({ label: "c", failSetup: true }, { kind: "echo", value: 1 }))
    expect([error?.reason, error?.message]).toEqual(["WorkerStartFailed", "this setup cannot load"])
  })
})

describe("spawnTsWorker", () => {
  it("runs the built .js of a .ts entry that is not on disk (an installed package)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-built-"))
    try {
      fs.writeFileSync(path.join(dir, "Entry.js"), `import { parentPort, workerData } from "node:worker_threads"\nparentPort.postMessage(workerData.greeting + " from " + import.meta.url.split("/").pop())\n`)
      const worker = spawnTsWorker(pathToFileURL(path.join(dir, "Entry.ts")), { greeting: "hello" })
      const message = await new Promise((resolve, reject) => {
        worker.once("message", resolve)
        worker.once("error", reject)
      })
      await worker.terminate()
      expect(message).toBe("hello from Entry.js")
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
