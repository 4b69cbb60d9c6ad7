import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import type { ChainResult } from "../src/Chain.ts"
import { htmlReport, markdownSummary } from "../src/Report.ts"
import { ResultStore, readResults } from "../src/ResultStore.ts"
import { summarize } from "../src/Results.ts"
import { encodeVideo } from "../src/Video.ts"

const state = { led: 0, lightbulb: 1, slider: "left", drawer: "open", red_block: "table", blue_block: "slider_left", pink_block: "table", grasped: 0 } as const

const chain = (index: number, outcomes: ReadonlyArray<"success" | "timeout" | "policy_error">, tasks = ["open_drawer", "turn_on_led", "move_slider_left", "lift_red_block_table", "place_in_slider"]): ChainResult => {
  const completed = outcomes.findIndex((o) => o !== "success")
  return {
    index,
    initial_state: state,
    tasks,
    completed: completed < 0 ? outcomes.length : completed,
    subtasks: outcomes.map((outcome, i) => ({ task: tasks[i]!, instruction: `do ${tasks[i]}`, outcome, steps: 10 })),
    steps: outcomes.length * 10,
    wall_ms: 5
  }
}

describe("CALVIN aggregation", () => {
  it("computes k-in-a-row rates, average length and per-task tallies as CALVIN does", () => {
    const results = [
      chain(0, ["success", "success", "success", "success", "success"]),
      chain(1, ["success", "success", "timeout"]),
      chain(2, ["timeout"]),
      chain(3, ["success", "policy_error"])
    ]
    const s = summarize(results)
    expect(s.chains).toBe(4)
    expect(s.avg_seq_len).toBeCloseTo((5 + 2 + 0 + 1) / 4, 12)
    expect(s.chain_sr).toEqual({ "1": 0.75, "2": 0.5, "3": 0.25, "4": 0.25, "5": 0.25 })
    // the average length equals the sum of the five rates
    expect(Object.values(s.chain_sr).reduce((a, b) => a + b, 0)).toBeCloseTo(s.avg_seq_len, 12)
    expect(s.task_info["open_drawer"]).toEqual({ success: 3, total: 4 })
    expect(s.task_info["turn_on_led"]).toEqual({ success: 2, total: 3 })
    expect(s.task_info["move_slider_left"]).toEqual({ success: 1, total: 2 })
    expect(s.failures_by_outcome).toEqual({ timeout: 2, policy_error: 1 })
  })

  it("writes a Markdown summary and a self-contained HTML report", () => {
    const results = [chain(0, ["success", "timeout"]), chain(1, ["timeout"])]
    const input = { suite: "calvin", scene: "D", policy: "oracle", seed: 0, workers: 2, wallMs: 1234, stepsPerSecond: 99, summary: summarize(results), results }
    const md = markdownSummary(input)
    expect(md).toMatch(/\| 50\.0% \| 0\.0% \| 0\.0% \| 0\.0% \| 0\.0% \| \*\*0\.500\*\* \|/)
    expect(md).toMatch(/\| open_drawer \| 1 \| 2 \| 50\.0% \|/)
    const html = htmlReport(input)
    expect(html).toMatch(/<svg/)
    expect(html).not.toMatch(/src="http/)
  })
})

describe("result store (append as chains end, resume)", () => {
  const manifest = { suite: "calvin", scene: "D", seed: 0, chains: [0, 1, 2], policy: "oracle", max_steps: 360 }

  it("appends lines, refuses to overwrite without --resume, and resumes dropping a torn last line", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-store-"))
    const store = ResultStore.open(dir, manifest, { resume: false })
    store.append(chain(0, ["success", "timeout"]))
    store.append(chain(2, ["timeout"]))
    store.close()
    // a kill mid-write leaves half a line
    fs.appendFileSync(path.join(dir, "chains.jsonl"), "{\"index\": 1, \"initial_st")
    expect(() => ResultStore.open(dir, manifest, { resume: false })).toThrowError(/--resume/)
    expect(() => ResultStore.open(dir, { ...manifest, seed: 3 }, { resume: true })).toThrowError(/seed=0/)
    // A run made before the acting options were recorded reads as 1 for both.
    expect(() => ResultStore.open(dir, { ...manifest, temporal_ensemble: 4 }, { resume: true })).toThrowError(/temporal_ensemble=1/)
    const resumed = ResultStore.open(dir, manifest, { resume: true })
    expect(resumed.existing.map((r) => r.index)).toEqual([0, 2])
    resumed.append(chain(1, ["success"]))
    resumed.close()
    expect(readResults(dir).map((r) => r.index)).toEqual([0, 1, 2])
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it("reports corruption before the last line instead of silently dropping chains", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-store-"))
    fs.writeFileSync(path.join(dir, "chains.jsonl"), `garbage\n${JSON.stringify(chain(0, ["timeout"]))}\n`)
    expect(() => ResultStore.open(dir, manifest, { resume: true })).toThrowError(/line 1 is not a chain result/)
    fs.rmSync(dir, { recursive: true, force: true })
  })
})

describe("rollout videos", () => {
  it("encodes captioned frames as a GIF", () => {
    const size = 32
    const frames = Array.from({ length: 3 }, (_, k) => ({ rgb: new Uint8Array(size * size * 3).fill(40 * k), size, caption: "open the drawer" }))
    const gif = encodeVideo(frames)
    expect(Buffer.from(gif.subarray(0, 6)).toString("latin1")).toBe("GIF89a")
    const view = new DataView(gif.buffer, gif.byteOffset)
    expect(view.getUint16(6, true)).toBe(size)
    expect(view.getUint16(8, true)).toBeGreaterThan(size) // caption bar under the image
  })
})

describe("--policy parsing", async () => {
  const { parsePolicyArg } = await import("../src/PolicySpec.ts")
  it("reads every policy kind, scoped package names included", () => {
    expect(parsePolicyArg("oracle")).toEqual({ kind: "oracle" })
    expect(parsePolicyArg("random:7")).toEqual({ kind: "random", seed: 7 })
    expect(parsePolicyArg("http://127.0.0.1:8000/v1/policies/expert", { apiKey: "k" })).toEqual({ kind: "http", url: "http://127.0.0.1:8000", policy: "expert", apiKey: "k" })
    expect(parsePolicyArg("ws://127.0.0.1:8000/")).toEqual({ kind: "ws", url: "ws://127.0.0.1:8000/" })
    expect(parsePolicyArg("vla:@robovla/backbone-tiny-vlm+@robovla/head-lstm")).toEqual({ kind: "vla", backbone: "@robovla/backbone-tiny-vlm", head: "@robovla/head-lstm" })
    expect(parsePolicyArg("vla:@robovla/backbone-onnx+@robovla/head-mlp@./ckpt/run-3")).toEqual({ kind: "vla", backbone: "@robovla/backbone-onnx", head: "@robovla/head-mlp", checkpoint: "./ckpt/run-3" })
    expect(parsePolicyArg("vla:my-backbone+my-head@/abs/ckpt")).toEqual({ kind: "vla", backbone: "my-backbone", head: "my-head", checkpoint: "/abs/ckpt" })
  })
  it("says what it expected for a bad value", () => {
    expect(() => parsePolicyArg("vla:only-one")).toThrowError(/vla:<backbone-package>\+<head-package>/)
    expect(() => parsePolicyArg("http://host/other")).toThrowError(/v1\/policies/)
    expect(() => parsePolicyArg("banana")).toThrowError(/unknown --policy/)
  })
})
