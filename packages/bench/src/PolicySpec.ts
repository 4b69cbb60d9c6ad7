/**
 * Which policy a benchmark runs, as data: it crosses into worker threads and is stored in the run manifest.
 * Each worker makes its own policy model from the spec.
 *
 * @since 0.1.0
 */
import type { PolicyModel } from "@robovla/sdk"
import { Schema } from "effect"
import { BenchError } from "./BenchError.ts"

/** @since 0.1.0 @category schemas */
export const PolicySpecSchema = Schema.Union([
  /** The privileged scripted experts: the benchmark's upper bound. */
  Schema.Struct({ kind: Schema.Literal("oracle") }),
  /** Uniform random actions: the lower bound. */
  Schema.Struct({ kind: Schema.Literal("random"), seed: Schema.optional(Schema.Number) }),
  /** A policy served over REST (the robovla gateway). */
  Schema.Struct({
    kind: Schema.Literal("http"),
    url: Schema.String,
    policy: Schema.String,
    apiKey: Schema.optional(Schema.String),
    timeoutMs: Schema.optional(Schema.Number)
  }),
  /** Any openpi-compatible WebSocket policy server (msgpack + raw ndarrays). */
  Schema.Struct({
    kind: Schema.Literal("ws"),
    url: Schema.String,
    apiKey: Schema.optional(Schema.String),
    timeoutMs: Schema.optional(Schema.Number)
  }),
  /** An in-process VLA: backbone + head plugins (by package name) with an optional checkpoint. */
  Schema.Struct({
    kind: Schema.Literal("vla"),
    backbone: Schema.String,
    head: Schema.String,
    backboneConfig: Schema.optional(Schema.Unknown),
    headConfig: Schema.optional(Schema.Unknown),
    vlaConfig: Schema.optional(Schema.Unknown),
    checkpoint: Schema.optional(Schema.String)
  }),
  /** An exported policy folder (`robovla export`) on onnxruntime-node, in-process. */
  Schema.Struct({
    kind: Schema.Literal("onnx"),
    dir: Schema.String,
    executionProvider: Schema.optional(Schema.Literals(["auto", "cuda", "webgpu", "cpu"]))
  })
])

/** @since 0.1.0 @category models */
export type PolicySpec = typeof PolicySpecSchema.Type

/** A short human label for reports and the run manifest. @since 0.1.0 @category formatting */
export const describePolicy = (spec: PolicySpec): string => {
  switch (spec.kind) {
    case "oracle":
      return "oracle"
    case "random":
      return `random(seed=${spec.seed ?? 0})`
    case "http":
      return `http ${spec.url} ${spec.policy}`
    case "ws":
      return `ws ${spec.url}`
    case "vla":
      return `vla ${spec.backbone} + ${spec.head}${spec.checkpoint ? ` @ ${spec.checkpoint}` : ""}`
    case "onnx":
      return `onnx ${spec.dir}${spec.executionProvider && spec.executionProvider !== "auto" ? ` on ${spec.executionProvider}` : ""}`
  }
}

/**
 * Parses the CLI's `--policy` value: `oracle`, `random[:seed]`, `http://host:port/v1/policies/<id>`,
 * `ws://host:port[/path]`, `vla:<backbone-package>+<head-package>[@checkpoint]`, or `onnx:<export-folder>[@provider]`
 * (provider `auto` | `cuda` | `webgpu` | `cpu`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const parsePolicyArg = (text: string, options: { readonly apiKey?: string | undefined; readonly timeoutMs?: number | undefined } = {}): PolicySpec => {
  const extra = { ...(options.apiKey ? { apiKey: options.apiKey } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) }
  if (text === "oracle") return { kind: "oracle" }
  if (text === "random" || text.startsWith("random:")) {
    const seed = Number(text.split(":")[1] ?? 0)
    if (!Number.isInteger(seed)) throw new BenchError({ reason: "InvalidOptions", message: `--policy random:<seed> needs an integer seed, got ${text}` })
    return { kind: "random", seed }
  }
  if (text.startsWith("http://") || text.startsWith("https://")) {
    const match = /^(https?:\/\/[^/]+)\/v1\/policies\/([^/]+)\/?$/.exec(text)
    if (!match) throw new BenchError({ reason: "InvalidOptions", message: `--policy ${text}: expected http(s)://host:port/v1/policies/<id>` })
    return { kind: "http", url: match[1]!, policy: decodeURIComponent(match[2]!), ...extra }
  }
  if (text.startsWith("ws://") || text.startsWith("wss://")) return { kind: "ws", url: text, ...extra }
  if (text.startsWith("vla:")) {
    // Package names may be scoped (@scope/name), so the checkpoint is after the first "@" that does not start a name.
    const [backbone, rest] = [text.slice(4, text.indexOf("+")), text.slice(text.indexOf("+") + 1)]
    const at = rest.indexOf("@", 1)
    const head = at < 0 ? rest : rest.slice(0, at)
    const checkpoint = at < 0 ? undefined : rest.slice(at + 1)
    if (!text.includes("+") || backbone === "" || head === "" || checkpoint === "") {
      throw new BenchError({ reason: "InvalidOptions", message: `--policy ${text}: expected vla:<backbone-package>+<head-package>[@checkpoint-folder]` })
    }
    return { kind: "vla", backbone, head, ...(checkpoint === undefined ? {} : { checkpoint }) }
  }
  if (text.startsWith("onnx:")) {
    const match = /^onnx:(.+?)(?:@(auto|cuda|webgpu|cpu))?$/.exec(text)
    if (!match || match[1]!.trim() === "") throw new BenchError({ reason: "InvalidOptions", message: `--policy ${text}: expected onnx:<export-folder>[@auto|cuda|webgpu|cpu]` })
    return { kind: "onnx", dir: match[1]!, ...(match[2] === undefined ? {} : { executionProvider: match[2] as "auto" }) }
  }
  throw new BenchError({ reason: "InvalidOptions", message: `unknown --policy ${JSON.stringify(text)}: use oracle, random[:seed], http://…/v1/policies/<id>, ws://…, vla:<backbone>+<head>, or onnx:<export-folder>` })
}

/** A made policy model and how to release it. @since 0.1.0 @category models */
export interface MadePolicy {
  readonly model: PolicyModel
  readonly close: () => Promise<void>
}
