/**
 * The openpi-compatible WebSocket endpoint (`websocket_policy_server.py` + `msgpack_numpy.py`): on connect
 * the metadata frame, then one msgpack action dict per msgpack observation dict. Failures follow openpi: a
 * text frame describing the error (no stack or internals here), then close code 1011.
 *
 * Each connection holds one session (one policy instance with its own history) for its lifetime;
 * openpi's `episode_start` control message resets it.
 *
 * @since 0.1.0
 */
import type { IncomingMessage, Server } from "node:http"
import type { Duplex } from "node:stream"
import { WebSocket, WebSocketServer } from "ws"
import type { Deployment } from "./Deployment.ts"
import type { Gateway } from "./Gateway.ts"
import { GatewayError, toGatewayError } from "./GatewayError.ts"
import { ClientError, MsgpackNumpy, NdArray } from "@robovla/client"
import { fromOpenpi, wireMetadata } from "./Observations.ts"

const refuse = (socket: Duplex, error: GatewayError): void => {
  const body = JSON.stringify(error.toBody())
  const retry = error.retryAfter === undefined ? "" : `Retry-After: ${error.retryAfter}\r\n`
  socket.end(
    `HTTP/1.1 ${error.status} ${error.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${retry}Connection: close\r\n\r\n${body}`
  )
}

/** Which deployment an upgrade path names: `/` is the default one, `/ws/{id}` any other. */
const deploymentId = (gateway: Gateway, url: string | undefined): string | undefined => {
  const path = new URL(url ?? "/", "http://gateway").pathname
  if (path === "/" || path === "/ws" || path === "/ws/") return gateway.defaultDeployment
  const match = /^\/ws\/([^/]+)\/?$/.exec(path)
  if (match === null) return undefined
  try {
    return decodeURIComponent(match[1]!)
  } catch {
    return undefined
  }
}

/**
 * Handles WebSocket upgrades on `server` for the gateway; returns the set of open sockets (closed on drain).
 *
 * @since 0.1.0
 * @category constructors
 */
export const attachOpenpiSocket = (server: Server, gateway: Gateway): Set<WebSocket> => {
  const open = new Set<WebSocket>()
  const wss = new WebSocketServer({ noServer: true, maxPayload: gateway.config.maxMessageBytes, perMessageDeflate: false })
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy())
    try {
      if (gateway.draining) throw new GatewayError({ reason: "Draining", message: "the gateway is shutting down", retryAfter: 5 })
      const header = request.headers["x-api-key"]
      const identity = gateway.authenticate(request.headers.authorization, Array.isArray(header) ? header[0] : header, request.socket.remoteAddress ?? "unknown")
      gateway.rateLimit(identity)
      const id = deploymentId(gateway, request.url)
      if (id === undefined) throw new GatewayError({ reason: "RouteNotFound", message: "WebSocket paths are / and /ws/{id}" })
      const deployment = gateway.deployment(id)
      wss.handleUpgrade(request, socket, head, (ws) => {
        open.add(ws)
        ws.on("close", () => open.delete(ws))
        serveConnection(ws, gateway, deployment, identity)
      })
    } catch (error) {
      refuse(socket, toGatewayError(error))
    }
  })
  return open
}

const serveConnection = (ws: WebSocket, gateway: Gateway, deployment: Deployment, identity: string): void => {
  gateway.metrics.wsConnections.inc({}, 1)
  gateway.log({ msg: "websocket open", deployment: deployment.id })
  let sid: string | undefined
  let closed = false
  let prevTotalMs: number | undefined
  const fail = (error: GatewayError) => {
    if (closed) return
    closed = true
    gateway.metrics.error(`ws_${error.reason}`)
    ws.send(`GatewayError(${error.reason}): ${error.message}`)
    ws.close(1011, "Internal server error. Error included in previous frame.")
  }
  // The session is opened before any message is handled: messages wait on `ready`, then on each other.
  const ready = (async () => {
    const metadata = await deployment.ensureStarted()
    sid = await deployment.createSession(true)
    if (closed) deployment.dropSession(sid)
    else ws.send(MsgpackNumpy.encode({ ...wireMetadata(metadata), policy_id: deployment.id, protocol: "openpi-msgpack-numpy" }))
    return metadata
  })()
  ready.catch((error) => fail(toGatewayError(error)))
  let chain: Promise<unknown> = ready

  const handle = async (data: Buffer, isBinary: boolean): Promise<void> => {
    if (closed) return
    const receivedAt = performance.now()
    let counted = false
    try {
      const metadata = await ready
      gateway.begin()
      counted = true
      gateway.rateLimit(identity)
      if (!isBinary) throw new GatewayError({ reason: "InvalidJson", message: "expected a binary msgpack frame" })
      let message: unknown
      try {
        message = MsgpackNumpy.decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
      } catch (error) {
        throw new GatewayError({ reason: "InvalidJson", message: error instanceof ClientError ? `not valid msgpack: ${error.message}` : "not valid msgpack" })
      }
      const control = typeof message === "object" && message !== null ? (message as Record<string, unknown>)["__ctrl__"] : undefined
      if (control !== undefined) {
        if (control === "episode_start") await deployment.resetSession(sid!)
        else if (control !== "episode_end") throw new GatewayError({ reason: "InvalidField", field: "__ctrl__", message: "__ctrl__ must be episode_start or episode_end" })
        ws.send(MsgpackNumpy.encode({ ok: true }))
        return
      }
      const { observation, instruction } = fromOpenpi(message, deployment.config.observationKeys, metadata)
      const started = performance.now()
      const result = await deployment.act(sid!, observation, instruction)
      const inferMs = performance.now() - started
      const flat = new Float64Array(result.actions.length * 7)
      result.actions.forEach((action, i) => flat.set(action, i * 7))
      if (closed) return
      ws.send(
        MsgpackNumpy.encode({
          actions: NdArray.fromFloat64(flat, [result.actions.length, 7]),
          server_timing: prevTotalMs === undefined ? { infer_ms: inferMs } : { infer_ms: inferMs, prev_total_ms: prevTotalMs },
          policy_timing: { infer_ms: result.inferMs, queue_ms: result.queueMs, batch_size: result.batchSize }
        })
      )
      prevTotalMs = performance.now() - receivedAt
    } catch (error) {
      if (!(error instanceof GatewayError)) gateway.log({ level: "error", msg: "unexpected websocket error", error: String(error) })
      fail(toGatewayError(error))
    } finally {
      if (counted) gateway.end()
    }
  }

  ws.on("message", (data: Buffer, isBinary: boolean) => {
    chain = chain.then(() => handle(data, isBinary), () => undefined)
  })
  ws.on("error", () => ws.terminate())
  ws.on("close", () => {
    closed = true
    gateway.metrics.wsConnections.inc({}, -1)
    gateway.log({ msg: "websocket close", deployment: deployment.id })
    if (sid !== undefined) deployment.dropSession(sid)
  })
}

/**
 * Closes every open socket with 1001 (going away), used at the end of a drain.
 *
 * @since 0.1.0
 * @category utils
 */
export const closeSockets = (open: Set<WebSocket>): void => {
  for (const ws of open) if (ws.readyState === WebSocket.OPEN) ws.close(1001, "server shutting down")
}
