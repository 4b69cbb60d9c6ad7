/**
 * A typed REST client for the robovla gateway. Replies are decoded with the wire Schemas; every failure is a
 * `ClientError` (`HttpError` with the gateway's status, code and field; `Timeout`; `Unreachable`;
 * `InvalidReply`). `connect()` opens the openpi WebSocket on the same server.
 *
 * @example
 * ```ts
 * const client = new PolicyClient({ baseUrl: "http://127.0.0.1:8000" })
 * const { actions } = await client.act("expert", observation, "open the drawer")
 * const ws = await client.connect("expert")
 * const reply = await ws.act(observation, "open the drawer")
 * await ws.close()
 * ```
 *
 * @since 0.1.0
 */
import type { ObservationFrame } from "@robovla/sdk"
import { Schema } from "effect"
import { ClientError } from "./ClientError.ts"
import { encodePng } from "./Images.ts"
import { OpenpiConnection } from "./OpenpiConnection.ts"
import * as Wire from "./Wire.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface PolicyClientOptions {
  /** e.g. `http://127.0.0.1:8000` */
  readonly baseUrl: string
  readonly apiKey?: string | undefined
  /** How camera frames travel: raw bytes (fastest to decode) or PNG (smaller). */
  readonly imageEncoding?: "raw" | "png" | undefined
  readonly timeoutMs?: number | undefined
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")

/**
 * SDK observation → REST wire observation.
 *
 * @since 0.1.0
 * @category encoding
 */
export const toWireObservation = (observation: ObservationFrame, imageEncoding: "raw" | "png" = "raw"): Wire.WireObservation => {
  const image = (img: NonNullable<ObservationFrame["rgbStatic"]>): Wire.WireImage =>
    imageEncoding === "png"
      ? { data: base64(encodePng(img)), encoding: "png", height: img.height, width: img.width }
      : { data: base64(img.data), height: img.height, width: img.width }
  return {
    robot_obs: [...observation.robotObs],
    scene_obs: [...observation.sceneObs],
    ...(observation.rgbStatic === undefined ? {} : { rgb_static: image(observation.rgbStatic) }),
    ...(observation.rgbGripper === undefined ? {} : { rgb_gripper: image(observation.rgbGripper) })
  }
}

const isFrame = (o: ObservationFrame | Wire.WireObservation): o is ObservationFrame => "robotObs" in o

const decodeErrorBody = Schema.decodeUnknownOption(Wire.ErrorBody)

/** A JSON reply decoded with its Schema; anything else is `InvalidReply`. */
const decodeReply = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, what: string) => {
  const decode = Schema.decodeUnknownExit(schema)
  return (body: unknown): S["Type"] => {
    const exit = decode(body)
    if (exit._tag === "Success") return exit.value
    throw new ClientError({ reason: "InvalidReply", message: `${what}: the reply does not match the wire schema: ${String(exit.cause)}` })
  }
}

const replies = {
  health: decodeReply(Wire.Health, "GET /healthz"),
  list: decodeReply(Wire.PolicyList, "GET /v1/policies"),
  info: decodeReply(Wire.PolicyInfo, "GET /v1/policies/{id}"),
  act: decodeReply(Wire.ActResponse, "act"),
  // Only what the client reads: other servers of this API need not echo the policy id.
  session: decodeReply(Schema.Struct({ session_id: Wire.SessionCreated.fields.session_id }), "create session")
}

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

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response
    let text: string
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: this.headers(body !== undefined),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000)
      })
      text = await response.text()
    } catch (error) {
      const name = (error as { name?: string } | undefined)?.name
      if (name === "TimeoutError" || name === "AbortError") {
        throw new ClientError({ reason: "Timeout", message: `${method} ${path}: no reply within ${this.options.timeoutMs ?? 60_000} ms` })
      }
      throw new ClientError({ reason: "Unreachable", message: `${method} ${path}: ${(error as Error)?.message ?? String(error)}` })
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = undefined
    }
    if (!response.ok) {
      const error = decodeErrorBody(parsed)
      const retry = response.headers.get("retry-after")
      const body = error._tag === "Some" ? error.value.error : undefined
      throw new ClientError({
        reason: "HttpError",
        status: response.status,
        code: body?.code ?? "HttpError",
        message: body?.message ?? `HTTP ${response.status}`,
        ...(body?.field === undefined ? {} : { field: body.field }),
        ...(retry === null || !Number.isFinite(Number(retry)) ? {} : { retryAfter: Number(retry) })
      })
    }
    if (parsed === undefined) throw new ClientError({ reason: "InvalidReply", message: `${method} ${path}: the reply is not JSON` })
    return parsed
  }

  private wire(observation: ObservationFrame | Wire.WireObservation): Wire.WireObservation {
    return isFrame(observation) ? toWireObservation(observation, this.options.imageEncoding) : observation
  }

  async health(): Promise<typeof Wire.Health.Type> {
    return replies.health(await this.call("GET", "/healthz"))
  }

  async listPolicies(): Promise<ReadonlyArray<Wire.PolicyInfo>> {
    return replies.list(await this.call("GET", "/v1/policies")).policies
  }

  async getPolicy(id: string): Promise<Wire.PolicyInfo> {
    return replies.info(await this.call("GET", `/v1/policies/${encodeURIComponent(id)}`))
  }

  /** Stateless call: a fresh policy history each time. */
  async act(id: string, observation: ObservationFrame | Wire.WireObservation, instruction: string): Promise<Wire.ActResponse> {
    return replies.act(await this.call("POST", `/v1/policies/${encodeURIComponent(id)}/act`, { observation: this.wire(observation), instruction }))
  }

  async createSession(id: string): Promise<string> {
    return replies.session(await this.call("POST", `/v1/policies/${encodeURIComponent(id)}/sessions`, {})).session_id
  }

  async sessionAct(id: string, sid: string, observation: ObservationFrame | Wire.WireObservation, instruction: string): Promise<Wire.ActResponse> {
    const path = `/v1/policies/${encodeURIComponent(id)}/sessions/${encodeURIComponent(sid)}/act`
    return replies.act(await this.call("POST", path, { observation: this.wire(observation), instruction }))
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
