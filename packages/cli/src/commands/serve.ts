/**
 * `robovla serve`: runs the policy gateway (`@robovla/gateway`) until SIGTERM/SIGINT, then drains.
 * Without `--config` it serves the scripted expert on 127.0.0.1:8000, like `npm start`.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { CliCommand } from "../CliCommand.ts"
import { parseFlags } from "../Flags.ts"

const HELP = `usage: robovla serve [--config gateway.json] [--host 127.0.0.1] [--port 8000]

Serves policy deployments over REST (OpenAPI at /openapi.json) and the openpi WebSocket protocol (/ws/{id},
and / for the default deployment). Without --config: the scripted expert (scene D) as the default, plus "mock".

options:
  --config <file>  gateway config JSON (deployments, apiKeys, rateLimit, limits); also ROBOVLA_GATEWAY_CONFIG
  --host <addr>    bind address (default 127.0.0.1; anything else needs API keys: apiKeys or ROBOVLA_API_KEYS)
  --port <n>       port (default 8000; 0 picks a free one)
  -h, --help       this help`

const Port = Schema.NumberFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 0, maximum: 65535 }))

export const command: CliCommand = {
  name: "serve",
  summary: "serve policies over HTTP and the openpi WebSocket (the gateway)",
  run: async (args) => {
    const parsed = parseFlags("serve", HELP, args, {
          config: { type: "string" },
          host: { type: "string" },
          port: { type: "string" }
    })
    if ("exit" in parsed) return parsed.exit
    const values = parsed.values
    let port: number | undefined
    if (values.port !== undefined) {
      const decoded = Schema.decodeUnknownExit(Port)(values.port)
      if (decoded._tag === "Failure") {
        console.error(`robovla serve: --port must be an integer 0..65535, got ${JSON.stringify(values.port)}`)
        return 2
      }
      port = decoded.value
    }
    // Loaded on demand so that other commands do not pay for the server's imports; the gateway is an application
    // (apps/gateway), an optional peer of the published CLI, present in the repository.
    let runGateway: typeof import("@robovla/gateway").runGateway
    try {
      ;({ runGateway } = await import("@robovla/gateway"))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND" || !String((error as Error).message).includes("@robovla/gateway")) throw error
      console.error("robovla serve: the gateway (@robovla/gateway) is not installed; it ships with the robovla repository: git clone it, then npm install && npm start")
      return 1
    }
    return runGateway({ config: values.config ?? process.env["ROBOVLA_GATEWAY_CONFIG"], host: values.host, port })
  }
}
