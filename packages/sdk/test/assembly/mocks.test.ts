/**
 * The assembly over the SDK's own mock plugins (src/testing), made through their plugin manifests in a Scope:
 * every structure gives valid chunks, and batching equals one-by-one.
 */
import { Effect, Exit, Scope } from "effect"
import { describe, expect, it } from "vitest"
import { headDimensionsFor, makeVlaPolicyModel, type VlaAssemblyConfig } from "../../src/assembly/VlaPolicyModel.ts"
import type { Observation } from "../../src/Observation.ts"
import { defaultMockBackboneConfig, makeMockBackbone, mockBackboneLiveInstances } from "../../src/testing/MockBackbone.ts"
import { defaultMockHeadConfig, makeMockHead, mockHeadLiveInstances } from "../../src/testing/MockHead.ts"

const frame = (seed: number): Observation => {
  const image = (size: number) => ({ data: Uint8Array.from({ length: size * size * 3 }, (_, i) => (i * 13 + seed * 71) % 256), height: size, width: size })
  return { rgbStatic: image(200), rgbGripper: image(84), robotObs: new Array(15).fill(0), sceneObs: new Array(24).fill(0) }
}

describe("assembly over the SDK mock backbone and head", () => {
  it.each([
    { historyType: "one_step", windowSize: 1, chunkSize: 5, latent: 1, useGripperCamera: false },
    { historyType: "post", windowSize: 4, chunkSize: 5, latent: 2, useGripperCamera: true },
    { historyType: "pre", windowSize: 3, chunkSize: 2, latent: 1, useGripperCamera: true }
  ] satisfies Array<VlaAssemblyConfig>)("$historyType: valid chunks, actBatch = act, scope releases the plugins", async (config) => {
    const backboneLive = mockBackboneLiveInstances()
    const headLive = mockHeadLiveInstances()
    const scope = await Effect.runPromise(Scope.make())
    const build = Effect.gen(function*() {
      const backbone = yield* makeMockBackbone(defaultMockBackboneConfig)
      const head = yield* makeMockHead(defaultMockHeadConfig, headDimensionsFor(backbone, config))
      return yield* makeVlaPolicyModel({ backbone, head, config })
    })
    const [batched, single] = await Effect.runPromise(Scope.provide(scope)(Effect.all([build, build])))
    const instructions = ["open the drawer", "lift the red block from the sliding cabinet"]
    const bp = await Effect.runPromise(Effect.all(instructions.map(() => batched!.policy())))
    const sp = await Effect.runPromise(Effect.all(instructions.map(() => single!.policy())))
    for (let step = 0; step < 5; step++) {
      const together = await Effect.runPromise(batched!.actBatch(instructions.map((instruction, i) => ({ policy: bp[i]!, observation: frame(step + i), instruction }))))
      for (const [i, instruction] of instructions.entries()) {
        const alone = await Effect.runPromise(sp[i]!.act(frame(step + i), instruction))
        expect(alone).toHaveLength(config.chunkSize)
        alone.forEach((action, k) => {
          expect([-1, 1]).toContain(action[6])
          action.slice(0, 6).forEach((v, j) => {
            expect(Math.abs(v)).toBeLessThanOrEqual(0.65)
            expect(Math.abs(v - together[i]![k]![j]!)).toBeLessThan(1e-5)
          })
          expect(action[6]).toBe(together[i]![k]![6])
        })
      }
    }
    await Effect.runPromise(Scope.close(scope, Exit.void))
    expect(mockBackboneLiveInstances()).toBe(backboneLive)
    expect(mockHeadLiveInstances()).toBe(headLive)
  })
})
