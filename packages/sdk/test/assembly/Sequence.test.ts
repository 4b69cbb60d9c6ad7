import { describe, expect, it } from "vitest"
import { buildFrameGroup, frameLayout, gatherRows, packRows } from "../../src/assembly/Sequence.ts"
import { charTokenizer } from "./fakes.ts"

const d = 2
/** Text embeddings that encode the id, so positions can be read back. */
const textOf = (ids: ReadonlyArray<number>) => Float32Array.from(ids.flatMap((id) => [id, 0]))
const kinds = (sources: ReadonlyArray<{ kind: string; index: number }>) => sources.map((s) => `${s.kind}${s.index}`)

describe("frameLayout", () => {
  it("puts images after BOS (gripper before static) and [LRN] × latent before EOS", () => {
    const ids = [1, 10, 11, 2]
    const layout = frameLayout(ids, charTokenizer, { imageTokens: 2, gripperCamera: true, latent: 2 })
    expect(kinds(layout.sources)).toEqual(["text0", "gripper0", "gripper1", "static0", "static1", "text1", "text2", "lrn0", "lrn1", "text3"])
    expect(layout.lrnOffsets).toEqual([7, 8])
  })

  it("handles tokenizers without BOS / EOS (images first, [LRN] last)", () => {
    const layout = frameLayout([10, 11], { bosId: undefined, eosId: undefined }, { imageTokens: 1, gripperCamera: false, latent: 1 })
    expect(kinds(layout.sources)).toEqual(["static0", "text0", "text1", "lrn0"])
  })
})

describe("packRows", () => {
  it("puts each right-padded row's [LRN] before that row's own EOS (RoboVLMs' padding pitfall fixed)", () => {
    const short = charTokenizer.encode("go")
    const long = charTokenizer.encode("open the drawer")
    const token = Float32Array.from([-7, -7])
    const groups = [short, long].map((ids) =>
      buildFrameGroup(frameLayout(ids, charTokenizer, { imageTokens: 1, gripperCamera: false, latent: 1 }), {
        textEmbeds: textOf(ids),
        staticTokens: Float32Array.from([-1, -1]),
        actionToken: token
      }, d)
    )
    const packed = packRows(groups.map((g) => [g]), d)
    const l = packed.inputsEmbeds.shape[1]!
    expect(packed.rowLengths).toEqual([short.length + 2, long.length + 2])
    expect(l).toBe(long.length + 2)
    packed.lrnPositions.forEach((perGroup, b) => {
      const lrn = perGroup[0]![0]!
      expect(lrn).toBe(packed.rowLengths[b]! - 2)
      const at = (p: number) => packed.inputsEmbeds.data[(b * l + p) * d]
      expect(at(lrn)).toBe(-7) // the [LRN] vector
      expect(at(lrn + 1)).toBe(charTokenizer.eosId) // then this row's EOS
      expect(at(0)).toBe(charTokenizer.bosId)
      expect(at(1)).toBe(-1) // image right after BOS
      const mask = Array.from(packed.attentionMask.data.slice(b * l, (b + 1) * l))
      expect(mask).toEqual([...Array(packed.rowLengths[b]).fill(1), ...Array(l - packed.rowLengths[b]!).fill(0)])
    })
    // The shorter row's [LRN] is not at the longest row's index (where RoboVLMs would put it for every row).
    expect(packed.lrnPositions[0]![0]![0]).toBeLessThan(packed.lrnPositions[1]![0]![0]!)
  })

  it("concatenates interleaved groups and reports every group's [LRN]", () => {
    const ids = [1, 10, 2]
    const group = buildFrameGroup(frameLayout(ids, charTokenizer, { imageTokens: 1, gripperCamera: false, latent: 1 }), {
      textEmbeds: textOf(ids),
      staticTokens: Float32Array.from([0, 0]),
      actionToken: Float32Array.from([5, 5])
    }, d)
    const packed = packRows([[group, group, group], [group]], d)
    expect(packed.lrnPositions).toEqual([[[3], [8], [13]], [[3]]])
    const hidden = { data: packed.inputsEmbeds.data, shape: packed.inputsEmbeds.shape }
    expect(Array.from(gatherRows(hidden, 0, [3, 8, 13]))).toEqual([5, 5, 5, 5, 5, 5])
  })
})
