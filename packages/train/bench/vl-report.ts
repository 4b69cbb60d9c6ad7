/**
 * Summarises a `robovla vl-pairs` folder: frames, pairs, arrangements, held-out phrasings, answer balance, and the
 * blind baseline (most frequent training answer per attribute) scored on `val` with the project's metric.
 *
 *   npx tsx bench/vl-report.ts data/vl-abc
 */
import { execFileSync } from "node:child_process"
import * as path from "node:path"
import { majorityPredictions, scoreVl } from "../src/vl/Metrics.ts"
import { readVlPairs } from "../src/vl/VlPairs.ts"

const out = process.argv[2] ?? "data/vl-abc"
const train = readVlPairs(path.join(out, "train.jsonl"))
const val = readVlPairs(path.join(out, "val.jsonl"))
for (const [name, pairs] of [["train", train], ["val", val]] as const) {
  const frames = new Set(pairs.map((p) => p.image)).size
  const arrangements = new Set(pairs.map((p) => p.arrangement)).size
  const heldOut = pairs.filter((p) => p.phrasing === "held-out").length
  const captions = pairs.filter((p) => p.kind === "caption")
  const words = captions.reduce((n, p) => n + p.target.split(" ").length, 0) / Math.max(captions.length, 1)
  console.log(`${name}: ${frames} frames, ${pairs.length} pairs (${captions.length} captions, ${(words).toFixed(1)} words each), ${arrangements} arrangements, ${heldOut} pairs with held-out phrasings`)
}
const places = new Map<string, number>()
for (const p of train) if (p.kind === "caption") for (const [k, v] of Object.entries(p.facts)) if (k.startsWith("block.")) places.set(v, (places.get(v) ?? 0) + 1)
console.log(`block facts in train frames: ${[...places].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ")}`)
const blind = scoreVl(val, majorityPredictions(train, val))
console.log(`blind baseline on val (most frequent training answer per attribute): answers ${(100 * blind.answers.accuracy).toFixed(1)} % of ${blind.answers.total}`)
const perfect = scoreVl(val, new Map(val.map((p) => [p.id, p.target])))
console.log(`reference texts on val: answers ${(100 * perfect.answers.accuracy).toFixed(1)} %, caption statements ${(100 * perfect.captions.accuracy).toFixed(1)} %, recall ${(100 * perfect.captions.recall).toFixed(1)} %`)
console.log(`disk: ${execFileSync("du", ["-sh", out], { encoding: "utf8" }).split("\t")[0]}`)
