/**
 * Plugin manifests: what a backbone or head package exports so that the loader can find, check and make it.
 *
 * A plugin package declares `"robovla": { "kind": "backbone" | "head" }` in its package.json and exports
 * `plugin` (a manifest below) from its entry point.
 *
 * @since 0.1.0
 */
import type { Effect, Schema, Scope } from "effect"
import type { Backbone } from "./Backbone.ts"
import { BACKBONE_CONTRACT_VERSION } from "./Backbone.ts"
import type { SdkError } from "./SdkError.ts"
import type { HeadDimensions, PolicyHead } from "./PolicyHead.ts"
import { HEAD_CONTRACT_VERSION } from "./PolicyHead.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface BackbonePlugin<Config = unknown> {
  readonly kind: "backbone"
  /** Registry key; equals the package suffix (`@robovla/backbone-<name>` → `<name>`). */
  readonly name: string
  readonly version: string
  readonly contractVersion: typeof BACKBONE_CONTRACT_VERSION
  readonly configSchema: Schema.Codec<Config, unknown>
  readonly defaultConfig: Config
  /** Acquires the backbone's resources (engine sessions, variables) in the Scope; closing it frees them. */
  readonly make: (config: Config) => Effect.Effect<Backbone, SdkError, Scope.Scope>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface HeadPlugin<Config = unknown> {
  readonly kind: "head"
  readonly name: string
  readonly version: string
  readonly contractVersion: typeof HEAD_CONTRACT_VERSION
  readonly configSchema: Schema.Codec<Config, unknown>
  readonly defaultConfig: Config
  readonly make: (config: Config, dimensions: HeadDimensions) => Effect.Effect<PolicyHead, SdkError, Scope.Scope>
}

/**
 * @since 0.1.0
 * @category models
 */
export type Plugin = BackbonePlugin<any> | HeadPlugin<any>

/**
 * The contract versions this SDK understands, by plugin kind.
 *
 * @since 0.1.0
 * @category constants
 */
export const SUPPORTED_CONTRACTS = {
  backbone: [BACKBONE_CONTRACT_VERSION],
  head: [HEAD_CONTRACT_VERSION]
} as const
