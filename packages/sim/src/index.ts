/**
 * @robovla/sim: the CALVIN play table in MuJoCo WASM (scenes A–D), robot, cameras, tasks and experts.
 *
 * @since 0.1.0
 */
export * from "./SimInfo.ts"
export * from "./SimError.ts"
export * from "./PlayTable.ts"
export * as SceneLayout from "./scene/SceneLayout.ts"
