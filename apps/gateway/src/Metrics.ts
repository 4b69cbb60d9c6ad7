/**
 * Prometheus metrics in the text exposition format (v0.0.4), written by hand: counters, gauges and
 * histograms with labels, enough for latency, batch sizes, cold starts and errors by kind.
 *
 * @since 0.1.0
 */

type Labels = Readonly<Record<string, string>>

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128]

const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')
const labelText = (labels: Labels, extra?: [string, string]): string => {
  const entries = Object.entries(labels)
  if (extra !== undefined) entries.push(extra)
  return entries.length === 0 ? "" : `{${entries.map(([k, v]) => `${k}="${escape(v)}"`).join(",")}}`
}
const keyOf = (labels: Labels) => JSON.stringify(Object.entries(labels))

class Counter {
  readonly values = new Map<string, { labels: Labels; value: number }>()
  constructor(readonly name: string, readonly help: string, readonly type: "counter" | "gauge" = "counter") {}
  inc(labels: Labels = {}, by = 1): void {
    const key = keyOf(labels)
    const entry = this.values.get(key)
    if (entry === undefined) this.values.set(key, { labels, value: by })
    else entry.value += by
  }
  set(labels: Labels, value: number): void {
    this.values.set(keyOf(labels), { labels, value })
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`]
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${labelText(labels)} ${value}`)
    return lines.join("\n")
  }
}

class Histogram {
  readonly series = new Map<string, { labels: Labels; counts: Array<number>; sum: number; count: number }>()
  constructor(readonly name: string, readonly help: string, readonly buckets: ReadonlyArray<number>) {}
  observe(labels: Labels, value: number): void {
    const key = keyOf(labels)
    let s = this.series.get(key)
    if (s === undefined) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }
      this.series.set(key, s)
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++
    s.sum += value
    s.count++
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`]
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket${labelText(s.labels, ["le", String(b)])} ${s.counts[i]}`))
      lines.push(`${this.name}_bucket${labelText(s.labels, ["le", "+Inf"])} ${s.count}`)
      lines.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`)
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.count}`)
    }
    return lines.join("\n")
  }
}

/**
 * The gateway's metrics registry.
 *
 * @since 0.1.0
 * @category models
 */
export class Metrics {
  readonly requests = new Counter("robovla_gateway_requests_total", "HTTP requests by route, method and status")
  readonly requestSeconds = new Histogram("robovla_gateway_request_duration_seconds", "HTTP request latency by route", LATENCY_BUCKETS)
  readonly batchSize = new Histogram("robovla_gateway_batch_size", "Calls per actBatch sent to a deployment", BATCH_BUCKETS)
  readonly inferSeconds = new Histogram("robovla_gateway_infer_duration_seconds", "actBatch time inside the worker", LATENCY_BUCKETS)
  readonly coldStarts = new Counter("robovla_gateway_cold_starts_total", "Deployment worker cold starts")
  readonly coldStartSeconds = new Histogram("robovla_gateway_cold_start_duration_seconds", "Time to load a deployment", LATENCY_BUCKETS)
  readonly unloads = new Counter("robovla_gateway_unloads_total", "Deployments unloaded after their idle timeout")
  readonly errors = new Counter("robovla_gateway_errors_total", "Errors by kind")
  readonly wsConnections = new Counter("robovla_gateway_websocket_connections", "Open WebSocket connections", "gauge")
  readonly inflight = new Counter("robovla_gateway_inflight_requests", "Requests being handled", "gauge")
  readonly executionProvider = new Counter("robovla_gateway_execution_provider", "1 for the execution provider a loaded deployment runs on (onnx exports)", "gauge")

  request(route: string, method: string, status: number, seconds: number): void {
    this.requests.inc({ route, method, status: String(status) })
    this.requestSeconds.observe({ route }, seconds)
  }
  batch(deployment: string, size: number, inferSeconds: number): void {
    this.batchSize.observe({ deployment }, size)
    this.inferSeconds.observe({ deployment }, inferSeconds)
  }
  coldStart(deployment: string, seconds: number): void {
    this.coldStarts.inc({ deployment })
    this.coldStartSeconds.observe({ deployment }, seconds)
  }
  /** Records which execution provider a deployment loaded on (one series per deployment). */
  provider(deployment: string, provider: string): void {
    for (const [key, entry] of this.executionProvider.values) if (entry.labels["deployment"] === deployment) this.executionProvider.values.delete(key)
    this.executionProvider.set({ deployment, provider }, 1)
  }
  unload(deployment: string): void {
    this.unloads.inc({ deployment })
  }
  error(kind: string): void {
    this.errors.inc({ kind })
  }

  /** The whole registry in Prometheus text format. */
  render(): string {
    return [
      this.requests, this.requestSeconds, this.batchSize, this.inferSeconds, this.coldStarts, this.coldStartSeconds,
      this.unloads, this.errors, this.wsConnections, this.inflight, this.executionProvider
    ].map((m) => m.render()).join("\n") + "\n"
  }
}
