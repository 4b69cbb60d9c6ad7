import { describe, expect, it } from "vitest"
import {
  conformanceSuite,
  mockBackboneLiveInstances,
  mockBackbonePlugin,
  mockHeadLiveInstances,
  mockHeadPlugin,
  mockTokenizer
} from "../../src/testing/index.ts"

conformanceSuite(mockBackbonePlugin, { liveResources: mockBackboneLiveInstances })
conformanceSuite(mockBackbonePlugin, {
  config: { hiddenSize: 8, imageSize: 12, patchSize: 4, seed: 3 },
  batchSize: 1,
  sequenceLength: 4,
  skip: ["determinism"]
})
conformanceSuite(mockHeadPlugin, { liveResources: mockHeadLiveInstances })
conformanceSuite(mockHeadPlugin, {
  config: { seed: 9, historyMix: 0 },
  dimensions: { inputSize: 8, windowSize: 1, chunkSize: 10, latent: 2 },
  batchSize: 3
})

describe("mock tokenizer", () => {
  it("is byte-level with BOS/EOS and round-trips text", () => {
    const ids = mockTokenizer.encode("go é")
    expect(ids[0]).toBe(mockTokenizer.bosId)
    expect(ids.at(-1)).toBe(mockTokenizer.eosId)
    expect(ids).toHaveLength(2 + new TextEncoder().encode("go é").length)
    expect(mockTokenizer.decode(ids)).toBe("go é")
  })
})
