import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import type { ChainResult } from "../src/Chain.ts"
import { readResults } from "../src/ResultStore.ts"
import { runBenchmark } from "../src/Runner.ts"
import { suiteChains } from "../src/Suites.ts"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const cli = path.join(repoRoot, "packages/cli/bin/robovla.js")
const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `robovla-${name}-`))

const base = {
  suite: "smoke",
  scene: "D",
  seed: 0,
  maxSteps: 30,
  actTimeoutMs: 10_000,
  actionsPerQuery: 1,
  videoStride: 5,
  videoSize: 64,
  resume: false
}

/** What must be identical between two runs: everything but wall-clock time. */
const outcomes = (results: ReadonlyArray<ChainResult>) => results.map(({ wall_ms: _, ...rest }) => rest)

describe("runBenchmark on the real simulator", () => {
  it("runs the smoke suite in 2 worker threads and writes results, report with a video, and summary", async () => {
    const out = tmp("smoke")
    const chains = suiteChains("smoke")
    const progress: Array<number> = []
    const outcome = await runBenchmark({ ...base, chains, policy: { kind: "random", seed: 3 }, outDir: out, workers: 2, videos: 1, onProgress: (p) => progress.push(p.done) })
    expect(outcome.results.map((r) => r.index)).toEqual(chains.map((c) => c.index))
    expect(progress.at(-1)).toBe(chains.length)
    const results = JSON.parse(fs.readFileSync(path.join(out, "results.json"), "utf8"))
    expect(results.chains).toBe(3)
    expect(Object.keys(results.chain_sr)).toEqual(["1", "2", "3", "4", "5"])
    expect(results.avg_seq_len).toBeGreaterThanOrEqual(0)
    expect(results.steps).toBeGreaterThan(0)
    expect(fs.existsSync(path.join(out, "videos/chain-0000.gif"))).toBe(true)
    expect(fs.readFileSync(path.join(out, "report.html"), "utf8")).toMatch(/data:image\/gif;base64,R0lGOD/)
    expect(fs.readFileSync(path.join(out, "summary.md"), "utf8")).toMatch(/avg len|\| 1\/5 \|/)
    // same seed, one worker: identical outcomes (chains are deterministic whatever worker runs them)
    const again = await runBenchmark({ ...base, chains, policy: { kind: "random", seed: 3 }, outDir: tmp("smoke1"), workers: 1, videos: 0 })
    expect(outcomes(again.results)).toEqual(outcomes(outcome.results))
  })

  it("the oracle completes the first chain of CALVIN's published set", async () => {
    const chains = suiteChains("calvin", { chains: 1 })
    const outcome = await runBenchmark({ ...base, suite: "calvin", chains, maxSteps: 360, policy: { kind: "oracle" }, outDir: tmp("oracle"), workers: 1, videos: 0 })
    console.log(`[bench] oracle chain 0: ${outcome.results[0]!.subtasks.map((s) => `${s.task} ${s.outcome} ${s.steps}`).join(", ")}`)
    expect(outcome.summary.avg_seq_len).toBeGreaterThanOrEqual(3)
  })
})

const runCli = (args: ReadonlyArray<string>) => spawn(process.execPath, [cli, "bench", ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] })

const exited = (child: ReturnType<typeof runCli>) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    let stderr = ""
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()))
    child.stdout!.resume()
    child.on("exit", (code, signal) => resolve({ code, signal, stderr }))
  })

describe("robovla bench --resume after a SIGKILL", () => {
  it("ends with exactly the chains and outcomes of an uninterrupted run", async () => {
    const args = ["--suite", "calvin", "--chains", "8", "--policy", "random:5", "--max-steps", "40", "--workers", "2", "--videos", "0", "--quiet"]
    const killedDir = tmp("killed")
    const child = runCli([...args, "--out", killedDir])
    const done = exited(child)
    const chainsFile = path.join(killedDir, "chains.jsonl")
    // kill the whole process (its worker threads die with it) once a few chains are on disk
    for (let i = 0; i < 600; i++) {
      const lines = fs.existsSync(chainsFile) ? fs.readFileSync(chainsFile, "utf8").split("\n").filter(Boolean).length : 0
      if (lines >= 2) break
      await new Promise((r) => setTimeout(r, 100))
    }
    child.kill("SIGKILL")
    const killed = await done
    expect(killed.signal).toBe("SIGKILL")
    const partial = readResults(killedDir).length
    expect(partial).toBeGreaterThanOrEqual(2)
    expect(partial).toBeLessThan(8)

    const resumed = await exited(runCli([...args, "--out", killedDir, "--resume"]))
    expect(resumed.code, resumed.stderr).toBe(0)
    const fullDir = tmp("full")
    const full = await exited(runCli([...args, "--out", fullDir]))
    expect(full.code, full.stderr).toBe(0)

    const a = readResults(killedDir)
    const b = readResults(fullDir)
    expect(a.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(outcomes(a)).toEqual(outcomes(b))
    const ra = JSON.parse(fs.readFileSync(path.join(killedDir, "results.json"), "utf8"))
    const rb = JSON.parse(fs.readFileSync(path.join(fullDir, "results.json"), "utf8"))
    for (const key of ["chains", "avg_seq_len", "chain_sr", "task_info"]) expect(ra[key]).toEqual(rb[key])
    // a plain rerun into a folder with results is refused rather than overwriting them
    const refused = await exited(runCli([...args, "--out", fullDir]))
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/--resume/)
  })
})
