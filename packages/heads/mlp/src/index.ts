/**
 * `@robovla/head-mlp`: RoboVLMs' MLP policy head (`FCDecoder`) as a robovla head plugin, on tfjs.
 *
 * Its building blocks (and those of every tfjs head) live in `@robovla/tfjs`.
 *
 * @since 0.1.0
 */
import type { HeadPlugin } from "@robovla/sdk"
import { PolicyHead } from "@robovla/sdk"
import { MlpConfig, defaultMlpConfig } from "./MlpConfig.ts"
import { make } from "./MlpHead.ts"

export { make } from "./MlpHead.ts"
export { MlpConfig as Config, defaultMlpConfig as defaultConfig } from "./MlpConfig.ts"
export type { TfPolicyHead } from "@robovla/tfjs"

/**
 * The manifest the plugin loader reads.
 *
 * @since 0.1.0
 * @category plugin
 */
export const plugin: HeadPlugin<MlpConfig> = {
  kind: "head",
  name: "mlp",
  version: "0.1.0",
  contractVersion: PolicyHead.HEAD_CONTRACT_VERSION,
  configSchema: MlpConfig,
  defaultConfig: defaultMlpConfig,
  make
}
