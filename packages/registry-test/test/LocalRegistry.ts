/**
 * A throwaway npm registry for the test: verdaccio on a free loopback port, with its storage, config and user in
 * a temporary folder. It has no uplinks, so it serves only what the test publishes (the @robovla packages) and
 * asks no other registry for anything; npm clients get it as the registry of the @robovla scope only.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as net from "node:net"
import * as path from "node:path"

const require = createRequire(import.meta.url)

/** The verdaccio command, or undefined when the package is not installed. */
export const verdaccioBin = (): string | undefined => {
  try {
    return path.join(path.dirname(require.resolve("verdaccio/package.json")), "bin", "verdaccio")
  } catch {
    return undefined
  }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

export interface LocalRegistry {
  readonly url: string
  /** An npm user config: the @robovla scope on this registry with a publish token; everything else as usual. */
  readonly npmrc: string
  readonly stop: () => Promise<void>
}

const CONFIG = (dir: string) => `storage: ${path.join(dir, "storage")}
auth:
  htpasswd:
    file: ${path.join(dir, "htpasswd")}
    max_users: 10
uplinks: {}
packages:
  "@robovla/*":
    access: $all
    publish: $authenticated
  "**":
    access: $all
    publish: $authenticated
server:
  keepAliveTimeout: 60
max_body_size: 200mb
log: { type: stdout, format: pretty, level: warn }
`

const waitUntilUp = async (url: string, child: ChildProcess, output: () => string): Promise<void> => {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited (${child.exitCode}):\n${output()}`)
    const up = await fetch(`${url}/-/ping`).then((response) => response.ok, () => false)
    if (up) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`verdaccio did not answer on ${url} within 30 s:\n${output()}`)
}

/** Starts verdaccio in `dir` (created by the caller, removed by the caller) and signs a user in. */
export const startLocalRegistry = async (bin: string, dir: string): Promise<LocalRegistry> => {
  fs.writeFileSync(path.join(dir, "config.yaml"), CONFIG(dir))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child = spawn(process.execPath, [bin, "--config", path.join(dir, "config.yaml"), "--listen", `127.0.0.1:${port}`], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_OPTIONS: "" }
  })
  let log = ""
  child.stdout!.on("data", (chunk: Buffer) => (log += chunk.toString()))
  child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()))
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once("exit", () => resolve())
      child.kill("SIGTERM")
    })
  try {
    await waitUntilUp(url, child, () => log)
    // npm's `adduser` over the registry API: verdaccio creates the user in its htpasswd file and returns a token.
    const response = await fetch(`${url}/-/user/org.couchdb.user:robovla-ci`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "robovla-ci", password: "robovla-ci-password", type: "user" })
    })
    const body = (await response.json()) as { token?: string }
    if (!response.ok || body.token === undefined) throw new Error(`verdaccio refused the user (${response.status}): ${JSON.stringify(body)}`)
    const npmrc = path.join(dir, "npmrc")
    fs.writeFileSync(
      npmrc,
      [
        `@robovla:registry=${url}/`,
        `//127.0.0.1:${port}/:_authToken=${body.token}`,
        // Third-party packages come from the npm cache that the repository's install filled (or their registry).
        "prefer-offline=true",
        "fund=false",
        "audit=false",
        "update-notifier=false",
        "ignore-scripts=true",
        ""
      ].join("\n")
    )
    return { url, npmrc, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
