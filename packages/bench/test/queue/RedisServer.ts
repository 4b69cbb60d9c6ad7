/**
 * A real redis-server for the queue tests: a free loopback port, a temporary data folder, started and stopped by
 * the test itself (so `npm test` works wherever redis-server is installed; .ci/run installs it).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"

/** The redis-server binary, or undefined when it is not installed. */
export const redisServerBinary = (): string | undefined => {
  for (const candidate of [process.env["REDIS_SERVER"], "redis-server", "/usr/bin/redis-server", "/usr/local/bin/redis-server"]) {
    if (!candidate) continue
    try {
      execFileSync(candidate, ["--version"], { stdio: "ignore" })
      return candidate
    } catch {
      // try the next one
    }
  }
  return undefined
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

export interface RedisServer {
  readonly port: number
  readonly url: string
  readonly dir: string
  /** SIGKILL-free stop: SHUTDOWN (saving when persistence is on). */
  readonly stop: () => Promise<void>
  /** Stops and starts again on the same port and folder (its data survives only with persistence). */
  readonly restart: () => Promise<void>
}

export const startRedisServer = async (options: {
  readonly persistence: boolean
  readonly binary: string
  readonly args?: ReadonlyArray<string>
  /** Serve TLS only, on the port, with this certificate and key (PEM files). */
  readonly tls?: { readonly cert: string; readonly key: string }
}): Promise<RedisServer> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-redis-"))
  const port = await freePort()
  let child: ChildProcess | undefined
  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const listen = options.tls
        ? ["--port", "0", "--tls-port", String(port), "--tls-cert-file", options.tls.cert, "--tls-key-file", options.tls.key, "--tls-auth-clients", "no"]
        : ["--port", String(port)]
      const args = [...listen, "--bind", "127.0.0.1", "--dir", dir, "--daemonize", "no", "--save", "", "--protected-mode", "yes"]
      if (options.persistence) args.push("--appendonly", "yes", "--appendfsync", "always")
      else args.push("--appendonly", "no")
      args.push(...(options.args ?? []))
      const proc = spawn(options.binary, args, { stdio: ["ignore", "pipe", "pipe"] })
      child = proc
      let output = ""
      const onData = (d: Buffer) => {
        output += d.toString()
        if (/Ready to accept connections/.test(output)) {
          proc.stdout!.off("data", onData)
          proc.stdout!.resume()
          resolve()
        }
      }
      proc.stdout!.on("data", onData)
      proc.stderr!.resume()
      proc.once("exit", (code) => reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`)))
    })
  const stop = () =>
    new Promise<void>((resolve) => {
      const proc = child
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return resolve()
      proc.removeAllListeners("exit")
      proc.once("exit", () => resolve())
      proc.kill("SIGTERM")
    })
  await launch()
  return {
    port,
    dir,
    url: `${options.tls ? "rediss" : "redis"}://127.0.0.1:${port}`,
    stop: async () => {
      await stop()
      fs.rmSync(dir, { recursive: true, force: true })
    },
    restart: async () => {
      await stop()
      await launch()
    }
  }
}
