/**
 * The exported tiny-vlm tokenizer, replayed from data: byte-level BPE with a merge table (format
 * `robovla.byte-bpe/v1`). Words are GPT-2-style (`/ ?[^ ]+| +/`), bytes map to ids `byteOffset + byte`, merges
 * get ids `byteOffset + 256 + rank` and are applied lowest rank first, never across words; the prompt template's
 * `{instr}` is replaced by the instruction, BOS / EOS are added around it. This is the algorithm of
 * `@robovla/backbone-tiny-vlm`'s tokenizer; the tests check both give the same ids.
 *
 * @since 0.1.0
 */
import type { BackboneTokenizer } from "@robovla/sdk"
import { Schema } from "effect"

const Id = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * `tokenizer.json` of an exported tiny-vlm backbone.
 *
 * @since 0.1.0
 * @category schemas
 */
export const BpeTokenizerSpec = Schema.Struct({
  format: Schema.Literal("robovla.byte-bpe/v1"),
  promptTemplate: Schema.String,
  byteOffset: Id,
  bosId: Schema.NullOr(Id),
  eosId: Schema.NullOr(Id),
  padId: Id,
  vocabSize: Id,
  merges: Schema.Array(Schema.Tuple([Id, Id]))
})

/** @since 0.1.0 @category models */
export type BpeTokenizerSpec = typeof BpeTokenizerSpec.Type

const splitWords = (text: string): Array<string> => text.match(/ ?[^ ]+| +/g) ?? []
const pairKey = (a: number, b: number): number => a * 65536 + b

const mergePair = (symbols: Array<number>, a: number, b: number, id: number): Array<number> => {
  const out: Array<number> = []
  for (let i = 0; i < symbols.length; i++) {
    if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
      out.push(id)
      i++
    } else out.push(symbols[i]!)
  }
  return out
}

/**
 * The contract's tokenizer from a decoded spec.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeBpeTokenizer = (spec: BpeTokenizerSpec): BackboneTokenizer => {
  const utf8 = new TextEncoder()
  const firstMerge = spec.byteOffset + 256
  const rank = new Map<number, number>()
  spec.merges.forEach(([a, b], i) => rank.set(pairKey(a, b), i))
  const expansion: Array<ReadonlyArray<number>> = []
  for (let b = 0; b < 256; b++) expansion[spec.byteOffset + b] = [b]
  spec.merges.forEach(([a, b], i) => {
    expansion[firstMerge + i] = [...(expansion[a] ?? []), ...(expansion[b] ?? [])]
  })
  const cache = new Map<string, ReadonlyArray<number>>()
  const encodeWord = (word: string): ReadonlyArray<number> => {
    const cached = cache.get(word)
    if (cached !== undefined) return cached
    let symbols = Array.from(utf8.encode(word), (b) => b + spec.byteOffset)
    for (;;) {
      let best = Infinity
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = rank.get(pairKey(symbols[i]!, symbols[i + 1]!))
        if (r !== undefined && r < best) best = r
      }
      if (best === Infinity) break
      const [a, b] = spec.merges[best]!
      symbols = mergePair(symbols, a, b, firstMerge + best)
    }
    if (cache.size < 4096) cache.set(word, symbols)
    return symbols
  }
  const decoder = new TextDecoder()
  const bos = spec.bosId === null ? [] : [spec.bosId]
  const eos = spec.eosId === null ? [] : [spec.eosId]
  return {
    vocabSize: spec.vocabSize,
    bosId: spec.bosId ?? undefined,
    eosId: spec.eosId ?? undefined,
    padId: spec.padId,
    encode: (instruction) => [...bos, ...splitWords(spec.promptTemplate.replace("{instr}", instruction)).flatMap((w) => [...encodeWord(w)]), ...eos],
    decode: (ids) => {
      const bytes: Array<number> = []
      for (const id of ids) {
        const e = expansion[id]
        if (e !== undefined) bytes.push(...e)
      }
      return decoder.decode(Uint8Array.from(bytes))
    }
  }
}
