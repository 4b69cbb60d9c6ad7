/**
 * `robovla export`: a policy (a checkpoint folder, or backbone + head plugins with their configs) → an ONNX
 * export folder (`@robovla/export`), verified against the source policy over a rollout before it is moved into
 * place. Serve it with a gateway `onnx` deployment or bench it with `--policy onnx:<folder>`.
 *
 * @since 0.1.0
 */
import type { ExportResult } from "@robovla/export"
import { AsyncScope, PositiveInt, Schemas } from "@robovla/sdk"
import { Result, Schema } from "effect"
import type { CliCommand } from "../CliCommand.ts"
import { jsonArg, parseFlags } from "../Flags.ts"

const HELP = `usage: robovla export --out <dir> (--checkpoint <dir> | --backbone <pkg> --head <pkg> | --spec <policy.json>) [options]

Exports a policy to ONNX graphs that run on onnxruntime-node: backbone graphs (or the copied ONNX backbone
folder), the head graph (LSTM state as explicit inputs/outputs), the [LRN] vector and export.json. The export
is checked against the source policy over a rollout (history included) and refused beyond the tolerance.

options:
  --out <dir>              the export folder (refused if it exists, unless --force)
  --checkpoint <dir>       a checkpoint folder loadPolicyModel reads (policy.json + weights)
  --spec <file>            a policy spec JSON (backbone, head, backboneConfig, headConfig, vla, checkpoint, onnx)
  --backbone <pkg>         backbone plugin package (tiny-vlm → @robovla/backbone-tiny-vlm)
  --head <pkg>             head plugin package (mlp, lstm, gpt, discrete → @robovla/head-*)
  --onnx <dir>             an ONNX backbone folder (config.json + graphs), instead of --backbone
  --backbone-config <json> backbone plugin config (JSON text or a .json file)
  --head-config <json>     head plugin config (JSON text or a .json file)
  --vla <json>             RoboVLMs VLA config: window_size, fwd_pred_next_n, act_head… (JSON text or file)
  --force                  replace an existing export (only once the new one is complete and verified)
  --no-verify              skip the rollout check
  --verify-steps <n>       rollout length of the check (default W + 3, at least 6)
  --tolerance <x>          largest allowed |Δaction| (default 1e-4)
  -h, --help               this help

example:
  robovla export --backbone tiny-vlm --head lstm --vla '{"window_size":4,"fwd_pred_next_n":2}' --out exports/tiny-lstm
  robovla serve --config gateway.json   # with {"id":"tiny","kind":"onnx","dir":"exports/tiny-lstm"}`

/** The rollout check's flags, as numbers (a flag that is not a number becomes NaN and is refused). */
const VerifyFlags = Schema.Struct({
  steps: Schema.optional(PositiveInt),
  tolerance: Schema.optional(Schema.Finite.check(Schema.isGreaterThan(0)))
})
const decodeVerifyFlags = Schemas.decodeUnknownResult(VerifyFlags, "--verify-steps / --tolerance")

const SHORT_BACKBONES: Readonly<Record<string, string>> = { "tiny-vlm": "@robovla/backbone-tiny-vlm", onnx: "@robovla/backbone-onnx" }
const SHORT_HEADS = new Set(["mlp", "lstm", "gpt", "discrete"])

/** A flag problem, printed with the help text and exit code 2 like every other command's. */
interface Usage {
  readonly usage: string
}

type ExportFlags = Partial<Record<"checkpoint" | "spec" | "backbone" | "head" | "onnx" | "backbone-config" | "head-config" | "vla" | "verify-steps" | "tolerance", string | undefined>> & {
  readonly "no-verify"?: boolean | undefined
}

/** The policy spec and verification options the flags name, or the usage problem. */
const readFlags = (v: ExportFlags): { readonly spec: Record<string, unknown>; readonly verify: false | { steps?: number; tolerance?: number } } | Usage => {
  const fromFile = jsonArg("--spec", v.spec)
  if ("usage" in fromFile) return fromFile
  if (fromFile.value !== undefined && (typeof fromFile.value !== "object" || fromFile.value === null || Array.isArray(fromFile.value))) return { usage: "--spec must hold a JSON object" }
  const spec: Record<string, unknown> = { ...(fromFile.value as Record<string, unknown> | undefined) }
  if (v.checkpoint !== undefined) spec["checkpoint"] = v.checkpoint
  if (v.backbone !== undefined) spec["backbone"] = SHORT_BACKBONES[v.backbone] ?? v.backbone
  if (v.head !== undefined) spec["head"] = SHORT_HEADS.has(v.head) ? `@robovla/head-${v.head}` : v.head
  if (v.onnx !== undefined) spec["onnx"] = v.onnx
  for (const [flag, key] of [["backbone-config", "backboneConfig"], ["head-config", "headConfig"], ["vla", "vla"]] as const) {
    const json = jsonArg(`--${flag}`, v[flag])
    if ("usage" in json) return json
    if (json.value !== undefined) spec[key] = json.value
  }
  if (spec["checkpoint"] === undefined && spec["head"] === undefined) return { usage: "name a policy: --checkpoint, --spec, or --backbone/--onnx with --head" }
  const numbers = decodeVerifyFlags({
    ...(v["verify-steps"] === undefined ? {} : { steps: Number(v["verify-steps"]) }),
    ...(v.tolerance === undefined ? {} : { tolerance: Number(v.tolerance) })
  })
  if (Result.isFailure(numbers)) return { usage: numbers.failure.message }
  const { steps, tolerance } = numbers.success
  const verify = v["no-verify"] === true ? false : { ...(steps === undefined ? {} : { steps }), ...(tolerance === undefined ? {} : { tolerance }) }
  return { spec, verify }
}

export const command: CliCommand = {
  name: "export",
  summary: "export a policy (checkpoint or plugins) to ONNX for onnxruntime-node (CUDA, WebGPU or CPU)",
  run: async (args) => {
    const parsed = parseFlags("export", HELP, args, {
      out: { type: "string" },
      checkpoint: { type: "string" },
      spec: { type: "string" },
      backbone: { type: "string" },
      head: { type: "string" },
      onnx: { type: "string" },
      "backbone-config": { type: "string" },
      "head-config": { type: "string" },
      vla: { type: "string" },
      force: { type: "boolean" },
      "no-verify": { type: "boolean" },
      "verify-steps": { type: "string" },
      tolerance: { type: "string" }
    })
    if ("exit" in parsed) return parsed.exit
    const v = parsed.values
    const usage = (message: string) => {
      console.error(`robovla export: ${message}\n\n${HELP}`)
      return 2
    }
    if (v.out === undefined) return usage("--out is required")
    const flags = readFlags(v)
    if ("usage" in flags) return usage(flags.usage)
    const { spec, verify } = flags

    const { exportPolicy } = await import("@robovla/export")
    const started = performance.now()
    console.log(`exporting ${String(spec["checkpoint"] ?? `${String(spec["backbone"] ?? spec["onnx"])} + ${String(spec["head"])}`)} → ${v.out}`)
    // The policy is loaded, exported and verified inside one Scope that closes before the command returns.
    const exportScope = AsyncScope.make()
    let result: ExportResult
    try {
      result = await exportScope.run(exportPolicy(spec, { outDir: v.out, overwrite: v.force === true, verify }))
    } catch (error) {
      console.error(`robovla export: ${AsyncScope.describe(error)}`)
      return 1
    } finally {
      await exportScope.close()
    }
    for (const file of result.files) console.log(`  ${file.file.padEnd(34)} ${(file.bytes / 1024).toFixed(1).padStart(9)} KiB`)
    if (result.verification !== undefined) {
      console.log(`verified: ${result.verification.steps}-step rollout, max |Δaction| ${result.verification.maxAbsDiff.toExponential(2)} ≤ ${result.verification.tolerance}`)
    } else console.log("not verified (--no-verify)")
    console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s: ${result.outDir}`)
    return 0
  }
}
