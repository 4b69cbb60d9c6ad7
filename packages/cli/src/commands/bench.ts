/**
 * `robovla bench`: run a benchmark suite against a policy (CALVIN's long-horizon protocol by default).
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { parsePolicyArg, redact, redisOptions, runBenchmark, runQueuedBenchmark, singleTaskCoverage, suiteChains, SUITES } from "@robovla/bench"
import type { CliCommand } from "../CliCommand.ts"
import { benchProgressPrinter } from "../Progress.ts"
import { parseFlags } from "../Flags.ts"

const HELP = `usage: robovla bench [options]

Runs a benchmark suite against a policy and writes results.json, report.html, summary.md and
chains.jsonl (one line per finished chain) into --out.

options:
  --suite NAME          ${SUITES.join(" | ")} (default calvin)
  --policy SPEC         oracle | random[:seed] | http://host:port/v1/policies/<id> | ws://host:port
                        | vla:<backbone-package>+<head-package>[@checkpoint]
                        | onnx:<export-folder>[@auto|cuda|webgpu|cpu]         (default oracle)
  --scene A|B|C|D       simulator scene (default D)
  --chains N            run the first N chains of the suite
  --only I,J,...        run only these chain indices
  --seed N              seed for sampled suites and the random policy (default 0)
  --per-task N          starts per task for calvin-single (default 10)
  --workers N           parallel simulator workers (default 2)
  --out DIR             run folder (default runs/<suite>-<policy>-<scene>)
  --resume              continue a killed run in --out, skipping finished chains
  --videos K            record GIFs of the first K chains into the report (default 4)
  --max-steps N         steps per subtask (default 360)
  --actions-per-query N execute N actions of each returned chunk (default 1)
  --ensemble K          query every step and execute the mean of what the last K chunks predicted for it
                        (temporal ensembling; default 1 = the newest chunk's first action, as RoboVLMs)
  --timeout-ms N        per-call policy time limit (default 10000)
  --api-key KEY         API key for remote policies (or ROBOVLA_API_KEY)
  --instructions FILE   JSON file of task -> instruction overrides (eval instructions)
  --quiet               no progress line

distributed (chains sharded over a BullMQ queue in Redis; start workers with \`robovla worker\`):
  --queue URL           redis://[user:password@]host:port[/db] or rediss://… (TLS); password also from
                        ROBOVLA_REDIS_PASSWORD. --workers is then ignored: the workers do the work
  --attempts N          tries per chain when a worker fails it (default 3)
  --queue-ttl SECONDS   the run's Redis keys expire this long after last use (default 604800, 7 days)
  --tls-ca FILE         CA certificate for rediss://
  --tls-insecure        do not verify the server certificate (rediss://)
`

const integer = (name: string, value: string | undefined, fallback: number, min = 0): number => {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`)
  return n
}

const readInstructions = (file: string | undefined): Record<string, string> | undefined => {
  if (file === undefined) return undefined
  const raw = JSON.parse(fs.readFileSync(file, "utf8")) as unknown
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new Error(`${file}: expected a JSON object of task -> instruction`)
  const out: Record<string, string> = {}
  for (const [task, value] of Object.entries(raw)) {
    const text = typeof value === "string" ? value : (value as { eval?: unknown })?.eval
    if (typeof text !== "string" || text.trim() === "") throw new Error(`${file}: ${task} needs a non-empty instruction string (or {"eval": "..."})`)
    out[task] = text
  }
  return out
}

export const command: CliCommand = {
  name: "bench",
  summary: "run a benchmark suite (CALVIN long-horizon chains) against a policy",
  run: async (args) => {
    const parsed = parseFlags("bench", HELP, args, {
          suite: { type: "string", default: "calvin" },
          policy: { type: "string", default: "oracle" },
          scene: { type: "string", default: "D" },
          chains: { type: "string" },
          only: { type: "string" },
          seed: { type: "string" },
          "per-task": { type: "string" },
          workers: { type: "string" },
          out: { type: "string" },
          resume: { type: "boolean", default: false },
          videos: { type: "string" },
          "max-steps": { type: "string" },
          "actions-per-query": { type: "string" },
          ensemble: { type: "string" },
          "timeout-ms": { type: "string" },
          "api-key": { type: "string" },
          instructions: { type: "string" },
          quiet: { type: "boolean", default: false },
          queue: { type: "string" },
          attempts: { type: "string" },
          "queue-ttl": { type: "string" },
          "tls-ca": { type: "string" },
          "tls-insecure": { type: "boolean", default: false }
    })
    if ("exit" in parsed) return parsed.exit
    const values = parsed.values
    try {
      if (!["A", "B", "C", "D"].includes(values.scene!)) throw new Error(`--scene must be A, B, C or D, got ${values.scene}`)
      const seed = integer("seed", values.seed, 0)
      const timeoutMs = integer("timeout-ms", values["timeout-ms"], 10_000, 1)
      const policy = parsePolicyArg(values.policy!, { apiKey: values["api-key"] ?? process.env["ROBOVLA_API_KEY"], timeoutMs })
      const policyForSeed = policy.kind === "random" && values.policy === "random" ? { ...policy, seed } : policy
      const perTask = integer("per-task", values["per-task"], 10, 1)
      const chains = suiteChains(values.suite!, {
        chains: values.chains === undefined ? undefined : integer("chains", values.chains, 0, 1),
        only: values.only?.split(",").map((s) => integer("only", s.trim(), 0)),
        seed,
        perTask
      })
      if (values.suite === "calvin-single") {
        const { startable, midChainOnly } = singleTaskCoverage()
        process.stderr.write(`calvin-single: ${startable.length} tasks, ${perTask} starts each; not startable from CALVIN's initial states (they arise mid-chain only): ${midChainOnly.join(", ")}\n`)
      }
      const label = values.policy!.replace(/[^a-zA-Z0-9._-]+/g, "_").slice(0, 40)
      const outDir = path.resolve(values.out ?? path.join("runs", `${values.suite}-${label}-${values.scene}`))
      const run = values.queue === undefined
        ? (options: Parameters<typeof runBenchmark>[0]) => runBenchmark(options)
        : (options: Parameters<typeof runBenchmark>[0]) =>
          runQueuedBenchmark({
            ...options,
            connection: redisOptions(values.queue!, { tlsCa: values["tls-ca"], tlsInsecure: values["tls-insecure"], password: process.env["ROBOVLA_REDIS_PASSWORD"] }),
            queueLabel: redact(values.queue!),
            attempts: integer("attempts", values.attempts, 3, 1),
            ttlSeconds: integer("queue-ttl", values["queue-ttl"], 604_800, 1)
          })
      const outcome = await run({
        suite: values.suite!,
        scene: values.scene!,
        chains,
        seed,
        policy: policyForSeed,
        outDir,
        workers: integer("workers", values.workers, 2, 1),
        resume: values.resume!,
        videos: integer("videos", values.videos, 4),
        maxSteps: integer("max-steps", values["max-steps"], 360, 1),
        actionsPerQuery: integer("actions-per-query", values["actions-per-query"], 1, 1),
        temporalEnsemble: integer("ensemble", values.ensemble, 1, 1),
        actTimeoutMs: timeoutMs,
        videoStride: 3,
        videoSize: 160,
        instructions: readInstructions(values.instructions),
        onProgress: values.quiet ? undefined : benchProgressPrinter(values.suite!)
      })
      console.log(fs.readFileSync(outcome.files.markdown, "utf8"))
      console.log(`results: ${outcome.files.results}\nreport:  ${outcome.files.report}${outcome.resumedChains > 0 ? `\n(resumed: ${outcome.resumedChains} chains were already done)` : ""}`)
      return 0
    } catch (error) {
      console.error(`robovla bench: ${(error as Error).message}`)
      return 1
    }
  }
}
