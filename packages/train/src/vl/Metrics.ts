/**
 * The accuracy a vision-language pre-training run reports on the pair sets of `VlPairs.ts`:
 *
 * - answer accuracy: exact match of the normalised answer (`normalizeAnswer`) with the canonical one, overall, per
 *   question attribute, and for seen vs held-out phrasings;
 * - caption attribute accuracy: the generated caption is parsed back into facts (`parseCaption`, the clause
 *   vocabulary of the generator, any phrasing) and each statement about an attribute the frame decides is judged
 *   against the frame's facts (`accuracy` = correct statements / judged statements; a conflicting pair of
 *   statements is wrong). Statements about what the frame leaves undecided (a door half way, fingers moving) are
 *   not judged. Because a short caption can be right by saying little, `recall` is reported beside it: the
 *   fraction of the facts the reference caption states that the generated one states correctly, and `stated`,
 *   the mean number of judged statements per caption.
 *
 * A missing prediction counts as wrong (and states nothing).
 *
 * @since 0.1.0
 */
import { normalizeAnswer, parseCaption } from "./Language.ts"
import type { VlPair } from "./VlPairs.ts"

/** @since 0.1.0 @category models */
export interface Accuracy {
  readonly correct: number
  readonly total: number
  readonly accuracy: number
}

/** @since 0.1.0 @category models */
export interface VlScore {
  readonly answers: Accuracy & {
    readonly byAttribute: Readonly<Record<string, Accuracy>>
    readonly byPhrasing: Readonly<Record<"seen" | "held-out", Accuracy>>
  }
  readonly captions: Accuracy & {
    /** Of the facts the reference captions state: the fraction the generated captions state correctly. */
    readonly recall: number
    /** Mean judged statements per generated caption. */
    readonly stated: number
    /** Judged statements per attribute (block facts grouped as `block`). */
    readonly byAttribute: Readonly<Record<string, Accuracy>>
    readonly captions: number
  }
}

class Tally {
  correct = 0
  total = 0
  add(ok: boolean): void {
    this.total++
    if (ok) this.correct++
  }
  get result(): Accuracy {
    return { correct: this.correct, total: this.total, accuracy: this.total === 0 ? 0 : this.correct / this.total }
  }
}

const tallies = () => {
  const map = new Map<string, Tally>()
  return {
    get: (key: string) => map.get(key) ?? map.set(key, new Tally()).get(key)!,
    result: (): Record<string, Accuracy> => Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)).map(([k, t]) => [k, t.result]))
  }
}

/**
 * True when `prediction` answers `pair` (a QA pair) exactly, after normalisation.
 *
 * @since 0.1.0
 * @category metrics
 */
export const answerMatches = (pair: Pick<VlPair, "target">, prediction: string): boolean => normalizeAnswer(prediction) === normalizeAnswer(pair.target)

/**
 * The judged statements of one generated caption: attribute → whether it matches the frame's fact. Attributes the
 * frame does not decide are left out.
 *
 * @since 0.1.0
 * @category metrics
 */
export const judgeCaption = (facts: Readonly<Record<string, string>>, prediction: string): Record<string, boolean> => {
  const parsed = parseCaption(prediction)
  const judged: Record<string, boolean> = {}
  for (const [attribute, value] of Object.entries(parsed)) if (facts[attribute] !== undefined) judged[attribute] = value === facts[attribute]
  return judged
}

/**
 * Scores predictions (pair id → generated text) on a pair set: QA pairs by exact match, caption pairs by caption
 * attribute accuracy.
 *
 * @since 0.1.0
 * @category metrics
 */
export const scoreVl = (pairs: ReadonlyArray<VlPair>, predictions: ReadonlyMap<string, string>): VlScore => {
  const answers = new Tally()
  const byAttribute = tallies()
  const byPhrasing = { seen: new Tally(), "held-out": new Tally() }
  const statements = new Tally()
  const byStatement = tallies()
  const recall = new Tally()
  let captions = 0
  for (const pair of pairs) {
    const prediction = predictions.get(pair.id) ?? ""
    if (pair.kind === "qa") {
      const ok = predictions.has(pair.id) && answerMatches(pair, prediction)
      answers.add(ok)
      byAttribute.get(pair.attribute).add(ok)
      byPhrasing[pair.phrasing].add(ok)
    } else {
      captions++
      const judged = judgeCaption(pair.facts, prediction)
      for (const [attribute, ok] of Object.entries(judged)) {
        statements.add(ok)
        byStatement.get(attribute.startsWith("block.") ? "block" : attribute).add(ok)
      }
      for (const attribute of pair.stated ?? Object.keys(pair.facts)) recall.add(judged[attribute] === true)
    }
  }
  return {
    answers: { ...answers.result, byAttribute: byAttribute.result(), byPhrasing: { seen: byPhrasing.seen.result, "held-out": byPhrasing["held-out"].result } },
    captions: { ...statements.result, recall: recall.result.accuracy, stated: captions === 0 ? 0 : statements.total / captions, byAttribute: byStatement.result(), captions }
  }
}

/**
 * The answer a blind model would give: the most frequent training answer per question attribute. Scoring it
 * (`scoreVl(val, majorityPredictions(train, val))`) gives the floor a pre-trained model has to beat.
 *
 * @since 0.1.0
 * @category metrics
 */
export const majorityPredictions = (train: ReadonlyArray<VlPair>, pairs: ReadonlyArray<VlPair>): Map<string, string> => {
  const counts = new Map<string, Map<string, number>>()
  for (const p of train) {
    if (p.kind !== "qa") continue
    const byAnswer = counts.get(p.attribute) ?? counts.set(p.attribute, new Map()).get(p.attribute)!
    byAnswer.set(p.target, (byAnswer.get(p.target) ?? 0) + 1)
  }
  const majority = new Map<string, string>()
  for (const [attribute, byAnswer] of counts) majority.set(attribute, [...byAnswer].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0])
  const out = new Map<string, string>()
  for (const p of pairs) {
    const answer = p.kind === "qa" ? majority.get(p.attribute) : undefined
    if (answer !== undefined) out.set(p.id, answer)
  }
  return out
}
