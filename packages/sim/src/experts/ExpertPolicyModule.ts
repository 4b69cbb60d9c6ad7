/**
 * The scripted expert as a policy module (`@robovla/sim/expert-policy`): what the gateway's default deployment
 * names, so the gateway serves it like any other module and imports no simulator itself.
 *
 * ```json
 * { "id": "expert", "kind": "module", "module": "@robovla/sim/expert-policy", "options": { "scene": "D" } }
 * ```
 *
 * @since 0.1.0
 */
import { type PolicyModel, Schemas, type SdkError } from "@robovla/sdk"
import { Effect, Schema } from "effect"
import { makeExpertPolicyModel } from "./ExpertPolicy.ts"

/**
 * The module's `options`: the CALVIN scene the expert acts in (default D, CALVIN's evaluation scene).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ExpertPolicyModuleOptions = Schema.Struct({
  scene: Schema.optionalKey(Schema.Literals(["A", "B", "C", "D"]))
})

const decodeOptions = Schemas.decodeUnknown(ExpertPolicyModuleOptions, "expert policy options", { strict: false })

/**
 * The module's factory (the name a gateway `module` deployment calls by default). Bad options fail with
 * `SdkError` reason `InvalidInput`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makePolicyModel = (options: unknown = {}): Effect.Effect<PolicyModel, SdkError> =>
  decodeOptions(options ?? {}).pipe(Effect.map(({ scene }) => makeExpertPolicyModel(scene ?? "D")))
