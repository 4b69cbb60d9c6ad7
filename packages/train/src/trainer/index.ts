/**
 * The trainer: `train(options)`, checkpoints, the feature cache, the optimiser, the progress line and plots.
 *
 * @since 0.1.0
 */
export * from "./BackboneWeights.ts"
export * from "./Checkpoint.ts"
export * from "./FeatureCache.ts"
export * from "./Optimizer.ts"
export * from "./Plot.ts"
export * from "./Progress.ts"
export * from "./Trainer.ts"
export { lrnHidden, planSequences, tensorBackboneOf } from "./TrainModel.ts"
export type { ForwardInputs, SequencePlan, Structure, TensorBackbone } from "./TrainModel.ts"
export * from "./TrainConfig.ts"
// Vision-language pre-training lives beside the pair generator (src/vl) but needs tfjs, so it is exported here.
export * from "../vl/VlPretrainer.ts"
