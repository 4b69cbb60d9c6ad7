/**
 * Wire observations (REST JSON, openpi msgpack dicts) → the SDK `Observation`, checked against what the
 * policy declares it needs (`metadata.inputs`). Fields a policy does not use may be left out.
 *
 * @since 0.1.0
 */
import { type ImageU8, Observation, type ObservationFrame, type PolicyMetadata, Schemas } from "@robovla/sdk"
import { Result } from "effect"
import { ClientError, decodeWireImage, MAX_IMAGE_SIDE, NdArray, type WireImage, type WireObservation } from "@robovla/client"
import type { ObservationTarget } from "./Config.ts"
import { GatewayError } from "./GatewayError.ts"

const invalid = (field: string, message: string) => new GatewayError({ reason: "InvalidField", field, message: `${field}: ${message}` })

/** An uploaded image → SDK image; the client codec's `InvalidImage` becomes a 400 naming the same field. */
const wireImage = (image: WireImage, field: string): ImageU8 => {
  try {
    return decodeWireImage(image, field)
  } catch (error) {
    if (error instanceof ClientError) throw new GatewayError({ reason: "InvalidField", field: error.field ?? field, message: error.message })
    throw error
  }
}

const requireInputs = (
  metadata: PolicyMetadata,
  parts: { robotObs?: ReadonlyArray<number> | undefined; sceneObs?: ReadonlyArray<number> | undefined; rgbStatic?: ImageU8 | undefined; rgbGripper?: ImageU8 | undefined },
  names: Readonly<Record<"robotObs" | "sceneObs" | "rgbStatic" | "rgbGripper", string>>
): ObservationFrame => {
  for (const key of ["robotObs", "sceneObs", "rgbStatic", "rgbGripper"] as const) {
    if (metadata.inputs[key] && parts[key] === undefined) throw invalid(names[key], `required by policy '${metadata.name}'`)
  }
  return {
    robotObs: parts.robotObs ?? new Array(Observation.ROBOT_OBS_SIZE).fill(0),
    sceneObs: parts.sceneObs ?? new Array(Observation.SCENE_OBS_SIZE).fill(0),
    rgbStatic: parts.rgbStatic,
    rgbGripper: parts.rgbGripper
  }
}

/**
 * A REST observation (already Schema-decoded) → SDK observation.
 *
 * @since 0.1.0
 * @category decoding
 */
export const fromWire = (wire: WireObservation, metadata: PolicyMetadata): ObservationFrame =>
  requireInputs(
    metadata,
    {
      robotObs: wire.robot_obs,
      sceneObs: wire.scene_obs,
      rgbStatic: wire.rgb_static === undefined ? undefined : wireImage(wire.rgb_static, "observation.rgb_static"),
      rgbGripper: wire.rgb_gripper === undefined ? undefined : wireImage(wire.rgb_gripper, "observation.rgb_gripper")
    },
    { robotObs: "observation.robot_obs", sceneObs: "observation.scene_obs", rgbStatic: "observation.rgb_static", rgbGripper: "observation.rgb_gripper" }
  )

// The SDK's wire Schemas for the state vectors (length and finiteness), whatever key a deployment maps to them.
const decodeVector = {
  robot_obs: Schemas.decodeUnknownResult(Observation.observationWireFields.robot_obs, "robot_obs"),
  scene_obs: Schemas.decodeUnknownResult(Observation.observationWireFields.scene_obs, "scene_obs")
}

const vector = (value: unknown, field: string, target: keyof typeof decodeVector): ReadonlyArray<number> => {
  const decoded = decodeVector[target](value instanceof NdArray ? value.toNumbers() : value)
  if (Result.isFailure(decoded)) throw invalid(field, decoded.failure.message)
  return decoded.success
}

const image = (value: unknown, field: string): ImageU8 => {
  if (!(value instanceof NdArray) || value.dtype !== "|u1" || value.shape.length !== 3 || value.shape[2] !== 3) {
    throw invalid(field, "must be a uint8 ndarray of shape (H, W, 3)")
  }
  const [height, width] = value.shape as [number, number, number]
  if (height < 1 || width < 1 || height > MAX_IMAGE_SIDE || width > MAX_IMAGE_SIDE) throw invalid(field, `image sides must be 1..${MAX_IMAGE_SIDE}`)
  return { data: value.data, height, width }
}

/**
 * An openpi request dict → SDK observation and instruction, through the deployment's key map. Keys it
 * does not map are ignored (openpi clients send extras such as `observation/joint_position`).
 *
 * @since 0.1.0
 * @category decoding
 */
export const fromOpenpi = (
  dict: unknown,
  keys: Readonly<Record<string, ObservationTarget>>,
  metadata: PolicyMetadata
): { readonly observation: ObservationFrame; readonly instruction: string } => {
  if (typeof dict !== "object" || dict === null || Array.isArray(dict) || dict instanceof NdArray || dict instanceof Uint8Array) {
    throw invalid("request", "must be a msgpack map of observation keys")
  }
  const parts: { robotObs?: ReadonlyArray<number>; sceneObs?: ReadonlyArray<number>; rgbStatic?: ImageU8; rgbGripper?: ImageU8 } = {}
  const names = { robotObs: "robot_obs", sceneObs: "scene_obs", rgbStatic: "rgb_static", rgbGripper: "rgb_gripper" }
  let instruction: string | undefined
  for (const [key, value] of Object.entries(dict as Record<string, unknown>)) {
    const target = Object.hasOwn(keys, key) ? keys[key] : undefined
    switch (target) {
      case "robot_obs":
        parts.robotObs = vector(value, key, "robot_obs")
        names.robotObs = key
        break
      case "scene_obs":
        parts.sceneObs = vector(value, key, "scene_obs")
        names.sceneObs = key
        break
      case "rgb_static":
        parts.rgbStatic = image(value, key)
        break
      case "rgb_gripper":
        parts.rgbGripper = image(value, key)
        break
      case "instruction":
        if (typeof value !== "string" || value.length > 2000) throw invalid(key, "must be a string of at most 2000 characters")
        instruction = value
        break
      default:
        break
    }
  }
  const promptKey = Object.keys(keys).find((k) => keys[k] === "instruction" && k === "prompt") ?? "prompt"
  if (instruction === undefined) throw invalid(promptKey, "the instruction is required")
  return { observation: requireInputs(metadata, parts, names), instruction }
}

/**
 * Policy metadata in the snake-case wire shape (REST and the WebSocket metadata frame).
 *
 * @since 0.1.0
 * @category encoding
 */
export const wireMetadata = (metadata: PolicyMetadata) => ({
  name: metadata.name,
  window_size: metadata.windowSize,
  chunk_size: metadata.chunkSize,
  action_space: metadata.actionSpace,
  inputs: {
    rgb_static: metadata.inputs.rgbStatic,
    rgb_gripper: metadata.inputs.rgbGripper,
    robot_obs: metadata.inputs.robotObs,
    scene_obs: metadata.inputs.sceneObs
  },
  ...(metadata.details === undefined ? {} : { details: metadata.details })
})
