import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Schema } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import type { HeadPlugin } from "../../src/Plugin.ts"
import {
  discoverPlugins,
  findBackboneForFormat,
  loadPlugin,
  loadPluginEffect,
  makePlugin,
  PluginLoader,
  resolvePluginPackage,
  validateManifest
} from "../../src/PluginLoader.ts"
import type { PolicyHead } from "../../src/PolicyHead.ts"
import { SdkError } from "../../src/SdkError.ts"
import { mockHeadLiveInstances, mockHeadPlugin } from "../../src/testing/index.ts"

const sdkRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")

// ---------------------------------------------------------------------------------------------------------------
// a project outside the monorepo, with plugin packages in its own node_modules
// ---------------------------------------------------------------------------------------------------------------

const project = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-loader-"))
afterAll(() => fs.rmSync(project, { recursive: true, force: true }))

const writePackage = (name: string, packageJson: Record<string, unknown>, files: Record<string, string>) => {
  const dir = path.join(project, "node_modules", ...name.split("/"))
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    fs.writeFileSync(path.join(dir, file), text)
  }
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", type: "module", ...packageJson }, null, 2))
}

// the SDK as the project would have it installed (npm links workspaces the same way)
fs.mkdirSync(path.join(project, "node_modules", "@robovla"), { recursive: true })
fs.symlinkSync(sdkRoot, path.join(project, "node_modules", "@robovla", "sdk"), "dir")

// a valid head: its make builds a real PolicyHead from the SDK's mock head
writePackage("@acme/head-tiny", { robovla: { kind: "head" }, exports: { ".": "./src/index.ts", "./internal/*": null } }, {
  "src/index.ts": `
import { makeMockHead, MockHeadConfig } from "@robovla/sdk/testing"
export const plugin = {
  kind: "head",
  name: "tiny",
  version: "1.0.0",
  contractVersion: "robovla.head/v1",
  configSchema: MockHeadConfig,
  defaultConfig: { seed: 7, historyMix: 0.25 },
  make: (config, dimensions) => makeMockHead(config, dimensions)
}
`
})

// broken: fields of the wrong type and missing
writePackage("@acme/head-bad", { robovla: { kind: "head" }, exports: "./index.js" }, {
  "index.js": `export const plugin = { kind: "head", name: "bad", contractVersion: "robovla.head/v1", configSchema: {}, defaultConfig: {}, make: "not a function" }\n`
})

// broken: speaks a contract from the future
writePackage("@acme/backbone-future", { robovla: { kind: "backbone" }, main: "index.js" }, {
  "index.js": `export const plugin = { kind: "backbone", name: "future", version: "9.0.0", contractVersion: "robovla.backbone/v9", configSchema: {}, defaultConfig: {}, make: () => null }\n`
})

// broken: no plugin export (conditional exports, ESM "import" condition)
writePackage("@acme/head-noexport", { robovla: { kind: "head" }, exports: { ".": { types: "./index.d.ts", import: "./dist/index.js" } } }, {
  "dist/index.js": `export const model = 1\nexport const make = () => null\n`
})

// broken: manifest kind and name disagree with the package
const validManifestSource = (kind: string, name: string) => `
import { mockBackbonePlugin, mockHeadPlugin } from "@robovla/sdk/testing"
export const plugin = { ...(${JSON.stringify(kind)} === "head" ? mockHeadPlugin : mockBackbonePlugin), name: ${JSON.stringify(name)} }
`
writePackage("@acme/backbone-wrongkind", { robovla: { kind: "backbone" }, exports: "./index.ts" }, {
  "index.ts": validManifestSource("head", "wrongkind")
})
writePackage("@acme/head-rightname", { robovla: { kind: "head" }, exports: "./index.ts" }, {
  "index.ts": validManifestSource("head", "wrongname")
})

// broken: package.json problems
writePackage("@acme/head-undeclared", { exports: "./index.ts" }, { "index.ts": validManifestSource("head", "undeclared") })
writePackage("@acme/tiny-head", { robovla: { kind: "head" }, exports: "./index.ts" }, { "index.ts": validManifestSource("head", "tiny") })

// broken: the entry throws when imported
writePackage("@acme/head-crash", { robovla: { kind: "head" }, exports: "./index.js" }, {
  "index.js": `throw new Error("boom at import")\n`
})

// a backbone that opens a model-folder format (what the `onnx` spec shorthand looks for)
writePackage("@acme/backbone-folder", { robovla: { kind: "backbone", modelFormats: ["onnx"] }, exports: "./index.ts" }, {
  "index.ts": validManifestSource("backbone", "folder")
})

const dimensions = { inputSize: 8, windowSize: 2, chunkSize: 3, latent: 1 }

const rejection = async (promise: Promise<unknown>): Promise<SdkError> => {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error, "expected a rejection").toBeInstanceOf(SdkError)
  return error as SdkError
}

describe("loadPlugin", () => {
  it("finds a package in another project's node_modules, checks it, and makes a working head", async () => {
    const plugin = await loadPlugin("@acme/head-tiny", { from: project })
    expect(plugin).toMatchObject({ kind: "head", name: "tiny", version: "1.0.0", contractVersion: "robovla.head/v1" })
    const pkg = resolvePluginPackage("@acme/head-tiny", { from: project })
    expect(pkg).toMatchObject({ kind: "head", suffix: "tiny", packageVersion: "1.0.0" })
    expect(pkg.entry).toBe(path.join(fs.realpathSync(project), "node_modules/@acme/head-tiny/src/index.ts"))

    const before = mockHeadLiveInstances()
    const output = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function*() {
          const head = yield* makePlugin(plugin as HeadPlugin<unknown>, { seed: 7, historyMix: 0.25 }, dimensions)
          expect(mockHeadLiveInstances()).toBe(before + 1)
          return yield* head.predict({ data: new Float32Array(2 * 2 * 1 * 8).fill(0.5), shape: [2, 2, 1, 8] })
        })
      )
    )
    expect(output.arm.shape).toEqual([2, 2, 3, 6])
    expect(output.gripperLogits.shape).toEqual([2, 2, 3, 1])
    expect(mockHeadLiveInstances(), "closing the caller's Scope released the head").toBe(before)
  })

  it("fails with PluginNotFound for a package that is not installed", async () => {
    const error = await rejection(loadPlugin("@acme/head-missing", { from: project }))
    expect(error.reason).toBe("PluginNotFound")
    expect(error.subject).toBe("@acme/head-missing")
    expect(error.message).toContain(`no package named @acme/head-missing can be resolved from ${project}`)
  })

  it("fails with BadManifest naming each bad field", async () => {
    const error = await rejection(loadPlugin("@acme/head-bad", { from: project }))
    expect(error.reason).toBe("BadManifest")
    expect(error.message).toContain("version: Missing key")
    expect(error.message).toContain("make: Expected a function")
    expect(error.message).toContain("configSchema: Expected a Schema")
  })

  it("fails with IncompatibleContract saying found vs supported", async () => {
    const error = await rejection(loadPlugin("@acme/backbone-future", { from: project }))
    expect(error.reason).toBe("IncompatibleContract")
    expect(error.message).toBe(
      "@acme/backbone-future: backbone plugin speaks contract robovla.backbone/v9, but this SDK supports robovla.backbone/v1"
    )
  })

  it("fails with BadManifest when the entry does not export `plugin`, listing what it exports", async () => {
    const error = await rejection(loadPlugin("@acme/head-noexport", { from: project }))
    expect(error.reason).toBe("BadManifest")
    expect(error.message).toMatch(/dist\/index\.js does not export `plugin` \(it exports: make, model\)/)
  })

  it("fails with BadManifest when the manifest's kind or name disagrees with the package", async () => {
    const kind = await rejection(loadPlugin("@acme/backbone-wrongkind", { from: project }))
    expect(kind.reason).toBe("BadManifest")
    expect(kind.message).toContain(`manifest field kind is "head" but package.json declares robovla.kind "backbone"`)
    const name = await rejection(loadPlugin("@acme/head-rightname", { from: project }))
    expect(name.reason).toBe("BadManifest")
    expect(name.message).toContain(`manifest field name is "wrongname" but must equal the package suffix "rightname"`)
  })

  it("fails with BadManifest when package.json lacks robovla.kind or the name breaks the naming rule", async () => {
    const undeclared = await rejection(loadPlugin("@acme/head-undeclared", { from: project }))
    expect(undeclared.reason).toBe("BadManifest")
    expect(undeclared.message).toContain(`package.json must declare "robovla": { "kind": "backbone" | "head" }`)
    const misnamed = await rejection(loadPlugin("@acme/tiny-head", { from: project }))
    expect(misnamed.reason).toBe("BadManifest")
    expect(misnamed.message).toContain("must be named @<scope>/head-<name>")
  })

  it("reports an entry that throws on import as PluginFailure, not a crash", async () => {
    const error = await rejection(loadPlugin("@acme/head-crash", { from: project }))
    expect(error.reason).toBe("PluginFailure")
    expect(error.message).toContain("boom at import")
  })
})

describe("discoverPlugins / findBackboneForFormat", () => {
  it("lists installed plugin packages by their package.json declaration, and finds a backbone by model format", async () => {
    const found = discoverPlugins({ from: project })
    const names = found.map((p) => p.packageName)
    expect(names).toContain("@acme/head-tiny")
    expect(names).toContain("@acme/backbone-folder")
    expect(names).not.toContain("@acme/head-undeclared") // no "robovla" block
    expect(names).not.toContain("@acme/tiny-head") // not named by the rule
    expect(found.find((p) => p.packageName === "@acme/backbone-folder")).toMatchObject({ kind: "backbone", modelFormats: ["onnx"] })
    expect(await Effect.runPromise(findBackboneForFormat("onnx", { from: project }))).toBe("@acme/backbone-folder")
    const none = await Effect.runPromise(Effect.flip(findBackboneForFormat("tflite", { from: project })))
    expect(none.reason).toBe("PluginNotFound")
    expect(none.message).toContain(`"modelFormats": ["tflite"]`)
  })
})

describe("PluginLoader service and Effect variants", () => {
  it("loads through the service, and loadBackbone refuses a head", async () => {
    const [head, wrong] = await Effect.runPromise(
      Effect.gen(function*() {
        const loader = yield* PluginLoader
        const head = yield* loader.loadHead("@acme/head-tiny")
        const wrong = yield* Effect.flip(loader.loadBackbone("@acme/head-tiny"))
        return [head, wrong] as const
      }).pipe(Effect.provide(PluginLoader.layerFrom(project)))
    )
    expect(head.name).toBe("tiny")
    expect(wrong.reason).toBe("BadManifest")
    expect(wrong.message).toContain("is a head plugin, but a backbone plugin was asked for")
  })

  it("loadPluginEffect fails with the typed error", async () => {
    const error = await Effect.runPromise(Effect.flip(loadPluginEffect("@acme/head-missing", { from: project })))
    expect(error.reason).toBe("PluginNotFound")
  })
})

describe("makePlugin", () => {
  const run = <A>(effect: Effect.Effect<A, SdkError, import("effect").Scope.Scope>) => Effect.runPromise(Effect.flip(Effect.scoped(effect)))

  it("decodes the config with the plugin's Schema, naming the bad field", async () => {
    const wrongType = await run(makePlugin(mockHeadPlugin, { seed: "seven", historyMix: 0.5 }, dimensions))
    expect(wrongType.reason).toBe("InvalidInput")
    expect(wrongType.subject).toBe("seed")
    expect(wrongType.message).toContain("invalid config for plugin mock: seed: Expected")
    const outOfRange = await run(makePlugin(mockHeadPlugin, { seed: 1, historyMix: 2 }, dimensions))
    expect(outOfRange.subject).toBe("historyMix")
    const typo = await run(makePlugin(mockHeadPlugin, { seed: 1, historyMix: 0.5, histroyMix: 1 }, dimensions))
    expect(typo.subject).toBe("histroyMix")
  })

  it("uses defaultConfig when no config is given, and requires dimensions for heads", async () => {
    const head = await Effect.runPromise(Effect.scoped(makePlugin(mockHeadPlugin, undefined, dimensions)))
    expect((head as PolicyHead).dimensions).toEqual(dimensions)
    const missing = await run(makePlugin(mockHeadPlugin as HeadPlugin<any>, undefined, undefined as never))
    expect(missing.reason).toBe("InvalidInput")
    expect(missing.message).toContain("needs HeadDimensions")
  })

  it("turns a make that throws or dies into PluginFailure", async () => {
    const throwing: HeadPlugin<typeof mockHeadPlugin.defaultConfig> = {
      ...mockHeadPlugin,
      make: () => {
        throw new Error("native session exploded")
      }
    }
    const thrown = await run(makePlugin(throwing, undefined, dimensions))
    expect(thrown.reason).toBe("PluginFailure")
    expect(thrown.message).toContain("native session exploded")
    const dying: HeadPlugin<typeof mockHeadPlugin.defaultConfig> = { ...mockHeadPlugin, make: () => Effect.die(new Error("defect inside")) }
    const died = await run(makePlugin(dying, undefined, dimensions))
    expect(died.reason).toBe("PluginFailure")
    expect(died.message).toContain("defect inside")
  })
})

describe("validateManifest", () => {
  it("accepts the mock plugins and rejects a defaultConfig its own Schema refuses", () => {
    expect(validateManifest(mockHeadPlugin, "mock")._tag).toBe("Success")
    const result = validateManifest({ ...mockHeadPlugin, defaultConfig: { seed: 1.5, historyMix: 0 } }, "mock")
    expect(result._tag).toBe("Failure")
    if (result._tag === "Failure") {
      expect(result.failure.reason).toBe("BadManifest")
      expect(result.failure.message).toContain("defaultConfig does not satisfy configSchema: seed")
    }
    const badName = validateManifest({ ...mockHeadPlugin, name: "Has Spaces", configSchema: Schema.Struct({}) , defaultConfig: {} }, "x")
    expect(badName._tag === "Failure" && badName.failure.message).toContain("name: Expected a lower-case kebab-case name")
  })
})
