import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../bin/robovla.js")

describe("robovla (the dispatcher)", () => {
  it("exits quietly when its reader closes before it writes (`robovla … | head`)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-main-"))
    const out = path.join(dir, "scene.png")
    const child = spawn(process.execPath, [bin, "render", "--scene", "D", "--out", out], { stdio: ["ignore", "pipe", "pipe"] })
    // Close the read end at once: the CLI's first write then meets a closed pipe (EPIPE).
    child.stdout.destroy()
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => void (stderr += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve))
    fs.rmSync(dir, { recursive: true, force: true })
    expect(stderr).not.toContain("EPIPE")
    expect(code).toBe(0)
  }, 30_000)
})
