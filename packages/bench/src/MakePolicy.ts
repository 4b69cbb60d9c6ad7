/**
 * Makes a policy model from a {@link PolicySpec}, inside whichever thread runs the chains.
 *
 * @since 0.1.0
 */
import { AsyncScope, type PolicyModel } from "@robovla/sdk"
import type { Effect, Scope } from "effect"
import { BenchError } from "./BenchError.ts"
import { makeRandomPolicyModel } from "./adapters/RandomPolicy.ts"
import type { MadePolicy, PolicySpec } from "./PolicySpec.ts"

// Each kind imports what it needs only when used: a remote run never loads tfjs or onnxruntime, and an
// in-process run never loads the HTTP client.

/** Loads a model in a Scope of its own (the SDK's seam); a failure becomes `PolicyUnavailable`. */
const openModel = async (what: string, load: Effect.Effect<PolicyModel, unknown, Scope.Scope>): Promise<MadePolicy> => {
  try {
    const { close, value } = await AsyncScope.acquire(load)
    return { model: value, close }
  } catch (error) {
    throw new BenchError({ reason: "PolicyUnavailable", message: `cannot load ${what}: ${AsyncScope.describe(error)}`, cause: error })
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const makePolicy = async (spec: PolicySpec, context: { readonly scene: string }): Promise<MadePolicy> => {
  switch (spec.kind) {
    case "oracle": {
      const { makeExpertPolicyModel } = await import("@robovla/sim")
      return { model: makeExpertPolicyModel(context.scene as "D"), close: async () => {} }
    }
    case "random":
      return { model: makeRandomPolicyModel(spec.seed ?? 0), close: async () => {} }
    case "http":
      return (await import("./adapters/RemotePolicy.ts")).makeHttpPolicy(spec)
    case "ws":
      return (await import("./adapters/RemotePolicy.ts")).makeWebSocketPolicy(spec)
    case "vla": {
      const { loadPolicyModel } = await import("@robovla/sdk")
      return openModel(`${spec.backbone} + ${spec.head}`, loadPolicyModel({
        backbone: spec.backbone,
        head: spec.head,
        ...(spec.backboneConfig === undefined ? {} : { backboneConfig: spec.backboneConfig }),
        ...(spec.headConfig === undefined ? {} : { headConfig: spec.headConfig }),
        ...(spec.vlaConfig === undefined ? {} : { vla: spec.vlaConfig }),
        ...(spec.checkpoint === undefined ? {} : { checkpoint: spec.checkpoint })
      }))
    }
    case "onnx": {
      const { loadExportedPolicy } = await import("@robovla/export")
      return openModel(`the export ${spec.dir}`, loadExportedPolicy(spec.dir, { executionProvider: spec.executionProvider ?? "auto" }))
    }
  }
}
