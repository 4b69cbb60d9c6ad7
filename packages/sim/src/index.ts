/**
 * @robovla/sim: the CALVIN play table in MuJoCo WASM (scenes A–D), robot, cameras, tasks and experts.
 *
 * @since 0.1.0
 */
export * from "./SimInfo.ts"
export * from "./SimError.ts"
export * from "./PlayTable.ts"
export * from "./SimEnv.ts"
export * as SceneLayout from "./scene/SceneLayout.ts"
export * as PandaKinematics from "./robot/PandaKinematics.ts"
export { encodePng, sideBySide } from "./render/Png.ts"
export { GRIPPER_CAMERA, STATIC_CAMERA, STATIC_POSE } from "./render/RayCamera.ts"
export type { SceneId } from "./scene/SceneLayout.ts"
