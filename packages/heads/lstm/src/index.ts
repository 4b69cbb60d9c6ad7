/**
 * `@robovla/head-lstm`: RoboVLMs' LSTM policy head (`LSTMDecoder`) as a robovla head plugin, on tfjs.
 *
 * @since 0.1.0
 */
import type { HeadPlugin } from "@robovla/sdk"
import { PolicyHead } from "@robovla/sdk"
import { defaultLstmConfig, LstmConfig } from "./LstmConfig.ts"
import { make } from "./LstmHead.ts"

export { make } from "./LstmHead.ts"
export { LstmConfig as Config, defaultLstmConfig as defaultConfig } from "./LstmConfig.ts"
export type { TfPolicyHead } from "@robovla/tfjs"

/**
 * The manifest the plugin loader reads.
 *
 * @since 0.1.0
 * @category plugin
 */
export const plugin: HeadPlugin<LstmConfig> = {
  kind: "head",
  name: "lstm",
  version: "0.1.0",
  contractVersion: PolicyHead.HEAD_CONTRACT_VERSION,
  configSchema: LstmConfig,
  defaultConfig: defaultLstmConfig,
  make
}
