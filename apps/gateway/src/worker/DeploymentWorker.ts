/**
 * A deployment's worker thread: loads one `PolicyModel`, keeps one `Policy` per session, and answers the
 * host's batched act calls through `actBatch`. A crash or hang here costs this deployment only; the host
 * restarts the worker on the next call.
 *
 * @since 0.1.0
 */
import { Action, type ActionChunk, type PolicyBatchItem, type PolicyModel, type PolicyService } from "@robovla/sdk"
import { Effect, Exit, Result } from "effect"
import { parentPort, workerData } from "node:worker_threads"
import type { FromWorker, ToWorker, WorkerInit } from "./protocol.ts"
import type { ItemFailure } from "./protocol.ts"
import { causeInfo, describeCause, loadPolicyModel } from "./PolicySources.ts"

const port = parentPort!
const init = workerData as WorkerInit
const send = (message: FromWorker) => port.postMessage(message)

/** What is wrong with a chunk a policy returned (the SDK's boundary Schema: N ≥ 1 rows of 7 finite numbers). */
const validChunk = (chunk: ActionChunk): string | undefined => {
  const decoded = Action.decodeActionChunkResult(chunk)
  return Result.isFailure(decoded) ? decoded.failure.message : undefined
}

const validChunks = (chunks: ReadonlyArray<ActionChunk>, count: number): string | undefined => {
  if (!Array.isArray(chunks) || chunks.length !== count) return `actBatch returned ${Array.isArray(chunks) ? chunks.length : "no"} chunks for ${count} calls`
  for (const chunk of chunks) {
    const problem = validChunk(chunk)
    if (problem !== undefined) return problem
  }
  return undefined
}

const failureOf = (cause: unknown): ItemFailure => {
  const info = causeInfo(cause)
  return { reason: info.rejectedInput ? "PolicyRejectedInput" : "PolicyFailed", message: info.message }
}

const serve = (model: PolicyModel) => {
  const sessions = new Map<string, PolicyService>()
  const newPolicy = async (): Promise<PolicyService> => {
    const exit = await Effect.runPromiseExit(model.policy())
    if (Exit.isFailure(exit)) throw new Error(describeCause(exit.cause))
    return exit.value
  }
  const fail = (id: number, reason: ItemFailure["reason"], message: string) => send({ type: "failed", id, reason, message })

  port.on("message", async (message: ToWorker) => {
    switch (message.type) {
      case "session": {
        try {
          sessions.set(message.sid, await newPolicy())
          send({ type: "ok", id: message.id })
        } catch (error) {
          fail(message.id, "PolicyFailed", (error as Error).message)
        }
        return
      }
      case "reset": {
        const policy = sessions.get(message.sid)
        if (policy === undefined) return fail(message.id, "SessionNotFound", "no such session")
        const exit = await Effect.runPromiseExit(policy.reset())
        if (Exit.isFailure(exit)) return fail(message.id, "PolicyFailed", describeCause(exit.cause))
        send({ type: "ok", id: message.id })
        return
      }
      case "drop":
        sessions.delete(message.sid)
        return
      case "act": {
        const items: Array<PolicyBatchItem> = []
        try {
          for (const item of message.items) {
            const policy = item.sid === null ? await newPolicy() : sessions.get(item.sid)
            if (policy === undefined) return fail(message.id, "SessionNotFound", "no such session")
            items.push({ policy, observation: item.observation, instruction: item.instruction })
          }
        } catch (error) {
          return fail(message.id, "PolicyFailed", (error as Error).message)
        }
        const started = performance.now()
        const exit = await Effect.runPromiseExit(model.actBatch(items))
        if (Exit.isFailure(exit) && items.length > 1) {
          // One bad call must not fail the others batched with it: answer each call on its own. Calls
          // before the failing one may have advanced their history inside actBatch already (documented).
          const chunks: Array<ReadonlyArray<ReadonlyArray<number>> | null> = []
          const failures: Array<ItemFailure | null> = []
          for (const item of items) {
            const one = await Effect.runPromiseExit(item.policy.act(item.observation, item.instruction))
            const problem = Exit.isSuccess(one) ? validChunk(one.value) : undefined
            if (Exit.isSuccess(one) && problem === undefined) {
              chunks.push(one.value.map((a) => [...a]))
              failures.push(null)
            } else {
              chunks.push(null)
              failures.push(Exit.isFailure(one) ? failureOf(one.cause) : { reason: "PolicyFailed", message: `invalid actions: ${problem}` })
            }
          }
          send({ type: "ok", id: message.id, chunks, failures, inferMs: performance.now() - started })
          return
        }
        const inferMs = performance.now() - started
        if (Exit.isFailure(exit)) {
          const failure = failureOf(exit.cause)
          return fail(message.id, failure.reason, failure.message)
        }
        const problem = validChunks(exit.value, items.length)
        if (problem !== undefined) return fail(message.id, "PolicyFailed", `invalid actions: ${problem}`)
        send({ type: "ok", id: message.id, chunks: exit.value.map((c) => c.map((a) => [...a])), inferMs })
        return
      }
    }
  })
}

const started = performance.now()
try {
  const loaded = await loadPolicyModel(init.spec)
  serve(loaded.model)
  send({ type: "ready", metadata: loaded.model.metadata, loadMs: performance.now() - started })
} catch (error) {
  send({ type: "loadFailed", message: error instanceof Error ? error.message : "load failed" })
}
