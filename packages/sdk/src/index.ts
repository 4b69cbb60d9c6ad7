/**
 * @robovla/sdk: schemas, plugin contracts, action math, VLA assembly, plugin loading (no compute engine).
 *
 * Modules are re-exported as namespaces (`Backbone.BACKBONE_CONTRACT_VERSION`), plus the most used types flat.
 *
 * @since 0.1.0
 */
export * as Action from "./Action.ts"
export * as Backbone from "./Backbone.ts"
export * as Observation from "./Observation.ts"
export * as Plugin from "./Plugin.ts"
export * as Policy from "./Policy.ts"
export * as PolicyHead from "./PolicyHead.ts"
export * as Tensor from "./Tensor.ts"
export { SdkError } from "./SdkError.ts"
export type { Action7, ActionChunk } from "./Action.ts"
export type { Backbone as BackboneService, BackboneTokenizer, ImagePreprocessing, ParameterGroup } from "./Backbone.ts"
export type { ImageU8, Observation as ObservationFrame } from "./Observation.ts"
export type { BackbonePlugin, HeadPlugin } from "./Plugin.ts"
export type { Policy as PolicyService, PolicyBatchItem, PolicyInputs, PolicyMetadata, PolicyModel } from "./Policy.ts"
export type { HeadDimensions, HeadOutput, HeadStepOutput, HeadStepper, PolicyHead as PolicyHeadService } from "./PolicyHead.ts"
export type { FloatTensor, IntTensor } from "./Tensor.ts"
export * as Safetensors from "./Safetensors.ts"
export * as ComputeEngine from "./ComputeEngine.ts"
export { spawnTsWorker } from "./TsWorker.ts"
export * as Assembly from "./assembly/index.ts"
export { assemblyConfigFromVla, headDimensionsFor, makeVlaPolicyModel } from "./assembly/VlaPolicyModel.ts"
export type { VlaAssemblyConfig, VlaPolicyModel, VlaPolicyModelOptions } from "./assembly/VlaPolicyModel.ts"
export * as ActionMath from "./math/index.ts"
export * as Episode from "./Episode.ts"
export * as VlaConfig from "./VlaConfig.ts"
export { ActionTokenizer } from "./math/ActionTokenizer.ts"
export type { EpisodeFrame, LanguageAnnotation } from "./Episode.ts"
export type { ActHeadConfig, TrainSetupConfig, VlaConfig as VlaConfiguration } from "./VlaConfig.ts"
export * as PluginLoader from "./PluginLoader.ts"
export { CHECKPOINT_FORMAT, CheckpointConfig, loadPolicyModel, PolicyModelSpec, tokenizerFingerprint } from "./PolicyLoader.ts"
export { mulberry32 } from "./Random.ts"
