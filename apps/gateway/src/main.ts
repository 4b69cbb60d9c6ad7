/**
 * `npm start` / `robovla serve` entry, kept thin: resolve the config (a JSON file, or the default expert
 * deployment), build one `ManagedRuntime` from `GatewayServer.layer`, wait for SIGTERM/SIGINT, then dispose
 * the runtime, which drains the gateway.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { DEFAULT_CONFIG_FILE, type GatewayConfig, readConfigFile, resolveConfig } from "./Config.ts"
import { GatewayError } from "./GatewayError.ts"
import { GatewayServer } from "./GatewayServer.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface RunOptions {
  readonly config?: string | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
}

const waitForSignal = Effect.callback<string>((resume) => {
  const on = (signal: string) => () => resume(Effect.succeed(signal))
  process.once("SIGTERM", on("SIGTERM"))
  process.once("SIGINT", on("SIGINT"))
})

/**
 * Runs the gateway until a signal; resolves with the exit code (0 after a drain, 1 if it cannot start,
 * 2 for a bad config).
 *
 * @since 0.1.0
 */
export const runGateway = async (options: RunOptions): Promise<number> => {
  let config: GatewayConfig
  try {
    const raw = options.config === undefined ? { ...DEFAULT_CONFIG_FILE } : readConfigFile(options.config)
    config = resolveConfig({
      ...raw,
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.port === undefined ? {} : { port: options.port })
    })
  } catch (error) {
    console.error(error instanceof GatewayError ? `robovla gateway: ${error.message}` : error)
    return 2
  }
  const runtime = ManagedRuntime.make(GatewayServer.layer(config))
  const program = Effect.gen(function*() {
    const { gateway, url } = yield* GatewayServer
    gateway.log({ msg: "listening", url, policies: [...gateway.deployments.keys()], default: config.defaultDeployment })
    const signal = yield* waitForSignal
    gateway.log({ msg: "draining", signal })
    return gateway
  })
  try {
    const gateway = await runtime.runPromise(program)
    await runtime.dispose()
    gateway.log({ msg: "stopped" })
    return 0
  } catch (error) {
    console.error(`robovla gateway: ${error instanceof GatewayError ? error.message : String(error)}`)
    await runtime.dispose()
    return 1
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2)
  const flag = (name: string) => {
    const i = args.indexOf(name)
    return i >= 0 ? args[i + 1] : undefined
  }
  const port = flag("--port")
  const code = await runGateway({ config: flag("--config") ?? process.env["ROBOVLA_GATEWAY_CONFIG"], host: flag("--host"), port: port === undefined ? undefined : Number(port) })
  process.exit(code)
}
