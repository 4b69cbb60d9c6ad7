/**
 * Makes a policy model from a {@link PolicySpec}, inside whichever thread runs the chains.
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit, Scope } from "effect"
import { BenchError } from "./BenchError.ts"
import { makeRandomPolicyModel } from "./adapters/RandomPolicy.ts"
import type { MadePolicy, PolicySpec } from "./PolicySpec.ts"

// Each kind imports what it needs only when used: a remote run never loads tfjs or onnxruntime, and an
// in-process run never loads the HTTP client.

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
      const scope = Scope.makeUnsafe()
      const exit = await Effect.runPromiseExit(Scope.provide(scope)(loadPolicyModel({
        backbone: spec.backbone,
        head: spec.head,
        ...(spec.backboneConfig === undefined ? {} : { backboneConfig: spec.backboneConfig }),
        ...(spec.headConfig === undefined ? {} : { headConfig: spec.headConfig }),
        ...(spec.vlaConfig === undefined ? {} : { vla: spec.vlaConfig }),
        ...(spec.checkpoint === undefined ? {} : { checkpoint: spec.checkpoint })
      })))
      if (Exit.isFailure(exit)) {
        await Effect.runPromise(Scope.close(scope, Exit.void))
        const error = Cause.findErrorOption(exit.cause)
        throw new BenchError({
          reason: "PolicyUnavailable",
          message: `cannot load ${spec.backbone} + ${spec.head}: ${error._tag === "Some" ? (error.value as Error).message : Cause.pretty(exit.cause)}`
        })
      }
      return { model: exit.value, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
    }
    case "onnx": {
      const { loadExportedPolicy } = await import("@robovla/export")
      const scope = Scope.makeUnsafe()
      const exit = await Effect.runPromiseExit(Scope.provide(scope)(loadExportedPolicy(spec.dir, { executionProvider: spec.executionProvider ?? "auto" })))
      if (Exit.isFailure(exit)) {
        await Effect.runPromise(Scope.close(scope, Exit.void))
        const error = Cause.findErrorOption(exit.cause)
        throw new BenchError({
          reason: "PolicyUnavailable",
          message: `cannot load the export ${spec.dir}: ${error._tag === "Some" ? (error.value as Error).message : Cause.pretty(exit.cause)}`
        })
      }
      return { model: exit.value, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
    }
  }
}
