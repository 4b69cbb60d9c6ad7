/**
 * Cross-package composition: every backbone (tiny-vlm, onnx on the tiny PaliGemma fixture) with every head
 * (mlp, lstm, gpt, discrete) through the SDK assembly, acting on a CALVIN-shaped observation. Packages that
 * are not importable yet, and the shared fixture when absent, are skipped with a visible warning.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import {
  headDimensionsFor,
  makeVlaPolicyModel,
  type ActionChunk,
  type BackbonePlugin,
  type BackboneService,
  type HeadPlugin,
  type ObservationFrame,
  type VlaAssemblyConfig
} from "@robovla/sdk"
import { Effect, Exit, Schema, Scope } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { defaultConfig as tinyDefault, plugin as tinyPlugin } from "@robovla/backbone-tiny-vlm"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const fixtureDir = path.resolve(repoRoot, "../shared/fixtures/tiny-paligemma-onnx")

/** Imports a workspace plugin package, or explains why it cannot be used yet. */
const tryImport = async <P>(name: string): Promise<{ plugin: P } | { missing: string }> => {
  try {
    const module = (await import(name)) as { plugin?: P }
    return module.plugin === undefined ? { missing: `${name} exports no plugin yet` } : { plugin: module.plugin }
  } catch (error) {
    return { missing: `${name} is not importable yet (${String(error).split("\n")[0]})` }
  }
}

const headNames = ["mlp", "lstm", "gpt", "discrete"] as const
const heads = new Map(await Promise.all(headNames.map(async (n) => [n, await tryImport<HeadPlugin<unknown>>(`@robovla/head-${n}`)] as const)))
const onnx = fs.existsSync(path.join(fixtureDir, "config.json"))
  ? await tryImport<BackbonePlugin<unknown>>("@robovla/backbone-onnx")
  : { missing: `the ONNX fixture ${fixtureDir} is absent` }

/** Small, fast versions of each head's config: shrink whichever size keys it has. */
const SMALL_HEAD_KEYS: Readonly<Record<string, unknown>> = {
  hidden_size: 32,
  mlp_widths: [32, 16],
  num_layers: 2,
  n_layer: 2,
  n_head: 2,
  num_heads: 2
}
const smallHeadConfig = (plugin: HeadPlugin<unknown>): unknown => {
  const defaults = Schema.encodeSync(plugin.configSchema)(plugin.defaultConfig) as Record<string, unknown>
  const overrides = Object.fromEntries(Object.entries(SMALL_HEAD_KEYS).filter(([k]) => k in defaults))
  return Schema.decodeUnknownSync(plugin.configSchema)({ ...defaults, ...overrides })
}

/** Policy-head structure for the history heads, one-step for the others, and interleaved with the MLP. */
const structuresFor = (head: string): Array<VlaAssemblyConfig> =>
  head === "lstm" || head === "gpt"
    ? [{ historyType: "post", windowSize: 3, chunkSize: 4, latent: 1, useGripperCamera: true }]
    : [
      { historyType: "one_step", windowSize: 1, chunkSize: 4, latent: 1, useGripperCamera: true },
      ...(head === "mlp" ? [{ historyType: "pre", windowSize: 3, chunkSize: 4, latent: 1, useGripperCamera: false } as const] : [])
    ]

// ---------------------------------------------------------------------------------------------------------------
// observations: from the simulator when it runs, else recorded-style synthetic frames
// ---------------------------------------------------------------------------------------------------------------

const syntheticObservation = (seed: number): ObservationFrame => {
  const image = (size: number) => {
    const data = new Uint8Array(size * size * 3)
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const p = (y * size + x) * 3
        data[p] = (x * 255) / size
        data[p + 1] = (y * 255) / size
        data[p + 2] = ((x + y + seed * 13) * 7) % 256
      }
    }
    return { data, height: size, width: size }
  }
  // CALVIN's neutral pose (reference/calvin.md) with the gripper open; scene D-like sliders and blocks.
  const robotObs = [0.02, -0.23, 0.57, Math.PI, 0, Math.PI / 2, 0.08, -1.21, 1.04, 2.11, -2.56, -0.73, 1.58, 0.5, 1]
  const sceneObs = [0, 0, 0, 0, 0, 0, 0.05, -0.12, 0.46, 0, 0, 0, 0.2, -0.12, 0.46, 0, 0, 0, -0.1, -0.12, 0.46, 0, 0, seed * 0.1]
  return { rgbStatic: image(200), rgbGripper: image(84), robotObs, sceneObs }
}

interface ObservationSource {
  readonly kind: string
  readonly observe: (step: number) => ObservationFrame
  readonly step: (action: ReadonlyArray<number>) => void
  readonly dispose: () => void
}

const openSimulator = async (): Promise<ObservationSource | string> => {
  try {
    // A non-literal specifier: the sim's types are not this package's to check.
    const simPackage: string = "@robovla/sim"
    const sim = (await import(simPackage)) as unknown as {
      PlayTable: { load: (scene: string) => Promise<{ reset(): void; observe(c: object): ObservationFrame; step(a: ArrayLike<number>): void; dispose(): void }> }
    }
    const table = await sim.PlayTable.load("D")
    table.reset()
    const first = table.observe({ rgbStatic: true, rgbGripper: true })
    if (first.rgbStatic?.width !== 200 || first.rgbGripper?.width !== 84 || first.robotObs.length !== 15) throw new Error("unexpected observation shape")
    return {
      kind: "simulator (PlayTable scene D)",
      observe: () => table.observe({ rgbStatic: true, rgbGripper: true }),
      step: (action) => table.step(action),
      dispose: () => table.dispose()
    }
  } catch (error) {
    return `@robovla/sim PlayTable is not usable yet (${String(error).split("\n")[0]}); using synthetic observations`
  }
}

const simulator = await openSimulator()
const source: ObservationSource =
  typeof simulator === "string"
    ? { kind: "synthetic", observe: syntheticObservation, step: () => {}, dispose: () => {} }
    : simulator
if (typeof simulator === "string") console.warn(`[compose] ${simulator}`)
afterAll(() => source.dispose())

// ---------------------------------------------------------------------------------------------------------------

const expectActionChunk = (chunk: ActionChunk, n: number) => {
  expect(chunk).toHaveLength(n)
  for (const action of chunk) {
    expect(action).toHaveLength(7)
    for (const v of action.slice(0, 6)) {
      expect(Number.isFinite(v)).toBe(true)
      expect(Math.abs(v)).toBeLessThanOrEqual(0.65 + 1e-6)
    }
    expect([-1, 1]).toContain(action[6])
  }
}

const backbones: ReadonlyArray<readonly [string, { plugin: BackbonePlugin<unknown>; config: unknown } | { missing: string }]> = [
  ["tiny-vlm", { plugin: tinyPlugin as BackbonePlugin<unknown>, config: tinyDefault }],
  ["onnx", "missing" in onnx ? onnx : { plugin: onnx.plugin, config: Schema.decodeUnknownSync(onnx.plugin.configSchema)({ modelDir: fixtureDir }) }]
]

for (const [backboneName, backboneEntry] of backbones) {
  for (const headName of headNames) {
    const headEntry = heads.get(headName)!
    const missing = "missing" in backboneEntry ? backboneEntry.missing : "missing" in headEntry ? headEntry.missing : undefined
    if (missing !== undefined) console.warn(`[compose] skipping ${backboneName} + ${headName}: ${missing}`)
    describe.skipIf(missing !== undefined)(`${backboneName} + ${headName}`, () => {
      it.each(structuresFor(headName))(`$historyType (W=$windowSize): finite, in-range N×7 chunks on ${source.kind} observations; actBatch = act`, async (config) => {
        if ("missing" in backboneEntry || "missing" in headEntry) return
        const scope = await Effect.runPromise(Scope.make())
        try {
          const { backbone, head } = await Effect.runPromise(
            Scope.provide(scope)(
              Effect.gen(function*() {
                const backbone: BackboneService = yield* backboneEntry.plugin.make(backboneEntry.config)
                const head = yield* headEntry.plugin.make(smallHeadConfig(headEntry.plugin), headDimensionsFor(backbone, config))
                return { backbone, head }
              })
            )
          )
          const model = await Effect.runPromise(makeVlaPolicyModel({ backbone, head, config }))
          const [policy, other] = await Effect.runPromise(Effect.all([model.policy(), model.policy()]))
          const instruction = "open the drawer"
          const observations: Array<ObservationFrame> = []
          for (let step = 0; step < 3; step++) {
            const observation = source.observe(step)
            observations.push(observation)
            const chunk = await Effect.runPromise(policy!.act(observation, instruction))
            expectActionChunk(chunk, config.chunkSize)
            source.step(chunk[0]!)
          }
          // A second policy replays the same frames in a batch beside a fresh one: same answers as one by one.
          await Effect.runPromise(policy!.reset())
          const fresh = await Effect.runPromise(model.policy())
          for (const observation of observations) {
            const [together, aside] = await Effect.runPromise(
              model.actBatch([
                { policy: other!, observation, instruction },
                { policy: fresh, observation: observations[0]!, instruction: "push the handle to close the drawer" }
              ])
            )
            const alone = await Effect.runPromise(policy!.act(observation, instruction))
            expectActionChunk(together!, config.chunkSize)
            expectActionChunk(aside!, config.chunkSize)
            together!.forEach((action, k) => action.forEach((v, j) => expect(Math.abs(v - alone[k]![j]!)).toBeLessThan(1e-4)))
          }
        } finally {
          await Effect.runPromise(Scope.close(scope, Exit.void))
        }
      })
    })
  }
}
