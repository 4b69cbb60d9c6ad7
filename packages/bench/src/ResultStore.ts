/**
 * A run's results on disk: `chains.jsonl` gets one line per finished chain, appended (and flushed) as each
 * chain ends, so a killed run loses at most the chains in flight. `--resume` reads it back, drops a torn last
 * line, and skips the chains already there.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Schema } from "effect"
import { BenchError } from "./BenchError.ts"
import type { ChainResult } from "./Chain.ts"
import { ChainResultSchema } from "./Chain.ts"

const decodeLine = Schema.decodeUnknownSync(Schema.fromJsonString(ChainResultSchema))

/** The run's identity, stored in `run.json` so a resume with other settings is refused. @since 0.1.0 @category models */
export interface RunManifest {
  readonly suite: string
  readonly scene: string
  readonly seed: number
  readonly chains: ReadonlyArray<number>
  readonly policy: string
  readonly max_steps: number
  /** Absent in runs made before these were recorded: read as 1. */
  readonly actions_per_query?: number
  readonly temporal_ensemble?: number
}

/** @since 0.1.0 @category constructors */
export class ResultStore {
  private fd: number | undefined

  private constructor(readonly dir: string, readonly existing: ReadonlyArray<ChainResult>) {}

  get chainsFile(): string {
    return path.join(this.dir, "chains.jsonl")
  }

  /**
   * Opens (resume) or creates a run folder. Without `resume`, an existing non-empty run is refused rather than
   * overwritten.
   */
  static open(dir: string, manifest: RunManifest, options: { readonly resume: boolean }): ResultStore {
    fs.mkdirSync(dir, { recursive: true })
    const manifestFile = path.join(dir, "run.json")
    const chainsFile = path.join(dir, "chains.jsonl")
    const hasResults = fs.existsSync(chainsFile) && fs.statSync(chainsFile).size > 0
    if (hasResults && !options.resume) {
      throw new BenchError({ reason: "InvalidOptions", message: `${dir} already holds results; pass --resume to continue that run, or choose another --out` })
    }
    if (options.resume && fs.existsSync(manifestFile)) {
      const previous = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as RunManifest
      for (const key of ["suite", "scene", "seed", "policy", "max_steps", "actions_per_query", "temporal_ensemble"] as const) {
        const [was, now] = key === "actions_per_query" || key === "temporal_ensemble" ? [previous[key] ?? 1, manifest[key] ?? 1] : [previous[key], manifest[key]]
        if (was !== now) {
          throw new BenchError({ reason: "InvalidOptions", message: `cannot resume ${dir}: it was run with ${key}=${JSON.stringify(was)}, not ${JSON.stringify(now)}` })
        }
      }
    }
    fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + "\n")
    const existing: Array<ChainResult> = []
    if (options.resume && hasResults) {
      const text = fs.readFileSync(chainsFile, "utf8")
      const lines = text.split("\n")
      let validBytes = 0
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!
        const isLast = i === lines.length - 1
        if (line.trim() === "") {
          validBytes += line.length + (isLast ? 0 : 1)
          continue
        }
        try {
          existing.push(decodeLine(line))
          validBytes += line.length + (isLast ? 0 : 1)
        } catch (cause) {
          // Only the last line can be torn by a kill mid-write; anything earlier is corruption.
          if (!isLast && lines.slice(i + 1).some((l) => l.trim() !== "")) {
            throw new BenchError({ reason: "CorruptResults", message: `${chainsFile}: line ${i + 1} is not a chain result`, cause })
          }
          break
        }
      }
      fs.truncateSync(chainsFile, Buffer.byteLength(text.slice(0, validBytes)))
    }
    const store = new ResultStore(dir, dedupe(existing))
    store.fd = fs.openSync(chainsFile, "a")
    return store
  }

  /** Appends one chain result and flushes it to disk. */
  append(result: ChainResult): void {
    if (this.fd === undefined) throw new BenchError({ reason: "InvalidOptions", message: "result store is closed" })
    // open() cut any torn last line, so the file always ends at a line boundary here.
    fs.writeSync(this.fd, JSON.stringify(result) + "\n")
    fs.fsyncSync(this.fd)
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd)
    this.fd = undefined
  }
}

const dedupe = (results: ReadonlyArray<ChainResult>): Array<ChainResult> => {
  const byIndex = new Map<number, ChainResult>()
  for (const r of results) byIndex.set(r.index, r)
  return [...byIndex.values()].sort((a, b) => a.index - b.index)
}

/** Reads every chain result of a finished run folder, sorted by chain index. @since 0.1.0 @category constructors */
export const readResults = (dir: string): Array<ChainResult> => {
  const file = path.join(dir, "chains.jsonl")
  const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "")
  return dedupe(lines.map((l, i) => {
    try {
      return decodeLine(l)
    } catch (cause) {
      throw new BenchError({ reason: "CorruptResults", message: `${file}: line ${i + 1} is not a chain result`, cause })
    }
  }))
}
