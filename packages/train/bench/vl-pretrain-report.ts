/**
 * Reads a `robovla pretrain-vl` run (its `predictions.jsonl` on val) and prints, as markdown, the answer accuracy
 * per question attribute beside the blind baseline (most frequent training answer per attribute), seen vs held-out
 * phrasings, caption statement accuracy / recall per attribute, and the evaluation curve from `log.jsonl`.
 *
 *   npx tsx bench/vl-pretrain-report.ts data/vl-abc runs/vl-pretrain
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { majorityPredictions, scoreVl } from "../src/vl/Metrics.ts"
import { readVlPairs } from "../src/vl/VlPairs.ts"

const pairsDir = process.argv[2] ?? "data/vl-abc"
const run = process.argv[3] ?? "runs/vl-pretrain"
const train = readVlPairs(path.join(pairsDir, "train.jsonl"))
const val = readVlPairs(path.join(pairsDir, "val.jsonl"))
const lines = fs.readFileSync(path.join(run, "predictions.jsonl"), "utf8").split("\n").filter((l) => l.trim() !== "")
const predictions = new Map(lines.map((l) => JSON.parse(l) as { id: string; prediction: string }).map((p) => [p.id, p.prediction]))
// Score the pairs the run decoded (every val question; --final-captions of the captions).
const decoded = val.filter((p) => predictions.has(p.id))
const model = scoreVl(decoded, predictions)
const blind = scoreVl(decoded, majorityPredictions(train, decoded))
const pct = (x: number) => `${(100 * x).toFixed(1)} %`

console.log(`answers on val: **${pct(model.answers.accuracy)}** of ${model.answers.total} (blind baseline ${pct(blind.answers.accuracy)}); ` +
  `seen phrasings ${pct(model.answers.byPhrasing.seen.accuracy)} (blind ${pct(blind.answers.byPhrasing.seen.accuracy)}), ` +
  `held-out phrasings ${pct(model.answers.byPhrasing["held-out"].accuracy)} (blind ${pct(blind.answers.byPhrasing["held-out"].accuracy)})`)
console.log(`captions on val (${model.captions.captions}): statement accuracy ${pct(model.captions.accuracy)}, recall ${pct(model.captions.recall)}, ${model.captions.stated.toFixed(1)} judged statements per caption\n`)
console.log("| question attribute | questions | model | blind | Δ |\n|---|---|---|---|---|")
for (const [attribute, a] of Object.entries(model.answers.byAttribute)) {
  const b = blind.answers.byAttribute[attribute]!
  console.log(`| ${attribute} | ${a.total} | ${pct(a.accuracy)} | ${pct(b.accuracy)} | ${((a.accuracy - b.accuracy) * 100).toFixed(1)} |`)
}
console.log("\n| caption attribute | statements | accuracy |\n|---|---|---|")
for (const [attribute, a] of Object.entries(model.captions.byAttribute)) console.log(`| ${attribute} | ${a.total} | ${pct(a.accuracy)} |`)
const log = fs.readFileSync(path.join(run, "log.jsonl"), "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Record<string, number | string>)
console.log("\n| step | val loss | answers | blind | caption statements | caption recall | pairs decoded |\n|---|---|---|---|---|---|---|")
for (const e of log.filter((e) => e["type"] !== "train")) {
  console.log(`| ${e["step"]}${e["type"] === "final" ? " (all of val)" : ""} | ${(e["valLoss"] as number).toFixed(3)} | ${pct(e["answers"] as number)} | ${pct(e["blindAnswers"] as number)} | ${pct(e["captionAccuracy"] as number)} | ${pct(e["captionRecall"] as number)} | ${e["pairs"]} |`)
}
