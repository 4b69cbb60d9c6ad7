import { Effect, Exit } from "effect"
import type { Scope } from "effect"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { createRequire } from "node:module"
import { fileURLToPath, pathToFileURL } from "node:url"
import { promisify } from "node:util"
import ts from "typescript"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { Tensor } from "@robovla/sdk"
import type { BackbonePlugin, HeadPlugin } from "@robovla/sdk"
import { command, planPackage, scaffoldPlugin } from "../src/commands/new.ts"

const run = promisify(execFile)
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url))
const sdkDir = path.join(repoRoot, "packages/sdk")
const rootModules = path.join(repoRoot, "node_modules")
const loaderFile = path.join(sdkDir, "src/PluginLoader.ts")
/**
 * Generated packages live inside the repository (under the git-ignored `packages/cli/tmp/`), so that `@robovla/sdk`,
 * `effect`, vitest and typescript resolve from the workspace's own node_modules, as they would after an install:
 * the scaffold is checked against the SDK in this tree, not a copy.
 */
const scratchRoot = path.join(repoRoot, "packages/cli/tmp")
/**
 * In the repository every @robovla package resolves to its TypeScript source under this export condition (no
 * build step; see vitest.shared.ts): the generated packages' tsc and vitest get it from outside, so their own
 * files stay exactly as an author outside the repository receives them (resolving the built `dist/`).
 */
const SOURCE_CONDITION = "@robovla/source"

/** A vitest config beside the generated package: its own config plus the workspace's source condition. */
const writeSourceConfig = (dir: string): string => {
  const file = path.join(path.dirname(dir), `vitest.${path.basename(dir)}.source.config.ts`)
  const conditions = JSON.stringify([SOURCE_CONDITION, "module", "node", "development|production"])
  fs.writeFileSync(
    file,
    `import { mergeConfig } from "vitest/config"\n` +
      `import generated from ${JSON.stringify(`./${path.basename(dir)}/vitest.config.ts`)}\n` +
      `export default mergeConfig(generated, { resolve: { conditions: ${conditions} }, ssr: { resolve: { conditions: ${conditions} } } })\n`
  )
  return file
}

/**
 * The workspace SDK as an installed copy for plain node: its package.json and its `src/` transpiled file by file to
 * `dist/` (the JavaScript its build emits, without declarations or a type check, which take a minute), so that the
 * plain-node check needs no built `packages/sdk/dist`.
 */
const installTranspiledSdk = (modules: string): void => {
  const target = path.join(modules, "@robovla/sdk")
  const source = path.join(sdkDir, "src")
  for (const relative of fs.readdirSync(source, { recursive: true }) as Array<string>) {
    const file = path.join(source, relative)
    if (!fs.statSync(file).isFile()) continue
    const out = path.join(target, "dist", relative)
    fs.mkdirSync(path.dirname(out), { recursive: true })
    if (!relative.endsWith(".ts")) {
      fs.copyFileSync(file, out)
      continue
    }
    const { outputText } = ts.transpileModule(fs.readFileSync(file, "utf8"), {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
        rewriteRelativeImportExtensions: true
      }
    })
    fs.writeFileSync(`${out.slice(0, -".ts".length)}.js`, outputText)
  }
  fs.copyFileSync(path.join(sdkDir, "package.json"), path.join(target, "package.json"))
}

/** Copies what `npm install` of the packed plugin brings: package.json and the entries of its `files`. */
const installPackedCopy = (dir: string, modules: string): void => {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { name: string; files: Array<string> }
  const target = path.join(modules, manifest.name)
  fs.mkdirSync(target, { recursive: true })
  for (const entry of ["package.json", ...manifest.files]) fs.cpSync(path.join(dir, entry), path.join(target, entry), { recursive: true })
}

/**
 * Run with plain node in a folder where both built plugins are installed: the SDK's loader finds them by package
 * name, makes them from raw configs and runs them once. Prints the entries it loaded and the shapes as JSON.
 */
const PLAIN_NODE_LOAD = `import { Effect } from "effect"
import { PluginLoader, Tensor } from "@robovla/sdk"

const from = process.cwd()
const [backboneName, headName] = process.argv.slice(2)
const program = Effect.scoped(Effect.gen(function*() {
  const backbonePlugin = yield* PluginLoader.loadBackbonePlugin(backboneName, { from })
  const headPlugin = yield* PluginLoader.loadHeadPlugin(headName, { from })
  const backbone = yield* PluginLoader.makePlugin(backbonePlugin, { hiddenSize: 16, imageSize: 16, patchSize: 4, seed: 3 })
  const head = yield* PluginLoader.makePlugin(headPlugin, { seed: 3 }, { inputSize: 16, windowSize: 2, chunkSize: 2, latent: 1 })
  const ids = backbone.tokenizer.encode("open the drawer")
  const text = yield* backbone.embedTokens(Tensor.intTensor(ids, [1, ids.length]))
  const hidden = yield* backbone.forward(text, Tensor.intTensor(ids.map(() => 1), [1, ids.length]))
  const predicted = yield* head.predict(Tensor.floatTensor(hidden.data.slice(0, 2 * 16), [1, 2, 1, 16]))
  return {
    entries: [backboneName, headName].map((name) => PluginLoader.resolvePluginPackage(name, { from }).entry),
    hidden: hidden.shape,
    arm: predicted.arm.shape,
    finite: predicted.arm.data.every(Number.isFinite)
  }
}))
console.log(JSON.stringify(await Effect.runPromise(program)))
`

/** Runs the command with captured console output. */
const runCommand = async (args: ReadonlyArray<string>, cwd: string) => {
  const out: Array<string> = []
  const log = vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")))
  const error = vi.spyOn(console, "error").mockImplementation((...a) => void out.push(a.join(" ")))
  const previous = process.cwd()
  process.chdir(cwd)
  try {
    const code = await command.run(args)
    return { code, output: out.join("\n") }
  } finally {
    process.chdir(previous)
    log.mockRestore()
    error.mockRestore()
  }
}

describe("robovla new: argument handling", () => {
  let cwd: string
  beforeAll(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-new-args-"))
  })
  afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }))

  it("prints help with --help and exits 0", async () => {
    const { code, output } = await runCommand(["--help"], cwd)
    expect(code).toBe(0)
    expect(output).toContain("usage: robovla new <backbone|head> <name>")
    expect(output).toContain("--scope")
  })

  it("rejects bad kinds, names, scopes and unknown flags as usage errors (exit 2)", async () => {
    for (const [args, text] of [
      [["widget", "x"], "unknown plugin kind 'widget'"],
      [["backbone", "My_Vlm"], "must be kebab-case"],
      [["backbone", "1vlm"], "must be kebab-case"],
      [["head", "head-mlp"], "should not repeat the kind"],
      [["backbone", "vlm", "--scope", "@Bad Scope"], "npm scope '@Bad Scope' is invalid"],
      [["backbone"], "expected a kind and a name"],
      [["backbone", "vlm", "--frobnicate"], "Unknown option '--frobnicate'"]
    ] as const) {
      const { code, output } = await runCommand(args, cwd)
      expect(code, args.join(" ")).toBe(2)
      expect(output).toContain(text)
    }
    expect(fs.readdirSync(cwd)).toEqual([])
  })

  it("derives package names and refuses an existing directory (exit 1)", async () => {
    const unscoped = await Effect.runPromise(planPackage({ kind: "backbone", name: "my-vlm" }))
    expect(unscoped).toEqual({ kind: "backbone", name: "my-vlm", Name: "MyVlm", packageName: "backbone-my-vlm" })
    const scoped = await Effect.runPromise(planPackage({ kind: "head", name: "mlp", scope: "acme" }))
    expect(scoped.packageName).toBe("@acme/head-mlp")

    fs.mkdirSync(path.join(cwd, "taken"))
    const { code, output } = await runCommand(["head", "mlp", "--dir", "taken"], cwd)
    expect(code).toBe(1)
    expect(output).toContain("already exists")
    const failure = await Effect.runPromise(
      Effect.flip(scaffoldPlugin({ kind: "head", name: "mlp", dir: "taken", cwd }))
    )
    expect(failure.reason).toBe("DirectoryExists")
  })
})

describe("robovla new: scaffolded plugins work", () => {
  let workspace: string
  let backboneDir: string
  let headDir: string

  beforeAll(async () => {
    fs.mkdirSync(scratchRoot, { recursive: true })
    workspace = fs.mkdtempSync(path.join(scratchRoot, "robovla-new-"))
    const first = await runCommand(["backbone", "my-vlm", "--scope", "@acme"], workspace)
    expect(first.code, first.output).toBe(0)
    const second = await runCommand(["head", "tiny-mlp", "--dir", "heads/tiny"], workspace)
    expect(second.code, second.output).toBe(0)
    backboneDir = path.join(workspace, "backbone-my-vlm")
    headDir = path.join(workspace, "heads/tiny")
    // A consumer project: the plugins installed by package name; the SDK resolves from the workspace.
    fs.mkdirSync(path.join(workspace, "node_modules/@acme"), { recursive: true })
    fs.symlinkSync(backboneDir, path.join(workspace, "node_modules/@acme/backbone-my-vlm"), "dir")
    fs.symlinkSync(headDir, path.join(workspace, "node_modules/head-tiny-mlp"), "dir")
    fs.writeFileSync(path.join(workspace, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }))
  })
  afterAll(() => {
    if (workspace !== undefined) fs.rmSync(workspace, { recursive: true, force: true })
  })

  it("writes the fixed layout with the robovla field and peer dependencies", () => {
    const files = (dir: string) =>
      (fs.readdirSync(dir, { recursive: true }) as Array<string>).filter((f) => !f.startsWith("node_modules")).sort()
    expect(files(backboneDir)).toEqual(
      expect.arrayContaining([
        "README.md",
        "package.json",
        "src/MyVlmBackbone.ts",
        "src/MyVlmConfig.ts",
        "src/index.ts",
        "test/MyVlmBackbone.test.ts",
        "test/conformance.test.ts",
        "tsconfig.json",
        "tsconfig.build.json",
        "vitest.config.ts",
        ".gitignore"
      ])
    )
    expect(files(headDir)).toEqual(
      expect.arrayContaining(["src/TinyMlpHead.ts", "src/TinyMlpConfig.ts", "src/index.ts", "test/TinyMlpHead.test.ts", "test/conformance.test.ts"])
    )
    const manifest = JSON.parse(fs.readFileSync(path.join(backboneDir, "package.json"), "utf8"))
    expect(manifest.name).toBe("@acme/backbone-my-vlm")
    expect(manifest.robovla).toEqual({ kind: "backbone" })
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(["@robovla/sdk", "effect"])
    const head = JSON.parse(fs.readFileSync(path.join(headDir, "package.json"), "utf8"))
    expect(head.name).toBe("head-tiny-mlp")
    expect(head.robovla).toEqual({ kind: "head" })
    expect(Object.keys(head.peerDependencies).sort()).toEqual(["@robovla/sdk", "effect"])
    const source = fs.readFileSync(path.join(backboneDir, "src/index.ts"), "utf8")
    expect(source).not.toMatch(/__\w+__/)
    // The generated packages resolve the SDK of this workspace (no copy, no link made by the test).
    for (const dir of [backboneDir, headDir]) {
      const resolved = fs.realpathSync(createRequire(path.join(dir, "package.json")).resolve("@robovla/sdk"))
      expect(resolved.startsWith(fs.realpathSync(sdkDir) + path.sep), resolved).toBe(true)
    }
  })

  it("type-checks with tsc in the generated packages (tests import the conformance suite)", async () => {
    const tsc = path.join(rootModules, "typescript/bin/tsc")
    for (const dir of [backboneDir, headDir]) {
      const result = await run(process.execPath, [tsc, "-p", "tsconfig.json", "--customConditions", SOURCE_CONDITION], { cwd: dir })
        .catch((e) => e)
      expect(result.stdout ?? "", dir).toBe("")
    }
  })

  it("builds with `npm run build` to dist/ (JavaScript + .d.ts); package.json ships dist and exports it to consumers, src under the source condition", async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(backboneDir, "package.json"), "utf8"))
    // The shape of the plugins in this repository (packages/backbones/*, packages/heads/*), plus a build on pack.
    expect(manifest.exports["."]).toEqual({ [SOURCE_CONDITION]: "./src/index.ts", types: "./dist/index.d.ts", default: "./dist/index.js" })
    expect(manifest).toMatchObject({ main: "./dist/index.js", types: "./dist/index.d.ts" })
    expect(manifest.files).toEqual(expect.arrayContaining(["dist", "src"]))
    expect(manifest.scripts).toMatchObject({ build: "tsc -p tsconfig.build.json", prepack: "npm run build", test: "vitest run" })
    // Both at once (two cores); the SDK's types come from the workspace source, given from outside as above.
    await Promise.all([backboneDir, headDir].map((dir) =>
      run("npm", ["run", "build", "--", "--customConditions", SOURCE_CONDITION], { cwd: dir })
    ))
    for (const [dir, files] of [
      [backboneDir, ["index.js", "index.d.ts", "MyVlmBackbone.js", "MyVlmBackbone.d.ts", "MyVlmConfig.js"]],
      [headDir, ["index.js", "index.d.ts", "TinyMlpHead.js", "TinyMlpHead.d.ts", "TinyMlpConfig.js"]]
    ] as const) {
      expect(fs.readdirSync(path.join(dir, "dist"))).toEqual(expect.arrayContaining([...files]))
      // Relative imports point at the emitted .js files, which plain node can load.
      expect(fs.readFileSync(path.join(dir, "dist/index.js"), "utf8")).not.toMatch(/from "\.\/[^"]+\.ts"/)
    }
  }, 300_000)

  it("once built, loads with plain node (no tsx, no source condition) through the SDK loader, from dist", async () => {
    // A consumer folder as after `npm install` of both packed plugins and the SDK; effect resolves from the workspace.
    const consumer = path.join(workspace, "plain-node-consumer")
    const modules = path.join(consumer, "node_modules")
    installTranspiledSdk(modules)
    installPackedCopy(backboneDir, modules)
    installPackedCopy(headDir, modules)
    fs.writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "plain-consumer", private: true, type: "module" }))
    fs.writeFileSync(path.join(consumer, "load.mjs"), PLAIN_NODE_LOAD)
    const plainEnv = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => key !== "NODE_OPTIONS" && key.toLowerCase() !== "npm_config_node_options")
    )
    const { stdout } = await run(process.execPath, ["load.mjs", "@acme/backbone-my-vlm", "head-tiny-mlp"], { cwd: consumer, env: plainEnv })
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as { entries: Array<string>; hidden: Array<number>; arm: Array<number>; finite: boolean }
    expect(result.entries).toEqual([
      path.join(modules, "@acme/backbone-my-vlm/dist/index.js"),
      path.join(modules, "head-tiny-mlp/dist/index.js")
    ])
    expect(result.hidden).toEqual([1, "open the drawer".length + 2, 16])
    expect(result).toMatchObject({ arm: [1, 2, 2, 6], finite: true })
  }, 120_000)

  it("makes a working backbone and head from the generated entry points", async () => {
    const backbone = (await import(pathToFileURL(path.join(backboneDir, "src/index.ts")).href)) as {
      plugin: BackbonePlugin<unknown>
    }
    const head = (await import(pathToFileURL(path.join(headDir, "src/index.ts")).href)) as { plugin: HeadPlugin<unknown> }
    expect(backbone.plugin).toMatchObject({ kind: "backbone", name: "my-vlm", contractVersion: "robovla.backbone/v1" })
    expect(head.plugin).toMatchObject({ kind: "head", name: "tiny-mlp", contractVersion: "robovla.head/v1" })
    const program = Effect.scoped(Effect.gen(function*() {
      const vlm = yield* backbone.plugin.make(backbone.plugin.defaultConfig)
      const S = vlm.imagePreprocessing.size
      const D = vlm.hiddenSize
      const pixels = Tensor.floatTensor<"B 3 S S">(Float32Array.from({ length: 2 * 3 * S * S }, (_, i) => Math.sin(i)), [2, 3, S, S])
      const image = yield* vlm.encodeImages(pixels)
      const ids = vlm.tokenizer.encode("open the drawer")
      const text = yield* vlm.embedTokens(Tensor.intTensor<"B L">(ids, [1, ids.length]))
      const hidden = yield* vlm.forward(text, Tensor.intTensor<"B L">(ids.map(() => 1), [1, ids.length]))
      const policy = yield* head.plugin.make(head.plugin.defaultConfig, { inputSize: D, windowSize: 2, chunkSize: 3, latent: 1 })
      const lrn = Tensor.floatTensor<"B W latent D">(hidden.data.slice(0, 2 * D), [1, 2, 1, D])
      const predicted = yield* policy.predict(lrn)
      const stepper = policy.stepper()
      yield* stepper.step(Tensor.floatTensor<"B latent D">(lrn.data.slice(0, D), [1, 1, D]))
      const last = yield* stepper.step(Tensor.floatTensor<"B latent D">(lrn.data.slice(D), [1, 1, D]))
      const badShape = yield* Effect.flip(vlm.encodeImages(Tensor.floatTensor<"B 3 S S">(new Float32Array(3), [1, 3, 1, 1])))
      return { vlm, image, text, hidden, predicted, last, badShape, D, ids }
    }))
    const r = await Effect.runPromise(program)
    expect(r.image.shape).toEqual([2, r.vlm.imageTokens, r.D])
    expect(r.vlm.tokenizer.decode(r.ids)).toBe("open the drawer")
    expect(r.hidden.shape).toEqual([1, r.ids.length, r.D])
    expect(r.predicted.arm.shape).toEqual([1, 2, 3, 6])
    expect(r.predicted.gripperLogits.shape).toEqual([1, 2, 3, 1])
    expect(r.predicted.arm.data.every((v) => Math.abs(v) <= 1)).toBe(true)
    // The stepper after two frames equals predict's last window position.
    expect(Array.from(r.last.arm.data)).toEqual(Array.from(r.predicted.arm.data.slice(3 * 6)))
    expect(r.badShape.reason).toBe("ShapeMismatch")
  })

  it("loads both plugins by package name with the SDK plugin loader and makes them", async () => {
    const loader = (await import(pathToFileURL(loaderFile).href)) as {
      loadPlugin: (name: string, options: { from: string }) => Promise<BackbonePlugin<unknown> | HeadPlugin<unknown>>
      makePlugin: (plugin: unknown, rawConfig?: unknown, dimensions?: unknown) => Effect.Effect<unknown, unknown, Scope.Scope>
    }
    const backbone = await loader.loadPlugin("@acme/backbone-my-vlm", { from: workspace })
    expect(backbone).toMatchObject({ kind: "backbone", name: "my-vlm", contractVersion: "robovla.backbone/v1" })
    const head = await loader.loadPlugin("head-tiny-mlp", { from: workspace })
    expect(head).toMatchObject({ kind: "head", name: "tiny-mlp", contractVersion: "robovla.head/v1" })
    // Raw (JSON-side) configs go through each plugin's own Schema, as a VLA config file would.
    const made = await Effect.runPromiseExit(Effect.scoped(Effect.all([
      loader.makePlugin(backbone, { hiddenSize: 16, imageSize: 16, patchSize: 4, seed: 3 }),
      loader.makePlugin(head, { seed: 3 }, { inputSize: 16, windowSize: 2, chunkSize: 2, latent: 1 })
    ])))
    expect(Exit.isSuccess(made), String(Exit.isFailure(made) ? made.cause : "")).toBe(true)
    if (Exit.isSuccess(made)) {
      const [vlm, policyHead] = made.value as [{ hiddenSize: number; imageTokens: number }, { dimensions: unknown }]
      expect(vlm).toMatchObject({ hiddenSize: 16, imageTokens: 16 })
      expect(policyHead.dimensions).toEqual({ inputSize: 16, windowSize: 2, chunkSize: 2, latent: 1 })
    }
    const bad = await Effect.runPromiseExit(Effect.scoped(loader.makePlugin(backbone, { hiddenSize: "wide" })))
    expect(Exit.isFailure(bad)).toBe(true)
  })

  it("passes the SDK conformance suite when its own tests run (npx vitest run), on the workspace's SDK", async () => {
    const vitest = path.join(rootModules, "vitest/vitest.mjs")
    for (const [dir, suite] of [
      [backboneDir, `conformance: backbone plugin "my-vlm"`],
      [headDir, `conformance: head plugin "tiny-mlp"`]
    ] as const) {
      const config = writeSourceConfig(dir)
      const result = await run(process.execPath, [vitest, "run", "--reporter=verbose", "--config", config, "--root", dir], {
        cwd: dir,
        env: { ...process.env, CI: "1", NO_COLOR: "1", FORCE_COLOR: "0" }
      }).catch((e: { stdout?: string; stderr?: string; code?: number }) => e)
      const output = `${result.stdout ?? ""}\n${result.stderr ?? ""}`
      expect("code" in result ? result.code : 0, output).toBe(0)
      expect(output).toContain(suite)
      expect(output).not.toMatch(/\d+ failed/)
      const passed = Number(/Tests\s+(\d+) passed/.exec(output)?.[1] ?? 0)
      expect(passed, output).toBeGreaterThanOrEqual(9)
    }
  })
})
