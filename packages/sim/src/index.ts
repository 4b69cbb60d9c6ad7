/**
 * @robovla/sim: the CALVIN play table in MuJoCo WASM (scenes A–D), robot, cameras, tasks and experts.
 *
 * Physical layer: `PlayTable` (plain functions for hot loops; `dispose()` releases its WASM memory).
 * Task layer: task oracle (`checkTask`), symbolic states and resets, eval chains, instructions, scripted experts.
 *
 * @since 0.1.0
 */
export * from "./SimInfo.ts"
export * from "./SimError.ts"
export * from "./PlayTable.ts"
export * as SceneLayout from "./scene/SceneLayout.ts"
export { randomSceneObs, type RandomSceneOptions } from "./scene/RandomScene.ts"
export * as PandaKinematics from "./robot/PandaKinematics.ts"
export { decodePng, encodePng, sideBySide } from "./render/Png.ts"
export { GRIPPER_CAMERA, STATIC_CAMERA, STATIC_POSE } from "./render/RayCamera.ts"
export { RENDERER_ENV, type RendererKind } from "./render/Renderer.ts"
export type { SceneId } from "./scene/SceneLayout.ts"

export * from "./tasks/Tasks.ts"
export * from "./symbolic/SymbolicState.ts"
export * from "./symbolic/SceneReset.ts"
export * from "./chains/EvalSequences.ts"
export * from "./instructions/Instructions.ts"
export * from "./experts/Experts.ts"
export * from "./experts/ExpertPolicy.ts"
export * from "./experts/ExpertRollout.ts"
export { arraySplitSizes, NumpyRandomState, pyhashFnv1_32 } from "./chains/NumpyRandom.ts"
