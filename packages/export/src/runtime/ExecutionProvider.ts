/**
 * Which onnxruntime-node execution provider runs an export: CUDA when its provider libraries are installed,
 * WebGPU when an adapter exists, else CPU — tried in that order (`auto`), or exactly the one configured.
 * "Available" means a session really opens on it: onnxruntime lists CUDA and WebGPU on every Linux x64 build,
 * but CUDA needs `libonnxruntime_providers_cuda.so` + the CUDA libraries, and WebGPU needs a Vulkan adapter.
 *
 * @since 0.1.0
 */
import * as ort from "onnxruntime-node"
import { Schema } from "effect"
import { ExportError } from "../ExportError.ts"
import { GraphBuilder } from "../graph/GraphBuilder.ts"

/**
 * @since 0.1.0
 * @category schemas
 */
export const ProviderPreference = Schema.Literals(["auto", "cuda", "webgpu", "cpu"])

/** @since 0.1.0 @category models */
export type ProviderPreference = typeof ProviderPreference.Type

/** @since 0.1.0 @category models */
export type ProviderName = Exclude<ProviderPreference, "auto">

/**
 * The order `auto` tries.
 *
 * @since 0.1.0
 * @category constants
 */
export const PROVIDER_ORDER: ReadonlyArray<ProviderName> = ["cuda", "webgpu", "cpu"]

/** One provider's probe result. @since 0.1.0 @category models */
export interface ProviderProbe {
  readonly provider: ProviderName
  readonly ok: boolean
  /** First line of onnxruntime's error when it did not load. */
  readonly reason?: string
}

/** The chosen provider and what was tried on the way. @since 0.1.0 @category models */
export interface ProviderChoice {
  readonly provider: ProviderName
  readonly probes: ReadonlyArray<ProviderProbe>
}

let probeModel: Uint8Array | undefined
const probeBytes = (): Uint8Array => {
  if (probeModel === undefined) {
    const g = new GraphBuilder("robovla_provider_probe")
    const x = g.input("x", "float32", [2])
    g.output("y", g.op("Add", [g.op("MatMul", [g.op("Unsqueeze", [x, g.ints([0])]), g.floats([1, 0, 0, 1], [2, 2])]), g.floats([1, 1])]), "float32", [1, 2])
    probeModel = g.toBytes()
  }
  return probeModel
}

const probes = new Map<ProviderName, Promise<ProviderProbe>>()

/**
 * Opens and runs a two-op graph on one provider (cached per process: provider libraries do not appear at run time).
 *
 * @since 0.1.0
 * @category probing
 */
export const probeProvider = (provider: ProviderName): Promise<ProviderProbe> => {
  let probe = probes.get(provider)
  if (probe === undefined) {
    probe = (async (): Promise<ProviderProbe> => {
      try {
        const session = await ort.InferenceSession.create(probeBytes(), { executionProviders: [provider], logSeverityLevel: 4 })
        try {
          const out = await session.run({ x: new ort.Tensor("float32", Float32Array.of(1, 2), [2]) })
          const y = out["y"]!.data as Float32Array
          if (y[0] !== 2 || y[1] !== 3) return { provider, ok: false, reason: `wrong probe result [${[...y].join(", ")}]` }
        } finally {
          await session.release()
        }
        return { provider, ok: true }
      } catch (error) {
        return { provider, ok: false, reason: firstLine(error) }
      }
    })()
    probes.set(provider, probe)
  }
  return probe
}

const firstLine = (error: unknown): string => {
  const text = error instanceof Error ? error.message : String(error)
  // onnxruntime prefixes messages with a source location and a failed check ("… was false. "); keep the why.
  const line = (text.split("\n")[0] ?? text).replace(/^.*? was false\. /, "").replace(/^\S+\.cc:\d+ \S+ /, "")
  return line.length > 240 ? `${line.slice(0, 240)}…` : line
}

/**
 * Picks the provider: the configured one (failing with `ProviderUnavailable` when it does not load) or, for
 * `auto`, the first of CUDA, WebGPU, CPU that loads.
 *
 * @since 0.1.0
 * @category probing
 */
export const selectProvider = async (preference: ProviderPreference = "auto"): Promise<ProviderChoice> => {
  const order = preference === "auto" ? PROVIDER_ORDER : [preference]
  const tried: Array<ProviderProbe> = []
  for (const provider of order) {
    const probe = await probeProvider(provider)
    tried.push(probe)
    if (probe.ok) return { provider, probes: tried }
  }
  throw new ExportError({
    reason: "ProviderUnavailable",
    message: `no execution provider loads (${tried.map((p) => `${p.provider}: ${p.reason ?? "failed"}`).join("; ")})`,
    subject: preference
  })
}

/**
 * Session options for a provider (CPU threads when given).
 *
 * @since 0.1.0
 * @category constructors
 */
export const sessionOptions = (provider: ProviderName, intraOpThreads?: number): ort.InferenceSession.SessionOptions => ({
  executionProviders: [provider],
  graphOptimizationLevel: "all",
  logSeverityLevel: 3,
  ...(intraOpThreads === undefined ? {} : { intraOpNumThreads: intraOpThreads })
})
