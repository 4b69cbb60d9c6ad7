/**
 * A typed client for the gateway: REST calls (`PolicyClient`) and the openpi WebSocket
 * (`OpenpiConnection`, msgpack + numpy arrays exactly as openpi's `msgpack_numpy` packs them, so it also
 * talks to any openpi policy server). Used by the bench's remote adapter.
 *
 * @example
 * ```ts
 * const client = new PolicyClient({ baseUrl: "http://127.0.0.1:8000" })
 * const { actions } = await client.act("expert", observation, "open the drawer")
 * const ws = await client.connect("expert")
 * const reply = await ws.act(observation, "open the drawer")
 * ws.close()
 * ```
 *
 * @since 0.1.0
 */
import type { ObservationFrame } from "@robovla/sdk"
import { WebSocket } from "ws"
import type { ActResponse, WireMetadata, WireObservation } from "../Api.ts"
import { encodePng } from "../Images.ts"
import { decode, encode, NdArray } from "../MsgpackNumpy.ts"

export { NdArray } from "../MsgpackNumpy.ts"

/**
 * A gateway error as the client sees it: HTTP status plus the `{error: {code, message, field}}` body.
 *
 * @since 0.1.0
 * @category errors
 */
export class PolicyClientError extends Error {
  override readonly name = "PolicyClientError"
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly retryAfter?: number
  ) {
    super(message)
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PolicyClientOptions {
  /** e.g. `http://127.0.0.1:8000` */
  readonly baseUrl: string
  readonly apiKey?: string | undefined
  /** How camera frames travel: raw bytes (fastest to decode) or PNG (smaller). */
  readonly imageEncoding?: "raw" | "png"
  readonly timeoutMs?: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PolicyInfo {
  readonly id: string
  readonly kind: string
  readonly default: boolean
  readonly state: "cold" | "starting" | "warm" | "failed"
  readonly sessions: number
  readonly metadata?: WireMetadata
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")

/**
 * SDK observation → REST wire observation.
 *
 * @since 0.1.0
 * @category encoding
 */
export const toWireObservation = (observation: ObservationFrame, imageEncoding: "raw" | "png" = "raw"): WireObservation => {
  const image = (img: NonNullable<ObservationFrame["rgbStatic"]>) =>
    imageEncoding === "png"
      ? { data: base64(encodePng(img)), encoding: "png" as const, height: img.height, width: img.width }
      : { data: base64(img.data), height: img.height, width: img.width }
  return {
    robot_obs: [...observation.robotObs],
    scene_obs: [...observation.sceneObs],
    ...(observation.rgbStatic === undefined ? {} : { rgb_static: image(observation.rgbStatic) }),
    ...(observation.rgbGripper === undefined ? {} : { rgb_gripper: image(observation.rgbGripper) })
  }
}

const isFrame = (o: ObservationFrame | WireObservation): o is ObservationFrame => "robotObs" in o

/**
 * REST client.
 *
 * @since 0.1.0
 * @category clients
 */
export class PolicyClient {
  private readonly baseUrl: string

  constructor(readonly options: PolicyClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "")
  }

  private headers(json: boolean): Record<string, string> {
    return {
      ...(json ? { "content-type": "application/json" } : {}),
      ...(this.options.apiKey === undefined ? {} : { authorization: `Bearer ${this.options.apiKey}` })
    }
  }

  private async call<A>(method: string, path: string, body?: unknown): Promise<A> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: this.headers(body !== undefined),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000)
    })
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = undefined
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error
      const retry = response.headers.get("retry-after")
      throw new PolicyClientError(response.status, error?.code ?? "HttpError", error?.message ?? `HTTP ${response.status}`, error?.field, retry === null ? undefined : Number(retry))
    }
    return parsed as A
  }

  private wire(observation: ObservationFrame | WireObservation): WireObservation {
    return isFrame(observation) ? toWireObservation(observation, this.options.imageEncoding) : observation
  }

  health(): Promise<{ status: string }> {
    return this.call("GET", "/healthz")
  }

  async listPolicies(): Promise<ReadonlyArray<PolicyInfo>> {
    return (await this.call<{ policies: ReadonlyArray<PolicyInfo> }>("GET", "/v1/policies")).policies
  }

  getPolicy(id: string): Promise<PolicyInfo> {
    return this.call("GET", `/v1/policies/${encodeURIComponent(id)}`)
  }

  /** Stateless call: a fresh policy history each time. */
  act(id: string, observation: ObservationFrame | WireObservation, instruction: string): Promise<ActResponse> {
    return this.call("POST", `/v1/policies/${encodeURIComponent(id)}/act`, { observation: this.wire(observation), instruction })
  }

  async createSession(id: string): Promise<string> {
    return (await this.call<{ session_id: string }>("POST", `/v1/policies/${encodeURIComponent(id)}/sessions`, {})).session_id
  }

  sessionAct(id: string, sid: string, observation: ObservationFrame | WireObservation, instruction: string): Promise<ActResponse> {
    return this.call("POST", `/v1/policies/${encodeURIComponent(id)}/sessions/${encodeURIComponent(sid)}/act`, { observation: this.wire(observation), instruction })
  }

  async resetSession(id: string, sid: string): Promise<void> {
    await this.call("POST", `/v1/policies/${encodeURIComponent(id)}/sessions/${encodeURIComponent(sid)}/reset`, {})
  }

  async deleteSession(id: string, sid: string): Promise<void> {
    await this.call("DELETE", `/v1/policies/${encodeURIComponent(id)}/sessions/${encodeURIComponent(sid)}`)
  }

  /** Opens the openpi WebSocket to a policy (`undefined`: the default policy at `/`). */
  connect(id?: string): Promise<OpenpiConnection> {
    const ws = this.baseUrl.replace(/^http/, "ws")
    return OpenpiConnection.open(id === undefined ? `${ws}/` : `${ws}/ws/${encodeURIComponent(id)}`, { apiKey: this.options.apiKey })
  }
}

/**
 * A reply to one observation on the WebSocket.
 *
 * @since 0.1.0
 * @category models
 */
export interface OpenpiReply {
  readonly actions: ReadonlyArray<ReadonlyArray<number>>
  readonly raw: Record<string, unknown>
}

/**
 * An openpi-protocol WebSocket connection: `infer(dict)` sends one msgpack observation dict and returns
 * the decoded reply, like openpi's `WebsocketClientPolicy.infer`.
 *
 * @since 0.1.0
 * @category clients
 */
export class OpenpiConnection {
  private readonly waiting: Array<{ resolve: (data: Buffer | string) => void; reject: (e: Error) => void }> = []
  private closedWith: Error | undefined

  private constructor(
    readonly socket: WebSocket,
    readonly metadata: Record<string, unknown>
  ) {
    socket.on("message", (data: Buffer, isBinary: boolean) => this.waiting.shift()?.resolve(isBinary ? data : data.toString("utf8")))
    socket.on("close", (code: number, reason: Buffer) => {
      this.closedWith = new Error(`connection closed (${code}${reason.length > 0 ? `: ${reason.toString()}` : ""})`)
      for (const w of this.waiting.splice(0)) w.reject(this.closedWith)
    })
  }

  /** Connects and waits for the metadata frame. Sends openpi's `Authorization: Api-Key <key>`. */
  static open(url: string, options: { readonly apiKey?: string | undefined } = {}): Promise<OpenpiConnection> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, {
        perMessageDeflate: false,
        ...(options.apiKey === undefined ? {} : { headers: { authorization: `Api-Key ${options.apiKey}` } })
      })
      socket.once("unexpected-response", (_req, res) => {
        let body = ""
        res.on("data", (chunk: Buffer) => (body += chunk.toString()))
        res.on("end", () => {
          let code = "HttpError"
          let message = `HTTP ${res.statusCode}`
          try {
            const parsed = JSON.parse(body) as { error: { code: string; message: string } }
            code = parsed.error.code
            message = parsed.error.message
          } catch { /* not a gateway body */ }
          reject(new PolicyClientError(res.statusCode ?? 0, code, message))
        })
      })
      socket.once("error", reject)
      socket.once("message", (data: Buffer, isBinary: boolean) => {
        if (!isBinary) return reject(new Error(`Error in inference server:\n${data.toString("utf8")}`))
        resolve(new OpenpiConnection(socket, decode(new Uint8Array(data)) as Record<string, unknown>))
      })
    })
  }

  private next(): Promise<Buffer | string> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith)
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }))
  }

  /** Sends one msgpack-encoded dict (values may be `NdArray`s) and decodes the reply. */
  async infer(observation: Record<string, unknown>): Promise<Record<string, unknown>> {
    const reply = this.next()
    this.socket.send(encode(observation))
    const data = await reply
    if (typeof data === "string") throw new Error(`Error in inference server:\n${data}`)
    return decode(new Uint8Array(data)) as Record<string, unknown>
  }

  /** An SDK observation in openpi's key names (`observation/state`, `observation/image`, …, `prompt`). */
  async act(observation: ObservationFrame, instruction: string): Promise<OpenpiReply> {
    const dict: Record<string, unknown> = {
      "observation/state": NdArray.fromFloat32(Float32Array.from(observation.robotObs), [observation.robotObs.length]),
      "observation/scene_state": NdArray.fromFloat32(Float32Array.from(observation.sceneObs), [observation.sceneObs.length]),
      prompt: instruction
    }
    if (observation.rgbStatic !== undefined) {
      dict["observation/image"] = NdArray.fromUint8(observation.rgbStatic.data, [observation.rgbStatic.height, observation.rgbStatic.width, 3])
    }
    if (observation.rgbGripper !== undefined) {
      dict["observation/wrist_image"] = NdArray.fromUint8(observation.rgbGripper.data, [observation.rgbGripper.height, observation.rgbGripper.width, 3])
    }
    const raw = await this.infer(dict)
    const actions = raw["actions"]
    if (!(actions instanceof NdArray) || actions.shape.length !== 2) throw new Error("reply has no (N, D) actions array")
    const flat = actions.toNumbers()
    const [n, d] = actions.shape as [number, number]
    return { actions: Array.from({ length: n }, (_, i) => flat.slice(i * d, (i + 1) * d)), raw }
  }

  /** openpi's `episode_start` control message: resets this connection's session history. */
  async episodeStart(): Promise<void> {
    await this.infer({ __ctrl__: "episode_start", __experiment__: "", __task__: "", __episode_id__: -1 })
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve()
    return new Promise((resolve) => {
      this.socket.once("close", () => resolve())
      this.socket.close(1000)
    })
  }
}
