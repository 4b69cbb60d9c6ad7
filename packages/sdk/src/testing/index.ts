/**
 * `@robovla/sdk/testing`: mock plugins and the conformance kit that every backbone and head package runs.
 *
 * The mocks have no test-runner dependency; `conformanceSuite` needs vitest (an optional peer of the SDK).
 *
 * @since 0.1.0
 */
export { conformanceSuite } from "./conformance.ts"
export type { ConformanceCheck, ConformanceOptions } from "./conformance.ts"
export {
  defaultMockBackboneConfig,
  makeMockBackbone,
  MockBackboneConfig,
  mockBackboneLiveInstances,
  mockBackbonePlugin,
  mockTokenizer
} from "./MockBackbone.ts"
export { defaultMockHeadConfig, makeMockHead, MockHeadConfig, mockHeadLiveInstances, mockHeadPlugin } from "./MockHead.ts"
export { randomWeights, seededRandom } from "./tensorChecks.ts"
