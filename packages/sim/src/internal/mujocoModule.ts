/**
 * The MuJoCo WASM module, instantiated once per process and shared by every PlayTable (each has its own
 * model and data).
 *
 * @since 0.1.0
 */
import loadMujoco, { type MainModule } from "@mujoco/mujoco"

let modulePromise: Promise<MainModule> | undefined

/** @since 0.1.0 @category constructors */
export const loadMujocoModule = (): Promise<MainModule> => {
  modulePromise ??= loadMujoco().catch((e: unknown) => {
    modulePromise = undefined
    throw e
  })
  return modulePromise
}
