/**
 * The gateway's state behind both protocols: deployments by id, the default one, API keys, rate limits,
 * metrics, structured logs and the drain flag. REST routes and the WebSocket handler only translate
 * between the wire and these methods.
 *
 * @since 0.1.0
 */
import { createHash, timingSafeEqual } from "node:crypto"
import type { ActResponse, WireObservation } from "@robovla/client"
import { type DeploymentSpec, type GatewayConfig, resolveDeployment } from "./Config.ts"
import { Deployment } from "./Deployment.ts"
import { GatewayError } from "./GatewayError.ts"
import { Metrics } from "./Metrics.ts"
import { fromWire, wireMetadata } from "./Observations.ts"
import { RateLimiter } from "./RateLimiter.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface GatewayOptions {
  /** Where one-line JSON logs go (default: stdout). */
  readonly log?: (line: string) => void
}

const digest = (key: string) => createHash("sha256").update(key).digest()

/**
 * @since 0.1.0
 * @category models
 */
export class Gateway {
  readonly metrics = new Metrics()
  readonly deployments = new Map<string, Deployment>()
  draining = false
  private inflight = 0
  private drained: (() => void) | undefined
  private readonly keyDigests: ReadonlyArray<Buffer>
  private readonly limiter: RateLimiter | undefined
  private readonly writeLog: (line: string) => void

  constructor(readonly config: GatewayConfig, options: GatewayOptions = {}) {
    this.keyDigests = config.apiKeys.map(digest)
    this.limiter = config.rateLimit === undefined ? undefined : new RateLimiter(config.rateLimit.requestsPerSecond, config.rateLimit.burst)
    this.writeLog = options.log ?? ((line) => process.stdout.write(line + "\n"))
    for (const d of config.deployments) this.deployments.set(d.id, new Deployment(d, this.metrics))
  }

  get defaultDeployment(): string | undefined {
    return this.config.defaultDeployment
  }

  log(entry: Record<string, unknown>): void {
    this.writeLog(JSON.stringify({ time: new Date().toISOString(), level: "info", ...entry }))
  }

  /** Starts the deployments marked `preload`. */
  async preload(): Promise<void> {
    await Promise.all([...this.deployments.values()].filter((d) => d.config.preload).map((d) => d.ensureStarted()))
  }

  // ------------------------------------------------------------------------------------ auth and limits

  get authRequired(): boolean {
    return this.keyDigests.length > 0
  }

  /**
   * Checks the API key from `Authorization: Bearer <key>`, `Authorization: Api-Key <key>` (openpi's client)
   * or `x-api-key`. Returns an identity for rate limiting: a key fingerprint, or the client address.
   */
  authenticate(authorization: string | undefined, apiKeyHeader: string | undefined, address: string): string {
    const match = authorization === undefined ? null : /^(?:Bearer|Api-Key)\s+(\S+)$/i.exec(authorization.trim())
    const key = match?.[1] ?? apiKeyHeader?.trim()
    if (!this.authRequired) return `ip:${address}`
    if (key === undefined || key.length === 0) {
      this.metrics.error("unauthorized")
      throw new GatewayError({ reason: "Unauthorized", message: "an API key is required (Authorization: Bearer <key> or x-api-key)" })
    }
    const d = digest(key)
    if (!this.keyDigests.some((k) => timingSafeEqual(k, d))) {
      this.metrics.error("unauthorized")
      throw new GatewayError({ reason: "Unauthorized", message: "unknown API key" })
    }
    return `key:${d.toString("hex").slice(0, 12)}`
  }

  rateLimit(identity: string): void {
    const wait = this.limiter?.take(identity) ?? 0
    if (wait > 0) {
      this.metrics.error("rate_limited")
      throw new GatewayError({ reason: "RateLimited", message: "rate limit exceeded", retryAfter: Math.max(1, Math.ceil(wait)) })
    }
  }

  // ---------------------------------------------------------------------------------------- requests

  /** Counts a request in flight (for drain); refuses new ones while draining. */
  begin(): void {
    if (this.draining) throw new GatewayError({ reason: "Draining", message: "the gateway is shutting down", retryAfter: 5 })
    this.inflight++
    this.metrics.inflight.set({}, this.inflight)
  }

  end(): void {
    this.inflight--
    this.metrics.inflight.set({}, this.inflight)
    if (this.inflight === 0) this.drained?.()
  }

  // ------------------------------------------------------------------------------------- deployments

  deployment(id: string): Deployment {
    const d = this.deployments.get(id)
    if (d === undefined) throw new GatewayError({ reason: "PolicyNotFound", message: `no policy '${id}'` })
    return d
  }

  info(d: Deployment) {
    return {
      id: d.id,
      kind: d.config.spec.kind,
      default: d.id === this.defaultDeployment,
      state: d.state,
      sessions: d.sessions.size,
      ...(d.metadata === undefined ? {} : { metadata: wireMetadata(d.metadata) })
    }
  }

  /** Adds a deployment from the admin endpoint; `module` deployments only when the config allows it. */
  addDeployment(spec: DeploymentSpec): Deployment {
    if (spec.kind === "module" && !this.config.allowAdminModules) {
      throw new GatewayError({ reason: "InvalidField", field: "kind", message: "kind 'module' can only be declared in the config file" })
    }
    if (this.deployments.has(spec.id)) throw new GatewayError({ reason: "Conflict", message: `policy '${spec.id}' already exists` })
    const d = new Deployment(resolveDeployment(spec), this.metrics)
    this.deployments.set(d.id, d)
    return d
  }

  async removeDeployment(id: string): Promise<void> {
    const d = this.deployment(id)
    this.deployments.delete(id)
    await d.stop()
  }

  /** One act call (stateless when `sid` is null), timed end to end from `startedAt`. */
  async act(id: string, sid: string | null, observation: WireObservation, instruction: string, startedAt: number): Promise<ActResponse> {
    const d = this.deployment(id)
    if (sid !== null) d.requireSession(sid)
    const metadata = await d.ensureStarted()
    const result = await d.act(sid, fromWire(observation, metadata), instruction)
    return {
      actions: result.actions,
      timings: { queue_ms: round(result.queueMs), infer_ms: round(result.inferMs), total_ms: round(performance.now() - startedAt) },
      batch_size: result.batchSize
    }
  }

  // ------------------------------------------------------------------------------------------- drain

  /** Refuses new calls, waits for those in flight (up to `timeoutMs`), then stops every deployment. */
  async drain(timeoutMs = this.config.drainTimeoutMs): Promise<void> {
    this.draining = true
    if (this.inflight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs)
        this.drained = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
    await this.close()
  }

  async close(): Promise<void> {
    this.draining = true
    await Promise.all([...this.deployments.values()].map((d) => d.stop()))
  }
}

const round = (ms: number) => Math.round(ms * 1000) / 1000
