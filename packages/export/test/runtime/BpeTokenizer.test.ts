/**
 * The exported tokenizer (data + replay) gives the same ids as tiny-vlm's own, on the instruction vocabulary and
 * on text outside it (bytes, unicode, `$` patterns, runs of spaces).
 */
import { INSTRUCTION_VOCABULARY, makeTokenizer } from "@robovla/backbone-tiny-vlm"
import { describe, expect, it } from "vitest"
import { makeBpeTokenizer } from "../../src/index.ts"

describe("makeBpeTokenizer", () => {
  it("replays tiny-vlm's byte-level BPE id for id", () => {
    const source = makeTokenizer(128)
    const replay = makeBpeTokenizer({
      format: "robovla.byte-bpe/v1",
      promptTemplate: "An image of a robot {instr}",
      byteOffset: 3,
      bosId: source.bosId ?? null,
      eosId: source.eosId ?? null,
      padId: source.padId,
      vocabSize: source.vocabSize,
      merges: source.merges.map(([a, b]) => [a, b] as const)
    })
    const texts = [...INSTRUCTION_VOCABULARY, "", "  two  spaces ", "grüne Schublade öffnen 🤖", "cost $& and $1", "UPPER lower MiXeD"]
    for (const text of texts) {
      expect(replay.encode(text)).toEqual(source.encode(text))
      expect(replay.decode(replay.encode(text))).toBe(source.decode(source.encode(text)))
    }
    expect(replay.vocabSize).toBe(source.vocabSize)
  })
})
