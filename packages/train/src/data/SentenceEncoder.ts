/**
 * The project's sentence encoder for CALVIN's language embeddings (`language.emb` in `auto_lang_ann.npy`,
 * `lang_annotations/embeddings.npy`), `robovla-hash-384/v1`: deterministic, dependency-free, 384-wide like
 * CALVIN's MiniLM embeddings, so CALVIN's language-conditioned loaders read the files unchanged.
 *
 * It is signed feature hashing, not a neural model:
 * 1. normalise: Unicode NFKC, lower case, every run of characters other than letters and digits → one space, trim;
 * 2. features: each word (`w:<word>`, weight 1), each pair of adjacent words (`b:<w1> <w2>`, weight 0.5) and each
 *    character trigram of the space-padded text (`c:<abc>`, weight 0.25);
 * 3. each feature's UTF-8 bytes are hashed with 32-bit FNV-1a; bucket = h mod 384, sign = +1 if bit 31 of
 *    h is 0 else −1; the weighted signs are summed per bucket (float64);
 * 4. the vector is L2-normalised (the empty text gives zeros) and stored as float32.
 *
 * Same text, same vector, on every machine. Paraphrases that share words land close (cosine), unrelated
 * instructions far apart; it carries no meaning beyond shared words and spelling.
 *
 * @since 0.1.0
 */
import { ndarray, type NdArray } from "./NdArray.ts"

/** @since 0.1.0 @category constants */
export const SENTENCE_ENCODER = "robovla-hash-384/v1"
/** @since 0.1.0 @category constants */
export const EMBEDDING_SIZE = 384

const utf8 = new TextEncoder()

/** FNV-1a, 32 bit, over the UTF-8 bytes. */
const fnv1a = (text: string): number => {
  let h = 0x811c9dc5
  for (const byte of utf8.encode(text)) h = Math.imul(h ^ byte, 0x01000193) >>> 0
  return h >>> 0
}

/**
 * Step 1 of the encoder.
 *
 * @since 0.1.0
 * @category encoding
 */
export const normalizeSentence = (text: string): string =>
  text.normalize("NFKC").toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim()

/**
 * One sentence → a unit-length float32 vector of {@link EMBEDDING_SIZE}.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeSentence = (text: string): Float32Array => {
  const normal = normalizeSentence(text)
  const sums = new Float64Array(EMBEDDING_SIZE)
  const add = (feature: string, weight: number) => {
    const h = fnv1a(feature)
    sums[h % EMBEDDING_SIZE]! += (h & 0x80000000) === 0 ? weight : -weight
  }
  if (normal !== "") {
    const words = normal.split(" ")
    words.forEach((w, i) => {
      add(`w:${w}`, 1)
      if (i + 1 < words.length) add(`b:${w} ${words[i + 1]}`, 0.5)
    })
    const padded = [...` ${normal} `]
    for (let i = 0; i + 3 <= padded.length; i++) add(`c:${padded.slice(i, i + 3).join("")}`, 0.25)
  }
  let norm = 0
  for (const v of sums) norm += v * v
  norm = Math.sqrt(norm)
  return Float32Array.from(sums, (v) => (norm > 0 ? v / norm : 0))
}

/**
 * Sentences → the (N, 1, 384) float32 array CALVIN stores as `language.emb`.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeSentences = (texts: ReadonlyArray<string>): NdArray<Float32Array> => {
  const out = new Float32Array(texts.length * EMBEDDING_SIZE)
  texts.forEach((t, i) => out.set(encodeSentence(t), i * EMBEDDING_SIZE))
  return ndarray(out, [texts.length, 1, EMBEDDING_SIZE])
}
