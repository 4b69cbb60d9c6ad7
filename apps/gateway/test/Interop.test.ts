/**
 * An unchanged-openpi-style Python client (msgpack + numpy + websockets, see interop/openpi_client.py)
 * against the gateway. Needs a Python with msgpack, numpy and websockets: `ROBOVLA_PYTHON` or `python3`;
 * skipped with a visible message otherwise.
 */
import { spawn, spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RunningGateway } from "../src/Server.ts"
import { mockChunk } from "../src/worker/MockPolicyModel.ts"
import { start } from "./helpers.ts"

const PYTHON = process.env["ROBOVLA_PYTHON"] ?? "python3"
const SCRIPT = fileURLToPath(new URL("./interop/openpi_client.py", import.meta.url))
const KEY = "interop-key-0123456789"
const available = spawnSync(PYTHON, ["-c", "import msgpack, numpy, websockets.sync.client"], { encoding: "utf8" }).status === 0
if (!available) console.warn(`Interop.test.ts skipped: ${PYTHON} lacks msgpack, numpy or websockets (set ROBOVLA_PYTHON to a Python that has them)`)

describe.skipIf(!available)("openpi Python client interop", () => {
  let gw: RunningGateway
  beforeAll(async () => {
    gw = await start({ apiKeys: [KEY], deployments: [{ id: "mock", kind: "mock", preload: true }] })
  })
  afterAll(() => gw.drain())

  it("reads the metadata frame, gets (N, 7) numpy actions per observation, and sees errors as openpi does", async () => {
    const run = await new Promise<{ stdout: string; stderr: string; status: number | null }>((resolve) => {
      const child = spawn(PYTHON, [SCRIPT, `ws://127.0.0.1:${gw.port}/ws/mock`, KEY])
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
      child.on("exit", (status) => resolve({ stdout, stderr, status }))
    })
    expect(run.status, run.stderr).toBe(0)
    const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l))
    expect(lines[0].metadata).toMatchObject({ name: "mock", chunk_size: 4, policy_id: "mock" })
    const state = Array.from(Float32Array.from({ length: 15 }, (_, i) => -0.5 + i / 14))
    for (const step of [0, 1, 2]) {
      const line = lines[1 + step]
      expect(line.shape).toEqual([4, 7])
      expect(line.dtype).toBe("float64")
      const expected = mockChunk({ robotObs: state, sceneObs: [] }, "open the drawer", step, 4)
      line.actions.forEach((row: Array<number>, i: number) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i]![j]!, 6)))
    }
    expect(lines[3].server_timing.prev_total_ms).toBeGreaterThan(0)
    expect(lines[4]).toMatchObject({ error_frame_is_text: true, close_code: 1011 })
    expect(lines[4].error).toMatch(/InvalidJson/)
  })
})
