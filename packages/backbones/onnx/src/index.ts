/**
 * `@robovla/backbone-onnx`: any VLM exported to ONNX (vision encoder + token embedding + decoder returning hidden
 * states, with a Hugging Face `tokenizer.json`) as a robovla backbone on onnxruntime-node.
 *
 * @since 0.1.0
 */
import type { BackbonePlugin } from "@robovla/sdk"
import { Backbone } from "@robovla/sdk"
import { make } from "./OnnxBackbone.ts"
import { Config, defaultConfig } from "./OnnxConfig.ts"

export { liveSessionCount, make, resolveExecutionProvider, resolveSettings } from "./OnnxBackbone.ts"
export type { GraphRole, ResolvedSettings } from "./OnnxBackbone.ts"
export { Config, decodePluginConfig, defaultConfig, ExecutionProvider, ImageFeatureScale, MODEL_CONFIG_FILE, ModelConfig, readModelConfig } from "./OnnxConfig.ts"
export { onnxError } from "./OnnxError.ts"
export type { OnnxFailureReason } from "./OnnxError.ts"
export { applyPromptTemplate, makeOnnxTokenizer } from "./OnnxTokenizer.ts"
export type { OnnxTokenizerOptions } from "./OnnxTokenizer.ts"

/**
 * The manifest the plugin loader reads. Registry key `onnx` (package `@robovla/backbone-onnx`).
 *
 * @since 0.1.0
 * @category manifest
 */
export const plugin: BackbonePlugin<Config> = {
  kind: "backbone",
  name: "onnx",
  version: "0.1.0",
  contractVersion: Backbone.BACKBONE_CONTRACT_VERSION,
  configSchema: Config,
  defaultConfig,
  make
}
