/**
 * RoboVLMs' discrete action tokenizer (reference/robovlms.md §3): each action dim is clipped to
 * [min, max], binned into `nBins` uniform bins, and mapped to a token id at the **top** of the language
 * model's non-special vocabulary, counted down from `base = vocabSize − specialTokensCount − offset` (offset 10).
 * Larger actions get smaller ids. Decoding returns the bin centre.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 @category models */
export interface ActionTokenizerOptions {
  /** The tokenizer's vocabulary size (`tokenizer.vocab_size`). */
  readonly vocabSize: number
  /** Entries of the tokenizer's extended special-token map (list entries count individually). */
  readonly specialTokensCount: number
  /** Hard-coded gap below the special tokens (10 in RoboVLMs). */
  readonly offset?: number
  /** Number of bin edges (`n_bin`, 256); there are `nBins − 1` centres. */
  readonly nBins?: number
  readonly minAction?: number
  readonly maxAction?: number
}

/**
 * @since 0.1.0
 * @category tokenizers
 */
export class ActionTokenizer {
  readonly nBins: number
  readonly minAction: number
  readonly maxAction: number
  /** `vocabSize − specialTokensCount − offset`: ids are `base − k`, k ∈ 1..nBins. */
  readonly base: number
  /** `nBins` equally spaced edges from min to max (numpy `linspace` arithmetic). */
  readonly binEdges: Float64Array
  /** The `nBins − 1` midpoints of consecutive edges. */
  readonly binCenters: Float64Array

  constructor(options: ActionTokenizerOptions) {
    this.nBins = options.nBins ?? 256
    this.minAction = options.minAction ?? -1
    this.maxAction = options.maxAction ?? 1
    if (!(this.nBins >= 2 && Number.isInteger(this.nBins))) throw new RangeError(`nBins must be an integer >= 2, got ${this.nBins}`)
    if (!(this.minAction < this.maxAction)) throw new RangeError(`minAction must be < maxAction`)
    this.base = options.vocabSize - options.specialTokensCount - (options.offset ?? 10)
    if (this.base - this.nBins - 1 < 0) throw new RangeError(`vocabulary too small for ${this.nBins} action bins`)
    const step = (this.maxAction - this.minAction) / (this.nBins - 1)
    this.binEdges = new Float64Array(this.nBins)
    for (let i = 0; i < this.nBins; i++) this.binEdges[i] = i * step + this.minAction
    this.binEdges[this.nBins - 1] = this.maxAction
    this.binCenters = new Float64Array(this.nBins - 1)
    for (let i = 0; i < this.nBins - 1; i++) this.binCenters[i] = (this.binEdges[i]! + this.binEdges[i + 1]!) / 2
  }

  /** Ids strictly between `actionTokenBeginIdx` and `actionTokenEndIdx` are action tokens. */
  get actionTokenBeginIdx(): number {
    return this.base - this.nBins - 1
  }

  get actionTokenEndIdx(): number {
    return this.base
  }

  /** True for ids in the action range (the accuracy masks of RoboVLMs use the same strict bounds). */
  isActionToken(id: number): boolean {
    return id > this.actionTokenBeginIdx && id < this.actionTokenEndIdx
  }

  /** Bin index k = number of edges ≤ clip(x) (numpy `digitize`), in 1..nBins. */
  binIndex(x: number): number {
    const v = x < this.minAction ? this.minAction : x > this.maxAction ? this.maxAction : x
    let lo = 0
    let hi = this.nBins // first edge > v lies in [lo, hi]
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.binEdges[mid]! <= v) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** One token id per action dim: `base − k`. */
  encode(action: ArrayLike<number>): Array<number> {
    const ids = new Array<number>(action.length)
    for (let i = 0; i < action.length; i++) ids[i] = this.base - this.binIndex(action[i]!)
    return ids
  }

  /** Bin centre of each id: j = clip(base − id − 1, 0, nBins − 2). */
  decode(ids: ArrayLike<number>): Array<number> {
    const values = new Array<number>(ids.length)
    const last = this.nBins - 2
    for (let i = 0; i < ids.length; i++) {
      const j = this.base - ids[i]! - 1
      values[i] = this.binCenters[j < 0 ? 0 : j > last ? last : j]!
    }
    return values
  }
}
