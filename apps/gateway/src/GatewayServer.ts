/**
 * The gateway as an Effect service: a scoped layer that starts the server on acquire and drains it on
 * release (in-flight calls finish, new ones get 503, sockets and workers close). `main.ts` builds one
 * `ManagedRuntime` from this layer; disposing the runtime is the graceful shutdown.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { GatewayConfig } from "./Config.ts"
import { GatewayError } from "./GatewayError.ts"
import { type RunningGateway, startGateway, type StartOptions } from "./Server.ts"

/**
 * @since 0.1.0
 * @category services
 */
export class GatewayServer extends Context.Service<GatewayServer, RunningGateway>()("@robovla/gateway/GatewayServer") {
  /** Listens on `config.host:config.port` for the layer's lifetime. */
  static layer(config: GatewayConfig, options: StartOptions = {}): Layer.Layer<GatewayServer, GatewayError> {
    return Layer.effect(
      GatewayServer,
      Effect.acquireRelease(
        Effect.tryPromise({
          try: () => startGateway(config, options),
          catch: (cause) => new GatewayError({ reason: "Internal", message: `cannot listen on ${config.host}:${config.port}: ${(cause as Error).message ?? String(cause)}` })
        }),
        (running) => Effect.promise(() => running.drain())
      )
    )
  }
}
