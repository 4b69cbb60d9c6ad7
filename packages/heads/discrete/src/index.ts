/**
 * `@robovla/head-discrete`: a discrete (binned-action) policy head as a robovla head plugin, on tfjs, over
 * RoboVLMs' 256-bin action tokenizer.
 *
 * @since 0.1.0
 */
import type { HeadPlugin } from "@robovla/sdk"
import { PolicyHead } from "@robovla/sdk"
import { DiscreteConfig, defaultDiscreteConfig } from "./DiscreteConfig.ts"
import { make } from "./DiscreteHead.ts"

export { classValues, make, tokenizerFor, valuesToClasses } from "./DiscreteHead.ts"
export { DiscreteConfig as Config, defaultDiscreteConfig as defaultConfig } from "./DiscreteConfig.ts"
export type { TfPolicyHead } from "@robovla/tfjs"

/**
 * The manifest the plugin loader reads.
 *
 * @since 0.1.0
 * @category plugin
 */
export const plugin: HeadPlugin<DiscreteConfig> = {
  kind: "head",
  name: "discrete",
  version: "0.1.0",
  contractVersion: PolicyHead.HEAD_CONTRACT_VERSION,
  configSchema: DiscreteConfig,
  defaultConfig: defaultDiscreteConfig,
  make
}
