/**
 * The Hono app: mounts the route table with the gateway's middleware (request log and metrics, drain,
 * auth, rate limit, body size, content type, JSON, Schema) and maps every `GatewayError` to its status
 * and JSON body in one place.
 *
 * @since 0.1.0
 */
import { Hono } from "hono"
import type { Context } from "hono"
import { randomUUID } from "node:crypto"
import type { Gateway } from "./Gateway.ts"
import { GatewayError, toGatewayError } from "./GatewayError.ts"
import { makeDecoder } from "./internal/decode.ts"
import { honoPath, type Route, routeNotFound, routes } from "./Routes.ts"

/**
 * Reads the body up to `max` bytes. A longer one is a 413; its remaining bytes are read and dropped (up to
 * `DRAIN_CAP`) so that the client, still sending, receives the 413 instead of a reset connection.
 */
const DRAIN_CAP = 64 * 1024 * 1024

const readBody = async (c: Context, max: number): Promise<string> => {
  const declared = Number(c.req.header("content-length") ?? "0")
  if (declared > DRAIN_CAP) throw tooLarge(max)
  const stream = c.req.raw.body
  if (stream === null) return ""
  const reader = stream.getReader()
  const chunks: Array<Uint8Array> = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > DRAIN_CAP) {
      await reader.cancel().catch(() => {})
      break
    }
    if (size <= max) chunks.push(value)
  }
  if (size > max) throw tooLarge(max)
  return new TextDecoder("utf-8").decode(Buffer.concat(chunks))
}

const tooLarge = (max: number) => new GatewayError({ reason: "PayloadTooLarge", message: `body larger than ${max} bytes` })

const clientAddress = (c: Context): string => {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming
  return incoming?.socket?.remoteAddress ?? "unknown"
}

const errorResponse = (c: Context, error: GatewayError): Response => {
  if (error.retryAfter !== undefined) c.header("Retry-After", String(error.retryAfter))
  return c.json(error.toBody(), error.status as 400)
}

const mount = (app: Hono, gateway: Gateway, route: Route): void => {
  const decode = route.body === undefined ? undefined : makeDecoder(route.body as any)
  app.on(route.method.toUpperCase(), honoPath(route.path), async (c) => {
    c.set("route" as never, route.path as never)
    const startedAt = (c.get("startedAt" as never) as number | undefined) ?? performance.now()
    let counted = false
    try {
      if (route.drains) {
        gateway.begin()
        counted = true
      }
      if (route.auth) {
        const identity = gateway.authenticate(c.req.header("authorization"), c.req.header("x-api-key"), clientAddress(c))
        gateway.rateLimit(identity)
      }
      let body: unknown = undefined
      if (decode !== undefined) {
        const text = await readBody(c, gateway.config.maxBodyBytes)
        if (text.length === 0 && route.bodyOptional === true) body = {}
        else {
          const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase()
          if (type !== "application/json") {
            throw new GatewayError({ reason: "UnsupportedMediaType", message: "the body must be application/json" })
          }
          let parsed: unknown
          try {
            parsed = JSON.parse(text)
          } catch {
            throw new GatewayError({ reason: "InvalidJson", message: "the body is not valid JSON" })
          }
          body = decode(parsed)
        }
      }
      return await route.handler({ params: c.req.param() as Record<string, string>, body, gateway, startedAt, c })
    } catch (error) {
      const failure = toGatewayError(error)
      if (!(error instanceof GatewayError)) {
        gateway.log({ level: "error", msg: "unexpected error", route: route.path, error: String(error) })
      }
      return errorResponse(c, failure)
    } finally {
      if (counted) gateway.end()
    }
  })
}

/**
 * Builds the app for a gateway. The WebSocket endpoints are attached to the Node server separately
 * (`Server.ts`), because they answer the HTTP upgrade before Hono sees the request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeApp = (gateway: Gateway): Hono => {
  const app = new Hono()
  // One JSON log line and one metrics sample per request.
  app.use("*", async function requestLog(c, next) {
    const startedAt = performance.now()
    const given = c.req.header("x-request-id")
    const requestId = given !== undefined && /^[A-Za-z0-9._:-]{1,64}$/.test(given) ? given : randomUUID()
    c.set("startedAt" as never, startedAt as never)
    c.header("x-request-id", requestId)
    await next()
    const seconds = (performance.now() - startedAt) / 1000
    const route = (c.get("route" as never) as string | undefined) ?? "unmatched"
    gateway.metrics.request(route, c.req.method, c.res.status, seconds)
    gateway.log({
      msg: "request",
      request_id: requestId,
      method: c.req.method,
      path: c.req.path.slice(0, 200),
      route,
      status: c.res.status,
      ms: Math.round(seconds * 100_000) / 100
    })
  })
  for (const route of routes) mount(app, gateway, route)
  app.notFound((c) => errorResponse(c, routeNotFound(c.req.method, c.req.path)))
  app.onError((error, c) => errorResponse(c, toGatewayError(error)))
  return app
}
