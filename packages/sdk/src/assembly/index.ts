/**
 * The VLA assembly: image preprocessing, multimodal sequence layout with [LRN], action decoding, and
 * `makeVlaPolicyModel` (any backbone + any head → a PolicyModel).
 *
 * @since 0.1.0
 */
export * from "./ActionDecoding.ts"
export * from "./ImagePreprocessing.ts"
export * from "./Sequence.ts"
export * from "./StateToken.ts"
export * from "./VlaPolicyModel.ts"
