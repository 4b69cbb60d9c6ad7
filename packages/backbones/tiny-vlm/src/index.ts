/**
 * @robovla/backbone-tiny-vlm: a small trainable VLM (ViT + projector + causal decoder) on tfjs-core ops.
 *
 * @since 0.1.0
 */
import { Backbone, type BackbonePlugin } from "@robovla/sdk"
import { make } from "./TinyVlmBackbone.ts"
import { TinyVlmConfig, defaultConfig } from "./TinyVlmConfig.ts"

export { resizePatchEmbedding } from "./PatchResize.ts"
export { make, makeBackbone, readWeights, TinyVlmModel, weightSpecs } from "./TinyVlmBackbone.ts"
// Gradient registration lives in the tfjs kit; re-exported for callers of the pure-tensor path.
export { registerGradients } from "@robovla/tfjs"
export type { TinyVlmBackbone } from "./TinyVlmBackbone.ts"
export { defaultConfig, TinyVlmConfig as Config, TrainSetup } from "./TinyVlmConfig.ts"
export type { TinyVlmConfig } from "./TinyVlmConfig.ts"
export { BOS_ID, EOS_ID, INSTRUCTION_VOCABULARY, makeTokenizer, PAD_ID, PROMPT_TEMPLATE } from "./TinyVlmTokenizer.ts"
export type { TinyVlmTokenizer } from "./TinyVlmTokenizer.ts"

/**
 * The plugin manifest the loader looks for.
 *
 * @since 0.1.0
 * @category plugin
 */
export const plugin: BackbonePlugin<TinyVlmConfig> = {
  kind: "backbone",
  name: "tiny-vlm",
  version: "0.1.0",
  contractVersion: Backbone.BACKBONE_CONTRACT_VERSION,
  configSchema: TinyVlmConfig,
  defaultConfig,
  make
}
