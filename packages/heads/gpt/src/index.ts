/**
 * `@robovla/head-gpt`: RoboVLMs' GPT policy head (`GPTDecoder`) as a robovla head plugin, on tfjs.
 *
 * @since 0.1.0
 */
import type { HeadPlugin } from "@robovla/sdk"
import { PolicyHead } from "@robovla/sdk"
import { defaultGptConfig, GptConfig } from "./GptConfig.ts"
import { make } from "./GptHead.ts"

export { make } from "./GptHead.ts"
export { GptConfig as Config, defaultGptConfig as defaultConfig } from "./GptConfig.ts"
export type { TfPolicyHead } from "@robovla/tfjs"

/**
 * The manifest the plugin loader reads.
 *
 * @since 0.1.0
 * @category plugin
 */
export const plugin: HeadPlugin<GptConfig> = {
  kind: "head",
  name: "gpt",
  version: "0.1.0",
  contractVersion: PolicyHead.HEAD_CONTRACT_VERSION,
  configSchema: GptConfig,
  defaultConfig: defaultGptConfig,
  make
}
