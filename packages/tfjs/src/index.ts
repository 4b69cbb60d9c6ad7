/**
 * `@robovla/tfjs`: the kit every tfjs plugin of robovla uses.
 *
 * - Engine: `initTfjs()` selects the backend, registers gradients (plain Node and vitest alike) and the fast
 *   kernels; `ensureTfjs()` / `ensureTfjsEffect` is what plugins call from `make`; `TfjsEngine` is the service.
 * - Building blocks of trainable heads: `Parameters` (named variables, weights export/load, Scope-safe disposal),
 *   seeded init (`makeRng` over the SDK's `mulberry32`), `matMul`, linear layers, RoboVLMs' arm/gripper MLPs, the
 *   §6.1 loss, input checks, steppers, `makeTfHead`, config fields.
 * - Fused ops (single kernels with their own gradients on the fast path): `layerNorm`, `softmax`, `geluTanh`, and
 *   the AdamW update over all variables in one pass (`adamWUpdate`, `globalGradNorm`).
 * - `@robovla/tfjs/testing`: `headContractTests` and helpers; `@robovla/tfjs/bench`: the head benchmark.
 *
 * @since 0.1.0
 */
export * from "./ActionMlp.ts"
export * from "./AdamW.ts"
export * from "./Config.ts"
export * from "./FrozenWeights.ts"
export * from "./FusedOps.ts"
export * from "./Init.ts"
export * from "./Linear.ts"
export * from "./Loss.ts"
export * from "./MatMul.ts"
export * from "./Parameters.ts"
export * from "./Rng.ts"
export * from "./Stepper.ts"
export * from "./TfHead.ts"
export {
  BACKEND_ENV_VAR,
  ensureTfjs,
  ensureTfjsEffect,
  hasGradient,
  initTfjs,
  registerGradients,
  selectBackend,
  TfjsEngine
} from "./TfjsEngine.ts"
export type {
  BackendAttempt,
  BackendSelection,
  SelectBackendOptions,
  TfjsBackendName,
  TfjsEngineShape,
  TfjsSetup
} from "./TfjsEngine.ts"
