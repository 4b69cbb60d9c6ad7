/**
 * @robovla/client: talk to a robovla gateway (REST) or any openpi policy server (WebSocket, msgpack + numpy).
 *
 * @since 0.1.0
 */
export { ClientError, ClientErrorReason } from "./ClientError.ts"
export * as Images from "./Images.ts"
export { decodePng, decodeWireImage, encodePng, MAX_IMAGE_SIDE } from "./Images.ts"
export * as MsgpackNumpy from "./MsgpackNumpy.ts"
export { NdArray } from "./MsgpackNumpy.ts"
export { OpenpiConnection, type OpenpiReply } from "./OpenpiConnection.ts"
export { PolicyClient, toWireObservation, type PolicyClientOptions } from "./PolicyClient.ts"
export * as Wire from "./Wire.ts"
export type { ActResponse, PolicyInfo, WireImage, WireMetadata, WireObservation } from "./Wire.ts"
