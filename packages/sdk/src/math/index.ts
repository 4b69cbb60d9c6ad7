/**
 * Action math: rotations, world/TCP frames, normalisation, μ-law, CALVIN relative actions, the discrete action
 * tokenizer, training windows and the gripper mapping. Pure functions on number arrays.
 *
 * @since 0.1.0
 */
export * from "./ActionTokenizer.ts"
export * from "./Frames.ts"
export * from "./Gripper.ts"
export * from "./MuLaw.ts"
export * from "./Normalization.ts"
export * from "./RelativeAction.ts"
export * from "./Rotation.ts"
export * from "./Windows.ts"
