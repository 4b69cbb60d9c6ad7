/**
 * The tiny VLM's tokenizer: byte-level BPE with no files to ship. The merge table is learned at construction
 * time, deterministically, from the project's instruction vocabulary (the 34 CALVIN evaluation instructions
 * wrapped in the prompt template), so any text still encodes (unknown words fall back to bytes) while common
 * words like " block" or " drawer" become single tokens.
 *
 * Ids: 0 = PAD, 1 = BOS, 2 = EOS, 3…258 = the 256 bytes, 259… = merges in rank order.
 *
 * @since 0.1.0
 */
import type { BackboneTokenizer } from "@robovla/sdk"

/** @since 0.1.0 @category constants */
export const PAD_ID = 0
/** @since 0.1.0 @category constants */
export const BOS_ID = 1
/** @since 0.1.0 @category constants */
export const EOS_ID = 2
const BYTE_OFFSET = 3
const FIRST_MERGE_ID = BYTE_OFFSET + 256

/**
 * The prompt template (Kosmos' without `<grounding>`, reference/robovlms.md §4.3).
 *
 * @since 0.1.0
 * @category constants
 */
export const PROMPT_TEMPLATE = "An image of a robot {instr}"

/**
 * The CALVIN evaluation instructions (reference/calvin.md §5), the corpus the merges are learned from.
 *
 * @since 0.1.0
 * @category constants
 */
export const INSTRUCTION_VOCABULARY: ReadonlyArray<string> = [
  "take the red block and rotate it to the right",
  "take the red block and rotate it to the left",
  "take the blue block and rotate it to the right",
  "take the blue block and rotate it to the left",
  "take the pink block and rotate it to the right",
  "take the pink block and rotate it to the left",
  "go push the red block right",
  "go push the red block left",
  "go push the blue block right",
  "go push the blue block left",
  "go push the pink block right",
  "go push the pink block left",
  "push the sliding door to the left side",
  "push the sliding door to the right side",
  "pull the handle to open the drawer",
  "push the handle to close the drawer",
  "grasp and lift the red block",
  "grasp and lift the blue block",
  "grasp and lift the pink block",
  "lift the red block from the sliding cabinet",
  "lift the blue block from the sliding cabinet",
  "lift the pink block from the sliding cabinet",
  "Take the red block from the drawer",
  "Take the blue block from the drawer",
  "Take the pink block from the drawer",
  "store the grasped block in the sliding cabinet",
  "store the grasped block in the drawer",
  "slide the block that it falls into the drawer",
  "stack the grasped block",
  "remove the stacked block",
  "use the switch to turn on the light bulb",
  "use the switch to turn off the light bulb",
  "press the button to turn on the led light",
  "press the button to turn off the led light"
]

/**
 * GPT-2-style pre-tokenisation: a word is an optional leading space plus a run of non-spaces; runs of spaces
 * stay on their own. Merges never cross word boundaries.
 */
const splitWords = (text: string): Array<string> => text.match(/ ?[^ ]+| +/g) ?? []

const utf8 = new TextEncoder()
const bytesOf = (word: string): Array<number> => Array.from(utf8.encode(word), (b) => b + BYTE_OFFSET)

const pairKey = (a: number, b: number): number => a * 65536 + b

/**
 * Learns `count` merges from the corpus: repeatedly merge the most frequent adjacent pair (ties broken by the
 * smaller pair of ids, so the table is the same on every machine); stops early when no pair occurs twice.
 */
const learnMerges = (corpus: ReadonlyArray<string>, count: number): Array<readonly [number, number]> => {
  const frequencies = new Map<string, number>()
  for (const text of corpus) for (const word of splitWords(text)) frequencies.set(word, (frequencies.get(word) ?? 0) + 1)
  const words = [...frequencies.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([w, f]) => ({ symbols: bytesOf(w), frequency: f }))
  const merges: Array<readonly [number, number]> = []
  for (let m = 0; m < count; m++) {
    const pairCounts = new Map<number, number>()
    for (const { symbols, frequency } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = pairKey(symbols[i]!, symbols[i + 1]!)
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + frequency)
      }
    }
    let bestKey = -1
    let bestCount = 1
    for (const [key, c] of pairCounts) if (c > bestCount || (c === bestCount && bestKey !== -1 && key < bestKey)) [bestKey, bestCount] = [key, c]
    if (bestKey === -1) break
    const a = Math.floor(bestKey / 65536)
    const b = bestKey % 65536
    const id = FIRST_MERGE_ID + merges.length
    merges.push([a, b])
    for (const word of words) word.symbols = mergePair(word.symbols, a, b, id)
  }
  return merges
}

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
 * The tokenizer plus its merge table and a template-free encoder (for tests and tools).
 *
 * @since 0.1.0
 * @category models
 */
export interface TinyVlmTokenizer extends BackboneTokenizer {
  readonly merges: ReadonlyArray<readonly [number, number]>
  /** Text → ids with no template and no BOS/EOS. */
  readonly encodeText: (text: string) => Array<number>
}

/**
 * Builds the tokenizer with up to `mergeCount` merges learned from {@link INSTRUCTION_VOCABULARY}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeTokenizer = (mergeCount: number): TinyVlmTokenizer => {
  const corpus = INSTRUCTION_VOCABULARY.map((instr) => PROMPT_TEMPLATE.replace("{instr}", instr))
  const merges = learnMerges(corpus, mergeCount)
  const rank = new Map<number, number>()
  merges.forEach(([a, b], i) => rank.set(pairKey(a, b), i))
  const expansion: Array<ReadonlyArray<number>> = []
  for (let b = 0; b < 256; b++) expansion[BYTE_OFFSET + b] = [b]
  merges.forEach(([a, b], i) => {
    expansion[FIRST_MERGE_ID + i] = [...expansion[a]!, ...expansion[b]!]
  })
  const cache = new Map<string, ReadonlyArray<number>>()

  const encodeWord = (word: string): ReadonlyArray<number> => {
    const cached = cache.get(word)
    if (cached !== undefined) return cached
    let symbols = bytesOf(word)
    for (;;) {
      let bestRank = Infinity
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = rank.get(pairKey(symbols[i]!, symbols[i + 1]!))
        if (r !== undefined && r < bestRank) bestRank = r
      }
      if (bestRank === Infinity) break
      const [a, b] = merges[bestRank]!
      symbols = mergePair(symbols, a, b, FIRST_MERGE_ID + bestRank)
    }
    if (cache.size < 4096) cache.set(word, symbols)
    return symbols
  }

  const encodeText = (text: string): Array<number> => splitWords(text).flatMap((w) => [...encodeWord(w)])
  const decoder = new TextDecoder()
  return {
    vocabSize: FIRST_MERGE_ID + merges.length,
    bosId: BOS_ID,
    eosId: EOS_ID,
    padId: PAD_ID,
    merges,
    encodeText,
    encode: (instruction) => [BOS_ID, ...encodeText(PROMPT_TEMPLATE.replace("{instr}", instruction)), EOS_ID],
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
