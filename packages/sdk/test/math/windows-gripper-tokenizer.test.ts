import { describe, expect, it } from "vitest"
import {
  ActionTokenizer,
  chunkedEpisodeWindows,
  chunkWindow,
  GRIPPER_CLOSE,
  GRIPPER_OPEN,
  gripperDataToLabel,
  gripperLabelToEnv,
  gripperLogitToEnv,
  gripperLogitToLabel,
  gripperOpenProbability,
  gripperTokenValueToEnv,
  LABEL_CLOSE,
  LABEL_OPEN,
  trainingWindows
} from "../../src/math/index.ts"

describe("trainingWindows (DiskCalvinDataset, reference/robovlms.md §5.2)", () => {
  const windows = trainingWindows(100, 164, 8, 10) // a 65-frame CALVIN segment

  it("gives 65 − W windows of W + N frames", () => {
    expect(windows).toHaveLength(57)
    expect(windows[0]!.start).toBe(100)
    expect(windows.at(-1)!.start).toBe(156)
    for (const w of windows) expect(w.frames).toHaveLength(18)
  })

  it("repeats the end frame past the segment and masks frames at or past the end", () => {
    const first = windows[0]!
    expect(first.frames).toEqual(Array.from({ length: 18 }, (_, i) => 100 + i))
    expect(first.mask.every((m) => m === 1)).toBe(true)
    const last = windows.at(-1)! // s = 156: r = 164 − 156 − 18 = −10
    expect(last.frames).toEqual([156, 157, 158, 159, 160, 161, 162, 163, ...Array.from({ length: 10 }, () => 164)])
    expect(last.mask).toEqual([...Array.from({ length: 8 }, () => 1), ...Array.from({ length: 10 }, () => 0)])
    for (const w of windows) {
      w.frames.forEach((f, i) => expect(w.mask[i]).toBe(w.start + i < 164 ? 1 : 0))
      expect(Math.max(...w.frames)).toBeLessThanOrEqual(164)
    }
  })

  it("chunks a window into W chunks of N actions, masks following the frames", () => {
    const last = windows.at(-1)!
    const { chunks, chunkMask } = chunkWindow(last.frames, last.mask, 8, 10)
    expect(chunks).toHaveLength(8)
    expect(chunks[0]).toEqual([156, 157, 158, 159, 160, 161, 162, 163, 164, 164])
    expect(chunkMask[0]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
    expect(chunkMask[7]).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    expect(() => chunkWindow([1, 2], [1, 1], 8, 10)).toThrow(/expected 18/)
  })

  it("chunkedEpisodeWindows maps positions through episodeIdxRange", () => {
    const ids = [50, 51, 52, 53]
    const got = chunkedEpisodeWindows({ trajLen: 4, windowSize: 2, fwdPredNextN: 1, episodeIdxRange: ids })
    expect(got.indices).toEqual([[50, 51, 52], [51, 52, 53], [52, 53, 53]])
    expect(got.mask).toEqual([[1, 1, 1], [1, 1, 1], [1, 1, 0]])
  })
})

describe("gripper mapping (reference/robovlms.md §1.5): +1 / label 1 / logit > 0 = open", () => {
  it("data ±1 → label 1/0 → env ±1 round-trips", () => {
    expect(gripperDataToLabel(GRIPPER_OPEN)).toBe(LABEL_OPEN)
    expect(gripperDataToLabel(GRIPPER_CLOSE)).toBe(LABEL_CLOSE)
    expect(gripperLabelToEnv(LABEL_OPEN)).toBe(GRIPPER_OPEN)
    expect(gripperLabelToEnv(LABEL_CLOSE)).toBe(GRIPPER_CLOSE)
    for (const g of [GRIPPER_OPEN, GRIPPER_CLOSE]) expect(gripperLabelToEnv(gripperDataToLabel(g))).toBe(g)
  })

  it("a logit is open exactly when sigmoid(logit) > 0.5", () => {
    for (const logit of [-5, -0.01, 0, 0.01, 3]) {
      expect(gripperLogitToLabel(logit)).toBe(gripperOpenProbability(logit) > 0.5 ? 1 : 0)
      expect(gripperLogitToEnv(logit)).toBe(logit > 0 ? 1 : -1)
    }
  })

  it("discrete decoded values map by sign", () => {
    expect(gripperTokenValueToEnv(0.996)).toBe(1)
    expect(gripperTokenValueToEnv(-0.0039)).toBe(-1)
  })
})

describe("ActionTokenizer", () => {
  const t = new ActionTokenizer({ vocabSize: 32002, specialTokensCount: 3 })

  it("puts 256 bins at the top of the vocabulary, counted down from vocab − specials − 10", () => {
    expect(t.base).toBe(31989)
    expect(t.actionTokenBeginIdx).toBe(31989 - 257)
    expect(t.actionTokenEndIdx).toBe(31989)
    expect(t.encode([-1, 1, -5, 5])).toEqual([31988, 31733, 31988, 31733])
    expect(t.binCenters).toHaveLength(255)
  })

  it("larger actions get smaller ids, and decode(encode(x)) is within half a bin", () => {
    const xs = Array.from({ length: 101 }, (_, i) => -1 + i / 50)
    const ids = t.encode(xs)
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeLessThanOrEqual(ids[i - 1]!)
    const back = t.decode(ids)
    const halfBin = 1 / 255
    xs.forEach((x, i) => expect(Math.abs(back[i]! - x)).toBeLessThanOrEqual(halfBin + 1e-12))
  })

  it("rejects impossible settings", () => {
    expect(() => new ActionTokenizer({ vocabSize: 100, specialTokensCount: 3 })).toThrow(/vocabulary too small/)
    expect(() => new ActionTokenizer({ vocabSize: 1000, specialTokensCount: 0, nBins: 1 })).toThrow(/nBins/)
  })
})
