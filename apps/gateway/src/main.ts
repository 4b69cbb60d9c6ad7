/**
 * `npm start` / `robovla serve` entry: load the config (a JSON file, or the default expert deployment),
 * listen, log one line, and drain on SIGTERM/SIGINT.
 *
 * @since 0.1.0
 */
import { DEFAULT_CONFIG_FILE, readConfigFile, resolveConfig } from "./Config.ts"
import { GatewayError } from "./GatewayError.ts"
import { startGateway } from "./Server.ts"

/**
 * Runs the gateway until a signal; resolves with the exit code.
 *
 * @since 0.1.0
 */
export const runGateway = async (options: { readonly config?: string | undefined; readonly host?: string | undefined; readonly port?: number | undefined }): Promise<number> => {
  let config
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
  const running = await startGateway(config)
  running.gateway.log({ msg: "listening", url: running.url, policies: [...running.gateway.deployments.keys()], default: config.defaultDeployment })
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      running.gateway.log({ msg: "draining", signal })
      void running.drain().then(() => {
        running.gateway.log({ msg: "stopped" })
        resolve(0)
      })
    }
    process.once("SIGTERM", () => stop("SIGTERM"))
    process.once("SIGINT", () => stop("SIGINT"))
  })
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
