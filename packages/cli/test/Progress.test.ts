import { summarize } from "@robovla/bench"
import { describe, expect, it } from "vitest"
import { benchProgressPrinter, formatRecordingProgress, formatTrainProgress, lineWriter } from "../src/Progress.ts"

/** A stream that keeps what is written; `isTTY` decides between redrawing and one line per print. */
const capture = (isTTY: boolean) => {
  const written: Array<string> = []
  return { written, stream: { isTTY, write: (chunk: string) => written.push(chunk) > 0 } as unknown as NodeJS.WriteStream }
}

describe("the CLI progress printer", () => {
  it("on a pipe prints the first line, skips lines within the interval, and always prints the final one", () => {
    const { written, stream } = capture(false)
    const print = lineWriter(stream, 60_000)
    print("first", false)
    print("skipped", false)
    print("final", true)
    expect(written).toEqual(["first\n", "final\n"])
  })

  it("on a TTY redraws one line in place and ends it when finished", () => {
    const { written, stream } = capture(true)
    const print = lineWriter(stream)
    print("a", false)
    print("b", true)
    expect(written).toEqual(["\r\x1b[2Ka", "\r\x1b[2Kb\n"])
  })

  it("formats bench, recording and training events", () => {
    const { written, stream } = capture(false)
    benchProgressPrinter("smoke", stream)({ done: 2, total: 2, summary: summarize([]), elapsedMs: 61_000 })
    expect(written[0]).toMatch(/^smoke \[#{24}\] 2\/2 \| 1\/5 0\.0% .* avg len 0\.000 \| 1m01s\n$/)
    expect(formatRecordingProgress({ episodesDone: 1, episodesTotal: 4, frames: 300, elapsedMs: 10_000, annotated: { lift_red_block_table: 2, open_drawer: 1 } }))
      .toBe("[######..................] episodes 1/4 | frames 300 | 30.0 frames/s | segments 3 | lift_red_table:2 open_drawer:1")
    expect(formatRecordingProgress({ episodesDone: 0, episodesTotal: 0, frames: 0, elapsedMs: 0 })).toMatch(/^\[#{24}\] episodes 0\/0 \| frames 0 \| 0\.0 frames\/s$/)
    expect(formatTrainProgress({ step: 50, totalSteps: 100, epoch: 1, stepsPerSecond: 2, samplesPerSecond: 64, runningLoss: 0.25, lr: 1e-4, lastValLoss: 0.5 }))
      .toBe("epoch 1 step 50/100 [############............]  50% 2.00 steps/s 64.0 samples/s ETA 25s loss 0.2500 lr 1.00e-4 val 0.5000")
  })
})
