/**
 * Makes a policy model from a {@link PolicySpec}, inside whichever thread runs the chains.
 *
 * @since 0.1.0
 */
import { makeExpertPolicyModel } from "@robovla/sim"
import { BenchError } from "./BenchError.ts"
import { makeRandomPolicyModel } from "./adapters/RandomPolicy.ts"
import type { MadePolicy, PolicySpec } from "./PolicySpec.ts"

/**
 * @since 0.1.0
 * @category constructors
 */
export const makePolicy = async (spec: PolicySpec, context: { readonly scene: string }): Promise<MadePolicy> => {
  switch (spec.kind) {
    case "oracle":
      return { model: makeExpertPolicyModel(context.scene as "D"), close: async () => {} }
    case "random":
      return { model: makeRandomPolicyModel(spec.seed ?? 0), close: async () => {} }
    default:
      throw new BenchError({ reason: "PolicyUnavailable", message: `policy kind ${spec.kind} is not available yet` })
  }
}
