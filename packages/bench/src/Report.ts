/**
 * Run outputs: `results.json` (CALVIN's shape plus per-task rates, wall time and steps/s), a self-contained
 * `report.html` (inline SVG charts, rollout GIFs embedded as data URIs) and `summary.md` for terminals and CI.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { ChainResult } from "./Chain.ts"
import type { BenchSummary } from "./Results.ts"

/** @since 0.1.0 @category models */
export interface ReportInput {
  readonly suite: string
  readonly scene: string
  readonly policy: string
  readonly seed: number
  readonly workers: number
  readonly wallMs: number
  readonly stepsPerSecond: number
  readonly summary: BenchSummary
  readonly results: ReadonlyArray<ChainResult>
  readonly videoDir?: string | undefined
}

/** The `results.json` document. @since 0.1.0 @category encoding */
export const resultsJson = (input: ReportInput) => ({
  suite: input.suite,
  scene: input.scene,
  policy: input.policy,
  seed: input.seed,
  chains: input.summary.chains,
  avg_seq_len: input.summary.avg_seq_len,
  chain_sr: input.summary.chain_sr,
  task_info: input.summary.task_info,
  task_success_rate: input.summary.task_success_rate,
  failures_by_outcome: input.summary.failures_by_outcome,
  wall_time_s: input.wallMs / 1000,
  steps: input.summary.steps,
  steps_per_s: input.stepsPerSecond,
  workers: input.workers
})

const pct = (x: number) => `${(x * 100).toFixed(1)}%`

/** The Markdown summary. @since 0.1.0 @category encoding */
export const markdownSummary = (input: ReportInput): string => {
  const s = input.summary
  const lines = [
    `## robovla bench: ${input.suite} (scene ${input.scene})`,
    "",
    `Policy \`${input.policy}\`, ${s.chains} chains, seed ${input.seed}, ${input.workers} worker(s), ${(input.wallMs / 1000).toFixed(1)} s, ${Math.round(input.stepsPerSecond)} steps/s.`,
    "",
    "| 1/5 | 2/5 | 3/5 | 4/5 | 5/5 | avg len |",
    "|---|---|---|---|---|---|",
    `| ${pct(s.chain_sr["1"])} | ${pct(s.chain_sr["2"])} | ${pct(s.chain_sr["3"])} | ${pct(s.chain_sr["4"])} | ${pct(s.chain_sr["5"])} | **${s.avg_seq_len.toFixed(3)}** |`,
    "",
    "| task | success | total | rate |",
    "|---|---|---|---|",
    ...Object.entries(s.task_info)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([task, t]) => `| ${task} | ${t.success} | ${t.total} | ${pct(t.total === 0 ? 0 : t.success / t.total)} |`)
  ]
  const failures = Object.entries(s.failures_by_outcome)
  if (failures.length > 0) lines.push("", `Failures by outcome: ${failures.map(([k, v]) => `${k} ${v}`).join(", ")}.`)
  return lines.join("\n") + "\n"
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;" })[c]!)

const barChart = (bars: ReadonlyArray<{ readonly label: string; readonly value: number }>, options: { readonly width: number; readonly barHeight: number; readonly labelWidth: number }): string => {
  const { width, barHeight, labelWidth } = options
  const height = bars.length * (barHeight + 4) + 4
  const plot = width - labelWidth - 50
  const rows = bars.map((b, i) => {
    const y = 4 + i * (barHeight + 4)
    const w = Math.max(0, Math.min(1, b.value)) * plot
    return `<text x="${labelWidth - 6}" y="${y + barHeight * 0.75}" text-anchor="end">${escape(b.label)}</text>` +
      `<rect x="${labelWidth}" y="${y}" width="${plot}" height="${barHeight}" fill="#eef"/>` +
      `<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="#4a6cf7"/>` +
      `<text x="${labelWidth + plot + 6}" y="${y + barHeight * 0.75}">${pct(b.value)}</text>`
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="${Math.round(barHeight * 0.7)}">${rows.join("")}</svg>`
}

/** The self-contained HTML report. @since 0.1.0 @category encoding */
export const htmlReport = (input: ReportInput): string => {
  const s = input.summary
  const position = barChart((["1", "2", "3", "4", "5"] as const).map((k) => ({ label: `${k} in a row`, value: s.chain_sr[k] })), { width: 640, barHeight: 22, labelWidth: 110 })
  const tasks = barChart(Object.entries(s.task_success_rate).map(([task, rate]) => ({ label: `${task} (${s.task_info[task]!.total})`, value: rate })), { width: 760, barHeight: 14, labelWidth: 260 })
  const videos: Array<string> = []
  if (input.videoDir !== undefined && fs.existsSync(input.videoDir)) {
    for (const file of fs.readdirSync(input.videoDir).filter((f) => f.endsWith(".gif")).sort()) {
      const index = Number(/chain-(\d+)\.gif/.exec(file)?.[1] ?? -1)
      const result = input.results.find((r) => r.index === index)
      const data = fs.readFileSync(path.join(input.videoDir, file)).toString("base64")
      const caption = result
        ? result.subtasks.map((t) => `${t.outcome === "success" ? "✔" : "✘"} ${escape(t.task)} (${t.steps} steps${t.outcome === "success" ? "" : `, ${t.outcome}`})`).join("<br>")
        : ""
      videos.push(`<figure><img src="data:image/gif;base64,${data}" alt="chain ${index}"><figcaption><b>chain ${index}</b>: ${result?.completed ?? "?"}/${result?.tasks.length ?? 5}<br>${caption}</figcaption></figure>`)
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>robovla bench: ${escape(input.suite)}</title>
<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}
figure{display:inline-block;margin:8px;vertical-align:top;width:220px;font-size:12px}figure img{width:200px;image-rendering:pixelated}.big{font-size:2em;font-weight:bold}</style></head>
<body>
<h1>robovla bench: ${escape(input.suite)}</h1>
<p>Policy <code>${escape(input.policy)}</code> · scene ${escape(input.scene)} · ${s.chains} chains · seed ${input.seed} · ${input.workers} worker(s) · ${(input.wallMs / 1000).toFixed(1)} s · ${Math.round(input.stepsPerSecond)} steps/s</p>
<p>Average sequence length <span class="big">${s.avg_seq_len.toFixed(3)}</span> / 5</p>
<h2>Success by chain position</h2>${position}
<table><tr>${(["1", "2", "3", "4", "5"] as const).map((k) => `<th>${k}/5</th>`).join("")}</tr><tr>${(["1", "2", "3", "4", "5"] as const).map((k) => `<td>${pct(s.chain_sr[k])}</td>`).join("")}</tr></table>
<h2>Success by task</h2>${tasks}
${Object.keys(s.failures_by_outcome).length > 0 ? `<p>Failures by outcome: ${Object.entries(s.failures_by_outcome).map(([k, v]) => `${escape(k)} ${v}`).join(", ")}</p>` : ""}
${videos.length > 0 ? `<h2>Rollouts</h2>${videos.join("\n")}` : ""}
</body></html>
`
}

/**
 * Writes the three report files; returns their paths.
 *
 * @since 0.1.0
 * @category encoding
 */
export const writeReports = (dir: string, input: ReportInput) => {
  const files = { results: path.join(dir, "results.json"), report: path.join(dir, "report.html"), markdown: path.join(dir, "summary.md") }
  fs.writeFileSync(files.results, JSON.stringify(resultsJson(input), null, 2) + "\n")
  fs.writeFileSync(files.report, htmlReport(input))
  fs.writeFileSync(files.markdown, markdownSummary(input))
  return files
}
