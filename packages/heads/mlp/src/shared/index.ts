/**
 * Building blocks shared by the robovla policy heads (`@robovla/head-mlp/shared`): seeded init, named tfjs
 * parameters with Scope-safe disposal, linear layers, RoboVLMs' arm/gripper MLPs, the §6.1 loss, input checks
 * and evaluation steppers. Candidates to move into `@robovla/sdk` once a fourth user appears.
 *
 * @since 0.1.0
 */
export * from "./ActionMlp.ts"
export * from "./Config.ts"
export * from "./Init.ts"
export * from "./Linear.ts"
export * from "./Loss.ts"
export * from "./MatMul.ts"
export * from "./Parameters.ts"
export * from "./Rng.ts"
export * from "./Stepper.ts"
export * from "./TfHead.ts"
