/**
 * One deployment on the host side: its worker thread (cold start on first use, reuse while warm, unload
 * after an idle timeout, restart after a crash), its sessions, and the batcher that groups concurrent calls
 * into one `actBatch` within a short window, under a concurrency limit and a per-call timeout.
 *
 * @since 0.1.0
 */
import { spawnTsWorker, type ObservationFrame, type PolicyMetadata } from "@robovla/sdk"
import { randomUUID } from "node:crypto"
import type { Worker } from "node:worker_threads"
import type { ResolvedDeployment } from "./Config.ts"
import { GatewayError } from "./GatewayError.ts"
import type { Metrics } from "./Metrics.ts"
import type { FromWorker, ToWorker, WorkerActItem, WorkerFailure, WorkerInit } from "./worker/protocol.ts"

const ENTRY = new URL("./worker/DeploymentWorker.ts", import.meta.url)

/**
 * What one act call returns.
 *
 * @since 0.1.0
 * @category models
 */
export interface ActResult {
  readonly actions: ReadonlyArray<ReadonlyArray<number>>
  readonly queueMs: number
  readonly inferMs: number
  readonly batchSize: number
}

interface QueuedCall {
  readonly item: WorkerActItem
  readonly enqueuedAt: number
  readonly resolve: (result: ActResult) => void
  readonly reject: (error: GatewayError) => void
}

interface PendingRequest {
  readonly resolve: (message: FromWorker & { type: "ok" }) => void
  readonly reject: (error: GatewayError) => void
  readonly timer: NodeJS.Timeout
}

/** A started worker and the requests waiting on it. */
interface WorkerHandle {
  readonly worker: Worker
  readonly pending: Map<number, PendingRequest>
  metadata: PolicyMetadata
}

/**
 * @since 0.1.0
 * @category models
 */
export type DeploymentState = "cold" | "starting" | "warm" | "failed"

/**
 * @since 0.1.0
 * @category models
 */
export class Deployment {
  state: DeploymentState = "cold"
  metadata: PolicyMetadata | undefined
  /** Session id → pinned (a WebSocket connection holds it, so idle unload waits) and when it was last used. */
  readonly sessions = new Map<string, { pinned: boolean; lastUsed: number }>()
  private handle: WorkerHandle | undefined
  private starting: Promise<WorkerHandle> | undefined
  private readonly queue: Array<QueuedCall> = []
  private inflightBatches = 0
  private readonly busySessions = new Set<string>()
  private windowTimer: NodeJS.Timeout | undefined
  private idleTimer: NodeJS.Timeout | undefined
  private nextRequestId = 1
  private stopped = false

  constructor(
    readonly config: ResolvedDeployment,
    private readonly metrics: Metrics
  ) {}

  get id(): string {
    return this.config.id
  }

  /** Calls queued or running. */
  get load(): number {
    return this.queue.length + this.inflightBatches
  }

  /** Loads the worker if it is not running (concurrent callers share one cold start). */
  async ensureStarted(): Promise<PolicyMetadata> {
    if (this.stopped) throw new GatewayError({ reason: "PolicyNotFound", message: `policy '${this.id}' was removed` })
    if (this.handle !== undefined) return this.handle.metadata
    this.starting ??= this.start().finally(() => (this.starting = undefined))
    return (await this.starting).metadata
  }

  private start(): Promise<WorkerHandle> {
    this.state = "starting"
    const startedAt = performance.now()
    const init: WorkerInit = { spec: this.config.spec }
    const worker = spawnTsWorker(ENTRY, { ...init }, { resourceLimits: { maxOldGenerationSizeMb: 4096 } })
    const handle: WorkerHandle = { worker, pending: new Map(), metadata: undefined as unknown as PolicyMetadata }
    return new Promise<WorkerHandle>((resolve, reject) => {
      let ready = false
      let failed = false
      const coldStartFailed = (message: string) => {
        if (failed) return
        failed = true
        this.state = "failed"
        this.metrics.error("cold_start")
        void worker.terminate()
        reject(new GatewayError({ reason: "ColdStartFailed", message: `policy '${this.id}' failed to load: ${message}` }))
      }
      const loadTimer = setTimeout(() => coldStartFailed(`no answer within ${this.config.loadTimeoutMs} ms`), this.config.loadTimeoutMs)
      worker.on("message", (message: FromWorker) => {
        if (message.type === "ready") {
          clearTimeout(loadTimer)
          ready = true
          handle.metadata = message.metadata
          this.handle = handle
          this.metadata = message.metadata
          this.state = "warm"
          this.metrics.coldStart(this.id, (performance.now() - startedAt) / 1000)
          const provider = message.metadata.details?.["executionProvider"]
          if (typeof provider === "string") this.metrics.provider(this.id, provider)
          this.touch()
          resolve(handle)
        } else if (message.type === "loadFailed") {
          clearTimeout(loadTimer)
          coldStartFailed(message.message)
        } else {
          const request = handle.pending.get(message.id)
          if (request === undefined) return
          handle.pending.delete(message.id)
          clearTimeout(request.timer)
          if (message.type === "ok") request.resolve(message)
          else request.reject(this.workerFailure(message.reason, message.message))
        }
      })
      const died = (why: string) => {
        clearTimeout(loadTimer)
        if (!ready) return coldStartFailed(why)
        this.lose(handle, new GatewayError({ reason: "DeploymentCrashed", message: `policy '${this.id}' crashed (${why}); it restarts on the next call` }), "crash")
      }
      // Details of the worker's error stay in the server log; the client gets the short reason.
      worker.on("error", (error) => {
        console.error(JSON.stringify({ level: "error", msg: "deployment worker error", deployment: this.id, error: String(error) }))
        died("uncaught error in the worker")
      })
      worker.on("exit", (code) => died(`worker exited with code ${code}`))
    })
  }

  /** Forgets a worker: fails its requests, drops its sessions, and leaves the deployment cold. */
  private lose(handle: WorkerHandle, error: GatewayError, kind: string | undefined): void {
    if (this.handle !== handle) return
    this.handle = undefined
    this.state = "cold"
    this.sessions.clear()
    if (kind !== undefined) this.metrics.error(kind)
    for (const [, request] of handle.pending) {
      clearTimeout(request.timer)
      request.reject(error)
    }
    handle.pending.clear()
    void handle.worker.terminate()
  }

  private async request(message: ToWorker & { id: number }, timeoutMs: number): Promise<FromWorker & { type: "ok" }> {
    if (this.handle === undefined) await this.ensureStarted()
    const handle = this.handle
    if (handle === undefined) {
      throw new GatewayError({ reason: "DeploymentCrashed", message: `policy '${this.id}' stopped while starting; retry` })
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        handle.pending.delete(message.id)
        this.metrics.error("timeout")
        reject(new GatewayError({ reason: "PolicyTimeout", message: `policy '${this.id}' did not answer within ${timeoutMs} ms` }))
        // A worker that misses its deadline may be stuck in a loop: replace it.
        this.lose(handle, new GatewayError({ reason: "DeploymentCrashed", message: `policy '${this.id}' was restarted after a timeout` }), "restart")
      }, timeoutMs)
      handle.pending.set(message.id, { resolve, reject, timer })
      handle.worker.postMessage(message)
    })
  }

  private workerFailure(reason: WorkerFailure, message: string): GatewayError {
    this.metrics.error(reason === "SessionNotFound" ? "session" : reason === "PolicyRejectedInput" ? "rejected_input" : "policy")
    return new GatewayError({
      reason,
      message: reason === "SessionNotFound" ? "session not found" : reason === "PolicyRejectedInput" ? `policy '${this.id}' rejected the input: ${message}` : `policy '${this.id}' failed: ${message}`
    })
  }

  /** Opens a session: one `Policy` instance in the worker with its own history. */
  async createSession(pinned = false): Promise<string> {
    await this.ensureStarted()
    if (this.sessions.size >= this.config.maxSessions) this.expireSessions()
    if (this.sessions.size >= this.config.maxSessions) {
      this.metrics.error("too_many_sessions")
      throw new GatewayError({ reason: "Overloaded", message: `policy '${this.id}' has ${this.sessions.size} open sessions (the limit)`, retryAfter: 5 })
    }
    const sid = randomUUID()
    await this.request({ type: "session", id: this.nextRequestId++, sid }, this.config.timeoutMs)
    this.sessions.set(sid, { pinned, lastUsed: performance.now() })
    this.scheduleExpiry()
    this.touch()
    return sid
  }

  async resetSession(sid: string): Promise<void> {
    this.requireSession(sid)
    await this.request({ type: "reset", id: this.nextRequestId++, sid }, this.config.timeoutMs)
    this.touch()
  }

  dropSession(sid: string): boolean {
    const had = this.forget(sid)
    this.touch()
    return had
  }

  private forget(sid: string): boolean {
    const had = this.sessions.delete(sid)
    if (had && this.handle !== undefined) this.handle.worker.postMessage({ type: "drop", sid } satisfies ToWorker)
    return had
  }

  /** Checks that a session exists and marks it used. */
  requireSession(sid: string): void {
    const session = this.sessions.get(sid)
    if (session === undefined) {
      throw new GatewayError({
        reason: "SessionNotFound",
        message: `no session '${sid.slice(0, 64)}' on policy '${this.id}' (sessions end when deleted, idle for ${this.config.sessionIdleMs} ms, or when the policy unloads or restarts)`
      })
    }
    session.lastUsed = performance.now()
  }

  private expiryTimer: NodeJS.Timeout | undefined

  /** Drops REST sessions unused for `sessionIdleMs` (WebSocket sessions live as long as their connection). */
  private expireSessions(): void {
    const cutoff = performance.now() - this.config.sessionIdleMs
    for (const [sid, session] of this.sessions) if (!session.pinned && session.lastUsed < cutoff) this.forget(sid)
  }

  private scheduleExpiry(): void {
    if (this.expiryTimer !== undefined) return
    this.expiryTimer = setInterval(() => {
      this.expireSessions()
      if (this.sessions.size === 0) {
        clearInterval(this.expiryTimer)
        this.expiryTimer = undefined
      }
    }, Math.max(50, Math.min(60_000, this.config.sessionIdleMs / 2)))
    this.expiryTimer.unref()
  }

  /** Queues one call; the batcher sends it with others that arrive within the batch window. */
  act(sid: string | null, observation: ObservationFrame, instruction: string): Promise<ActResult> {
    if (sid !== null) this.requireSession(sid)
    if (this.queue.length >= this.config.maxQueue) {
      this.metrics.error("overloaded")
      return Promise.reject(new GatewayError({ reason: "Overloaded", message: `policy '${this.id}' has ${this.queue.length} calls queued`, retryAfter: 1 }))
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ item: { sid, observation, instruction }, enqueuedAt: performance.now(), resolve, reject })
      this.schedule()
    })
  }

  private schedule(): void {
    if (this.inflightBatches >= this.config.maxConcurrency || this.queue.length === 0) return
    if (this.queue.length >= this.config.maxBatch || this.config.batchWindowMs <= 0) return this.flush()
    this.windowTimer ??= setTimeout(() => this.flush(), this.config.batchWindowMs)
  }

  private flush(): void {
    if (this.windowTimer !== undefined) clearTimeout(this.windowTimer)
    this.windowTimer = undefined
    while (this.inflightBatches < this.config.maxConcurrency && this.queue.length > 0) {
      // A session has at most one call in flight, so that its calls run in order.
      const batch: Array<QueuedCall> = []
      for (let i = 0; i < this.queue.length && batch.length < this.config.maxBatch;) {
        const call = this.queue[i]!
        if (call.item.sid !== null && this.busySessions.has(call.item.sid)) {
          i++
          continue
        }
        if (call.item.sid !== null) this.busySessions.add(call.item.sid)
        batch.push(call)
        this.queue.splice(i, 1)
      }
      if (batch.length === 0) return
      void this.runBatch(batch)
    }
  }

  private async runBatch(batch: ReadonlyArray<QueuedCall>): Promise<void> {
    this.inflightBatches++
    const sentAt = performance.now()
    try {
      await this.ensureStarted()
      const live = batch.filter((call) => {
        if (call.item.sid === null || this.sessions.has(call.item.sid)) return true
        call.reject(new GatewayError({ reason: "SessionNotFound", message: "session ended when the policy restarted" }))
        return false
      })
      if (live.length > 0) {
        const reply = await this.request({ type: "act", id: this.nextRequestId++, items: live.map((c) => c.item) }, this.config.timeoutMs)
        this.metrics.batch(this.id, live.length, (reply.inferMs ?? 0) / 1000)
        live.forEach((call, i) => {
          const failure = reply.failures?.[i]
          if (failure !== undefined && failure !== null) return call.reject(this.workerFailure(failure.reason, failure.message))
          call.resolve({ actions: reply.chunks![i]!, queueMs: sentAt - call.enqueuedAt, inferMs: reply.inferMs ?? 0, batchSize: live.length })
        })
      }
    } catch (error) {
      const failure = error instanceof GatewayError ? error : new GatewayError({ reason: "Internal", message: "internal error" })
      for (const call of batch) call.reject(failure)
    } finally {
      for (const call of batch) if (call.item.sid !== null) this.busySessions.delete(call.item.sid)
      this.inflightBatches--
      this.touch()
      if (this.queue.length > 0) this.flush()
    }
  }

  /** Restarts the idle countdown; when it runs out with nothing queued and no pinned session, unload. */
  private touch(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer)
    this.idleTimer = setTimeout(() => {
      const pinned = [...this.sessions.values()].some((s) => s.pinned)
      if (this.load === 0 && !pinned && this.handle !== undefined) this.unload()
      else this.touch()
    }, this.config.idleTimeoutMs)
    this.idleTimer.unref()
  }

  /** Stops the worker (idle scale-to-zero); the next call cold-starts it again. */
  unload(): void {
    const handle = this.handle
    if (handle === undefined) return
    this.metrics.unload(this.id)
    this.lose(handle, new GatewayError({ reason: "DeploymentCrashed", message: `policy '${this.id}' was unloaded; retry to start it again` }), undefined)
  }

  /** Removes the deployment for good: fails queued calls and stops the worker. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.expiryTimer !== undefined) clearInterval(this.expiryTimer)
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer)
    if (this.windowTimer !== undefined) clearTimeout(this.windowTimer)
    for (const call of this.queue.splice(0)) call.reject(new GatewayError({ reason: "Draining", message: "the policy is shutting down", retryAfter: 5 }))
    const handle = this.handle ?? (this.starting !== undefined ? await this.starting.catch(() => undefined) : undefined)
    this.handle = undefined
    this.state = "cold"
    if (handle !== undefined) await handle.worker.terminate()
  }
}
