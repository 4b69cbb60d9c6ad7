/**
 * @robovla/gateway: serves robot policies over REST and the openpi WebSocket protocol.
 *
 * @since 0.1.0
 */
export * as Api from "./Api.ts"
export { makeApp } from "./App.ts"
export {
  DEFAULT_CONFIG_FILE,
  DeploymentSpec,
  GatewayConfigFile,
  loadConfigFile,
  resolveConfig,
  type GatewayConfig,
  type ResolvedDeployment
} from "./Config.ts"
export { Deployment, type ActResult } from "./Deployment.ts"
export { Gateway } from "./Gateway.ts"
export { GatewayError, GatewayErrorReason } from "./GatewayError.ts"
export { decodePng, encodePng } from "./Images.ts"
export * as MsgpackNumpy from "./MsgpackNumpy.ts"
export { openApiDocument } from "./OpenApi.ts"
export { routes } from "./Routes.ts"
export { startGateway, type RunningGateway } from "./Server.ts"
export { makeMockPolicyModel } from "./worker/MockPolicyModel.ts"
export { OpenpiConnection, PolicyClient, PolicyClientError, toWireObservation, type PolicyClientOptions, type PolicyInfo } from "./client/PolicyClient.ts"
export { runGateway } from "./main.ts"
export { GatewayServer } from "./GatewayServer.ts"
