/**
 * @robovla/gateway: serves robot policies over REST and the openpi WebSocket protocol.
 *
 * @since 0.1.0
 */
export { makeApp } from "./App.ts"
export {
  DEFAULT_CONFIG_FILE,
  EXPERT_POLICY_MODULE,
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
export { openApiDocument } from "./OpenApi.ts"
export { routes } from "./Routes.ts"
export { startGateway, type RunningGateway } from "./Server.ts"
export { makeMockPolicyModel } from "./worker/MockPolicyModel.ts"
export { runGateway } from "./main.ts"
export { GatewayServer } from "./GatewayServer.ts"
