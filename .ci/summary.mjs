// Adds up the vitest summaries that Turborepo interleaves from every package and prints one closing line,
// "tests: N passed, N failed, N skipped", so a reader (or a CI parser) sees the whole suite's count at once.
import { readFileSync } from "node:fs"

const text = readFileSync(process.argv[2], "utf8").replace(/\x1b\[[0-9;]*m/g, "")
const totals = { passed: 0, failed: 0, skipped: 0 }
let packages = 0
for (const line of text.split("\n")) {
  const match = /^(?:\S+:test:\s+)?\s*Tests\s+(.*)\(\d+\)\s*$/.exec(line)
  if (match === null) continue
  packages += 1
  for (const [, n, kind] of match[1].matchAll(/(\d+)\s+(passed|failed|skipped)/g)) totals[kind] += Number(n)
}
console.log(`${packages} packages tested`)
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
