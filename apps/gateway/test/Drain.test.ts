/**
 * Graceful drain of the real entry point (`src/main.ts`) in a child process: SIGTERM lets the call in
 * flight finish, refuses new ones with 503, then exits 0.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { json, post, validBody } from "./helpers.ts"

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url))
const ROOT = fileURLToPath(new URL("..", import.meta.url))

describe("graceful drain", () => {
  it("finishes in-flight calls, answers new ones with 503, and exits 0 on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "robovla-gw-"))
    const config = join(dir, "gateway.json")
    writeFileSync(config, JSON.stringify({ port: 0, deployments: [{ id: "slow", kind: "mock", latencyMs: 1500, preload: true }] }))
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, "--config", config], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] })
    const lines: Array<any> = []
    let stderr = ""
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    const url = await new Promise<string>((resolve, reject) => {
      let buffer = ""
      child.stdout.on("data", (d: Buffer) => {
        buffer += d.toString()
        let i: number
        while ((i = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, i)
          buffer = buffer.slice(i + 1)
          try {
            const entry = JSON.parse(line)
            lines.push(entry)
            if (entry.msg === "listening") resolve(entry.url)
          } catch { /* not a log line */ }
        }
      })
      void exited.then((code) => reject(new Error(`gateway exited early (${code}): ${stderr}`)))
    })
    // Wait until the preloaded deployment is warm.
    for (let i = 0; i < 100 && (await fetch(`${url}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100))

    const inFlight = post(`${url}/v1/policies/slow/act`, validBody(1))
    await new Promise((r) => setTimeout(r, 300))
    child.kill("SIGTERM")
    await new Promise((r) => setTimeout(r, 200))
    const refused = await post(`${url}/v1/policies/slow/act`, validBody(2))
    expect(refused.status).toBe(503)
    expect((await json(refused)).error.code).toBe("Draining")
    expect((await fetch(`${url}/readyz`)).status).toBe(503)

    const finished = await inFlight
    expect(finished.status).toBe(200)
    expect((await json(finished)).actions).toHaveLength(4)
    expect(await exited).toBe(0)
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(["listening", "draining", "stopped"]))
    expect(lines.filter((l) => l.msg === "request" && l.status === 503).length).toBeGreaterThanOrEqual(1)
  })
})
