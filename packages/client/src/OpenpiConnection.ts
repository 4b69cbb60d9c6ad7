/**
 * An openpi-protocol WebSocket connection (`websocket_policy_server.py`): the server sends a metadata frame on
 * connect, then answers each msgpack observation dict with one msgpack action dict, exactly as openpi's
 * `WebsocketClientPolicy` does, so it talks to the robovla gateway and to any openpi policy server.
 *
 * @since 0.1.0
 */
import type { ObservationFrame } from "@robovla/sdk"
import { WebSocket } from "ws"
import { ClientError } from "./ClientError.ts"
import { decode, encode, NdArray } from "./MsgpackNumpy.ts"

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

const asDict = (value: unknown, what: string): Record<string, unknown> => {
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof NdArray || value instanceof Uint8Array) {
    throw new ClientError({ reason: "InvalidReply", message: `${what} is not a msgpack map` })
  }
  return value as Record<string, unknown>
}

/**
 * `infer(dict)` sends one msgpack observation dict and returns the decoded reply, like openpi's
 * `WebsocketClientPolicy.infer`; `act` does the same from an SDK observation.
 *
 * @since 0.1.0
 * @category clients
 */
export class OpenpiConnection {
  private readonly waiting: Array<{ resolve: (data: Buffer | string) => void; reject: (e: ClientError) => void }> = []
  private closedWith: ClientError | undefined

  private constructor(
    readonly socket: WebSocket,
    readonly metadata: Record<string, unknown>
  ) {
    socket.on("message", (data: Buffer, isBinary: boolean) => this.waiting.shift()?.resolve(isBinary ? data : data.toString("utf8")))
    socket.on("close", (code: number, reason: Buffer) => {
      this.closedWith = new ClientError({ reason: "Unreachable", message: `connection closed (${code}${reason.length > 0 ? `: ${reason.toString()}` : ""})` })
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
          reject(new ClientError({ reason: "HttpError", status: res.statusCode ?? 0, code, message }))
        })
      })
      socket.once("error", (error) => reject(new ClientError({ reason: "Unreachable", message: `${url}: ${error.message}` })))
      socket.once("message", (data: Buffer, isBinary: boolean) => {
        if (!isBinary) return reject(new ClientError({ reason: "ServerError", message: `Error in inference server:\n${data.toString("utf8")}` }))
        try {
          resolve(new OpenpiConnection(socket, asDict(decode(new Uint8Array(data)), "the metadata frame")))
        } catch (error) {
          socket.close()
          reject(error)
        }
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
    if (typeof data === "string") throw new ClientError({ reason: "ServerError", message: `Error in inference server:\n${data}` })
    return asDict(decode(new Uint8Array(data)), "the reply")
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
    if (!(actions instanceof NdArray) || actions.shape.length !== 2) throw new ClientError({ reason: "InvalidReply", message: "reply has no (N, D) actions array" })
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
