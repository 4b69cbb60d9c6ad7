/**
 * Binds a gateway to a real port: the Hono app through `@hono/node-server`, the openpi WebSocket on the
 * same server, and a `drain()` that finishes in-flight calls before closing.
 *
 * @since 0.1.0
 */
import { createAdaptorServer } from "@hono/node-server"
import type { Hono } from "hono"
import type { AddressInfo } from "node:net"
import type { Server } from "node:http"
import { makeApp } from "./App.ts"
import type { GatewayConfig } from "./Config.ts"
import { Gateway, type GatewayOptions } from "./Gateway.ts"
import { attachOpenpiSocket, closeSockets } from "./OpenpiSocket.ts"

/**
 * A listening gateway.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunningGateway {
  readonly gateway: Gateway
  readonly app: Hono
  readonly server: Server
  readonly host: string
  readonly port: number
  /** `http://host:port` */
  readonly url: string
  /** Refuse new calls, finish those in flight, close sockets and workers, stop listening. */
  readonly drain: (timeoutMs?: number) => Promise<void>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface StartOptions extends GatewayOptions {
  /** Wait for `preload` deployments before resolving (default: load them in the background). */
  readonly awaitPreload?: boolean
}

/**
 * Starts a gateway on `config.host:config.port` (port 0 picks a free one).
 *
 * @since 0.1.0
 * @category constructors
 */
export const startGateway = async (config: GatewayConfig, options: StartOptions = {}): Promise<RunningGateway> => {
  const gateway = new Gateway(config, options)
  const app = makeApp(gateway)
  const server = createAdaptorServer({ fetch: app.fetch }) as Server
  server.requestTimeout = 120_000
  server.headersTimeout = 30_000
  const sockets = attachOpenpiSocket(server, gateway)
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(config.port, config.host, () => {
      server.off("error", reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const preload = gateway.preload().catch((error) => gateway.log({ level: "error", msg: "preload failed", error: String(error.message ?? error) }))
  if (options.awaitPreload === true) await preload
  const host = config.host.includes(":") ? `[${config.host}]` : config.host
  let draining: Promise<void> | undefined
  const drain = (timeoutMs?: number) =>
    (draining ??= (async () => {
      await gateway.drain(timeoutMs)
      closeSockets(sockets)
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
        setTimeout(() => server.closeAllConnections(), 1000).unref()
      })
    })())
  return { gateway, app, server, host: config.host, port, url: `http://${host}:${port}`, drain }
}
