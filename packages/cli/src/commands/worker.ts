/**
 * `robovla worker`: runs the chains of distributed benchmark runs (`robovla bench --queue`) from a Redis queue on
 * this machine's simulators, with this machine's copy of each run's policy. Logs JSON lines; stops cleanly on
 * SIGINT/SIGTERM (running chains finish first).
 *
 * @since 0.1.0
 */
import { jsonLineLog, redisOptions, startQueueWorker } from "@robovla/bench"
import type { CliCommand } from "../CliCommand.ts"
import { parseFlags } from "../Flags.ts"

const HELP = `usage: robovla worker --queue URL [options]

Serves every distributed benchmark run (robovla bench --queue URL) in that Redis: pulls chains, runs
them on local simulators with the local copy of the run's policy (plugins/checkpoint paths, oracle,
random, or a remote HTTP/WebSocket policy this machine can reach), and returns each chain's result.
Logs one JSON object per line on stdout. Stop with Ctrl-C / SIGTERM (running chains finish first).

options:
  --queue URL              redis://[user:password@]host:port[/db] or rediss://… (TLS); the password
                           may also come from ROBOVLA_REDIS_PASSWORD
  --concurrency N          simulators (threads) on this machine (default 1; about one per core)
  --lock-ms N              a chain's lock: a worker silent this long is taken for dead and its chain
                           goes back to the queue (default 30000)
  --stalled-interval-ms N  how often to look for chains of dead workers (default: --lock-ms)
  --max-stalled N          times a chain is put back after its worker died, then it fails (default 1)
  --run ID                 serve only this run (default: every active run)
  --name NAME              worker name in logs and heartbeats (default host-pid)
  --tls-ca FILE            CA certificate for rediss://
  --tls-insecure           do not verify the server certificate (rediss://)
`

const integer = (name: string, value: string | undefined, fallback: number, min: number): number => {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`)
  return n
}

export const command: CliCommand = {
  name: "worker",
  summary: "run chains of distributed benchmark runs from a Redis queue (BullMQ)",
  run: async (args) => {
    const parsed = parseFlags("worker", HELP, args, {
      queue: { type: "string" },
      concurrency: { type: "string" },
      "lock-ms": { type: "string" },
      "stalled-interval-ms": { type: "string" },
      "max-stalled": { type: "string" },
      run: { type: "string" },
      name: { type: "string" },
      "tls-ca": { type: "string" },
      "tls-insecure": { type: "boolean", default: false }
    })
    if ("exit" in parsed) return parsed.exit
    const values = parsed.values
    const log = jsonLineLog(process.stdout)
    try {
      if (values.queue === undefined) throw new Error("--queue redis://host:port is required")
      const lockMs = integer("lock-ms", values["lock-ms"], 30_000, 100)
      const worker = await startQueueWorker({
        connection: redisOptions(values.queue, { tlsCa: values["tls-ca"], tlsInsecure: values["tls-insecure"], password: process.env["ROBOVLA_REDIS_PASSWORD"] }),
        concurrency: integer("concurrency", values.concurrency, 1, 1),
        lockMs,
        stalledIntervalMs: integer("stalled-interval-ms", values["stalled-interval-ms"], lockMs, 100),
        maxStalled: integer("max-stalled", values["max-stalled"], 1, 0),
        name: values.name,
        runId: values.run,
        log
      })
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          log({ level: "info", event: "worker.signal", worker: worker.name, signal })
          resolve()
        }
        process.once("SIGINT", () => stop("SIGINT"))
        process.once("SIGTERM", () => stop("SIGTERM"))
      })
      await worker.close()
      return 0
    } catch (error) {
      log({ level: "error", event: "worker.fatal", message: (error as Error).message })
      console.error(`robovla worker: ${(error as Error).message}`)
      return 1
    }
  }
}
