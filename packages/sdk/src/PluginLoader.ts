/**
 * Finds a backbone or head plugin package by name, checks it, and makes it.
 *
 * A plugin package declares `"robovla": { "kind": "backbone" | "head" }` in its package.json, is named
 * `@<scope>/<kind>-<name>`, and exports `plugin` (a manifest, see Plugin.ts) from its entry point. Loading checks,
 * in order: the package resolves from the base directory (`"PluginNotFound"`), its package.json declares a kind
 * and follows the naming rule, the entry exports `plugin`, the manifest speaks a contract version this SDK
 * supports (`"IncompatibleContract"`), and its fields match the manifest Schema, its kind matches the package's
 * and its name equals the package suffix (`"BadManifest"`, naming the field).
 *
 * `makePlugin` then decodes a raw config with the plugin's own Schema (`"InvalidInput"` naming the field) and runs
 * `make` in the caller's Scope, so closing that Scope frees the plugin's resources.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { Context, Effect, Layer, Result, Schema } from "effect"
import type { Scope } from "effect"
import type { Backbone } from "./Backbone.ts"
import { BACKBONE_CONTRACT_VERSION } from "./Backbone.ts"
import { decodeEffect, formatIssue } from "./internal/schemaDecode.ts"
import type { BackbonePlugin, HeadPlugin, Plugin } from "./Plugin.ts"
import { SUPPORTED_CONTRACTS } from "./Plugin.ts"
import type { HeadDimensions, PolicyHead } from "./PolicyHead.ts"
import { HEAD_CONTRACT_VERSION } from "./PolicyHead.ts"
import { SdkError } from "./SdkError.ts"

// ---------------------------------------------------------------------------------------------------------------
// manifest Schemas
// ---------------------------------------------------------------------------------------------------------------

const AnySchema = Schema.declare(Schema.isSchema, { expected: "a Schema (configSchema)" })
const AnyFunction = Schema.declare(
  (u: unknown): u is (...args: ReadonlyArray<never>) => unknown => typeof u === "function",
  { expected: "a function" }
)
/** Registry keys are lower-case kebab, so they can be package suffixes and CLI arguments. */
const PluginName = Schema.String.check(Schema.isPattern(/^[a-z0-9][a-z0-9-]*$/, { expected: "a lower-case kebab-case name" }))

const manifestFields = {
  name: PluginName,
  version: Schema.String.check(Schema.isPattern(/^\d+\.\d+\.\d+/, { expected: "a semver version" })),
  configSchema: AnySchema,
  defaultConfig: Schema.Unknown,
  make: AnyFunction
}

/**
 * The Schema a backbone manifest must satisfy.
 *
 * @since 0.1.0
 * @category schemas
 */
export const BackboneManifest = Schema.Struct({
  kind: Schema.Literal("backbone"),
  contractVersion: Schema.Literal(BACKBONE_CONTRACT_VERSION),
  ...manifestFields
})

/**
 * The Schema a head manifest must satisfy.
 *
 * @since 0.1.0
 * @category schemas
 */
export const HeadManifest = Schema.Struct({
  kind: Schema.Literal("head"),
  contractVersion: Schema.Literal(HEAD_CONTRACT_VERSION),
  ...manifestFields
})

/**
 * The `"robovla"` block of a plugin's package.json.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PackageDeclaration = Schema.Struct({
  name: Schema.String,
  version: Schema.optional(Schema.String),
  robovla: Schema.Struct({
    kind: Schema.Literals(["backbone", "head"]),
    /**
     * Model-folder formats a backbone opens from the config `{ modelDir }` (e.g. `["onnx"]`): a policy spec's
     * `onnx: <folder>` shorthand picks the installed backbone that declares `"onnx"`, so the SDK names none.
     */
    modelFormats: Schema.optional(Schema.Array(Schema.String))
  })
})

const badManifest = (subject: string, message: string, cause?: unknown): SdkError =>
  new SdkError({ reason: "BadManifest", subject, message, ...(cause === undefined ? {} : { cause }) })

/**
 * Checks an exported value against the manifest contract: contract version first (`"IncompatibleContract"`,
 * saying found vs supported), then every field (`"BadManifest"`, listing each bad field), then that
 * `defaultConfig` satisfies `configSchema`. `source` names the package or module in messages.
 *
 * @since 0.1.0
 * @category validation
 */
export const validateManifest = (value: unknown, source: string): Result.Result<Plugin, SdkError> => {
  if (typeof value !== "object" || value === null) {
    return Result.fail(badManifest(source, `${source}: the plugin manifest must be an object, got ${value === null ? "null" : typeof value}`))
  }
  const record = value as Record<string, unknown>
  const kind = record.kind
  if (kind !== "backbone" && kind !== "head") {
    return Result.fail(badManifest(source, `${source}: manifest field kind must be "backbone" or "head", got ${JSON.stringify(kind) ?? "undefined"}`))
  }
  const supported: ReadonlyArray<string> = SUPPORTED_CONTRACTS[kind]
  const found = record.contractVersion
  if (typeof found === "string" && !supported.includes(found)) {
    return Result.fail(
      new SdkError({
        reason: "IncompatibleContract",
        subject: source,
        message: `${source}: ${kind} plugin speaks contract ${found}, but this SDK supports ${supported.join(", ")}`
      })
    )
  }
  const decoded = Schema.decodeUnknownResult(kind === "backbone" ? BackboneManifest : HeadManifest)(value, {
    errors: "all",
    onExcessProperty: "ignore"
  })
  if (Result.isFailure(decoded)) {
    const lines = formatIssue(decoded.failure.issue)
    return Result.fail(badManifest(source, `${source}: invalid plugin manifest: ${lines.join("; ")}`))
  }
  const plugin = value as Plugin
  const encoded = Schema.encodeUnknownResult(plugin.configSchema)(plugin.defaultConfig, { errors: "all" })
  if (Result.isFailure(encoded)) {
    return Result.fail(
      badManifest(source, `${source}: defaultConfig does not satisfy configSchema: ${formatIssue(encoded.failure.issue).join("; ")}`)
    )
  }
  return Result.succeed(plugin)
}

// ---------------------------------------------------------------------------------------------------------------
// package resolution
// ---------------------------------------------------------------------------------------------------------------

/**
 * Where a plugin package was found and what its package.json declares.
 *
 * @since 0.1.0
 * @category models
 */
export interface PluginPackage {
  readonly packageName: string
  readonly packageVersion: string | undefined
  /** Real path of the package folder (symlinks of workspaces resolved). */
  readonly directory: string
  readonly kind: "backbone" | "head"
  /** The registry key: the package name without scope and `<kind>-` prefix. */
  readonly suffix: string
  /** Absolute path of the entry module. */
  readonly entry: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LoadPluginOptions {
  /** Directory to resolve the package from, as Node would from a file in it; defaults to `process.cwd()`. */
  readonly from?: string
}

const PACKAGE_NAME = /^(?:@[a-z0-9][\w.-]*\/)?(backbone|head)-([a-z0-9][a-z0-9-]*)$/

/**
 * Finds an installed package's folder (real path) as Node would from a file in `from`, or undefined.
 * `require.resolve(name + "/package.json")` fails for packages whose `exports` map does not list package.json
 * (ours do not), so this falls back to walking the same node_modules lookup paths.
 *
 * @since 0.1.0
 * @category loading
 */
export const findPackageDirectory = (packageName: string, from: string): string | undefined => {
  const require = createRequire(path.join(path.resolve(from), "noop.js"))
  try {
    return path.dirname(fs.realpathSync(require.resolve(`${packageName}/package.json`)))
  } catch {
    for (const dir of require.resolve.paths(packageName) ?? []) {
      const candidate = path.join(dir, packageName, "package.json")
      if (fs.existsSync(candidate)) return path.dirname(fs.realpathSync(candidate))
    }
    return undefined
  }
}

/**
 * Conditions this process gave Node with `--conditions` / `-C` (on the command line or in NODE_OPTIONS): in the
 * repository, `@robovla/source` selects each package's TypeScript source over its build.
 */
const userConditions = (): Array<string> =>
  Array.from(
    `${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`.matchAll(/(?:^|\s)(?:--conditions|-C)(?:=|\s+)(\S+)/g),
    (match) => match[1]!
  )

/** Picks the ESM entry from an `exports` target: a string, or conditions tried as Node would for `import`. */
const exportTarget = (target: unknown): string | undefined => {
  if (typeof target === "string") return target
  if (Array.isArray(target)) {
    for (const item of target) {
      const found = exportTarget(item)
      if (found !== undefined) return found
    }
    return undefined
  }
  if (typeof target === "object" && target !== null) {
    const conditions = target as Record<string, unknown>
    for (const condition of [...userConditions(), "import", "node", "default", "module"]) {
      if (condition in conditions) {
        const found = exportTarget(conditions[condition])
        if (found !== undefined) return found
      }
    }
  }
  return undefined
}

const entryOf = (json: Record<string, unknown>): string | undefined => {
  const exports = json.exports
  if (exports !== undefined) {
    const root =
      typeof exports === "object" && exports !== null && !Array.isArray(exports) && "." in exports
        ? (exports as Record<string, unknown>)["."]
        : exports
    return exportTarget(root)
  }
  if (typeof json.module === "string") return json.module
  if (typeof json.main === "string") return json.main
  return "index.js"
}

/**
 * Resolves a plugin package and checks its package.json (declared kind, naming rule, entry). Throws `SdkError`:
 * `"PluginNotFound"` or `"BadManifest"`.
 *
 * @since 0.1.0
 * @category loading
 */
export const resolvePluginPackage = (packageName: string, options: LoadPluginOptions = {}): PluginPackage => {
  const from = path.resolve(options.from ?? process.cwd())
  const directory = findPackageDirectory(packageName, from)
  if (directory === undefined) {
    throw new SdkError({
      reason: "PluginNotFound",
      subject: packageName,
      message: `no package named ${packageName} can be resolved from ${from}; install it (npm install ${packageName}) or pass { from } pointing into a project that has it`
    })
  }
  const packageJsonPath = path.join(directory, "package.json")
  let json: Record<string, unknown>
  try {
    json = JSON.parse(fs.readFileSync(packageJsonPath, "utf8")) as Record<string, unknown>
  } catch (cause) {
    throw badManifest(packageName, `${packageJsonPath} is not readable JSON: ${String(cause)}`, cause)
  }
  const declared = Schema.decodeUnknownResult(PackageDeclaration)(json, { errors: "all" })
  if (Result.isFailure(declared)) {
    throw badManifest(
      packageName,
      `${packageName}: package.json must declare "robovla": { "kind": "backbone" | "head" } (${formatIssue(declared.failure.issue).join("; ")})`
    )
  }
  const kind = declared.success.robovla.kind
  const match = PACKAGE_NAME.exec(packageName)
  if (match === null || match[1] !== kind) {
    throw badManifest(
      packageName,
      `${packageName}: a ${kind} plugin package must be named @<scope>/${kind}-<name> (package.json declares kind ${kind})`
    )
  }
  const entry = entryOf(json)
  if (entry === undefined) {
    throw badManifest(packageName, `${packageName}: package.json exports no importable "." entry`)
  }
  return {
    packageName,
    packageVersion: declared.success.version,
    directory,
    kind,
    suffix: match[2]!,
    entry: path.resolve(directory, entry)
  }
}

/**
 * An installed plugin package found by {@link discoverPlugins}: its name and what its package.json declares.
 *
 * @since 0.1.0
 * @category models
 */
export interface DiscoveredPlugin {
  readonly packageName: string
  readonly kind: "backbone" | "head"
  readonly modelFormats: ReadonlyArray<string>
  readonly directory: string
}

const declarationAt = (directory: string): typeof PackageDeclaration.Type | undefined => {
  try {
    const json = JSON.parse(fs.readFileSync(path.join(directory, "package.json"), "utf8")) as unknown
    const declared = Schema.decodeUnknownResult(PackageDeclaration)(json)
    return Result.isSuccess(declared) ? declared.success : undefined
  } catch {
    return undefined
  }
}

/**
 * Lists the plugin packages installed where Node would look from `from` (each `node_modules` up the tree): folders
 * named by the plugin naming rule whose package.json declares `"robovla": { "kind" }`. The nearest copy of a
 * name wins; names are sorted within each folder, so the order is stable.
 *
 * @since 0.1.0
 * @category loading
 */
export const discoverPlugins = (options: LoadPluginOptions = {}): Array<DiscoveredPlugin> => {
  const from = path.resolve(options.from ?? process.cwd())
  const require = createRequire(path.join(from, "noop.js"))
  const found = new Map<string, DiscoveredPlugin>()
  const list = (dir: string): Array<string> => {
    try {
      return fs.readdirSync(dir).sort()
    } catch {
      return []
    }
  }
  for (const modules of require.resolve.paths("@robovla/any") ?? []) {
    const names = list(modules).flatMap((entry) =>
      entry.startsWith("@") ? list(path.join(modules, entry)).map((sub) => `${entry}/${sub}`) : [entry]
    )
    for (const packageName of names) {
      const match = PACKAGE_NAME.exec(packageName)
      if (match === null || found.has(packageName)) continue
      const directory = path.join(modules, packageName)
      const declared = declarationAt(directory)
      if (declared === undefined || declared.name !== packageName || declared.robovla.kind !== match[1]) continue
      found.set(packageName, {
        packageName,
        kind: declared.robovla.kind,
        modelFormats: declared.robovla.modelFormats ?? [],
        directory: fs.realpathSync(directory)
      })
    }
  }
  return [...found.values()]
}

/**
 * The installed backbone package that declares model-folder format `format` (see {@link PackageDeclaration}).
 * Fails with `"PluginNotFound"` when none does.
 *
 * @since 0.1.0
 * @category loading
 */
export const findBackboneForFormat = (format: string, options: LoadPluginOptions = {}): Effect.Effect<string, SdkError> =>
  Effect.suspend(() => {
    const match = discoverPlugins(options).find((p) => p.kind === "backbone" && p.modelFormats.includes(format))
    return match !== undefined
      ? Effect.succeed(match.packageName)
      : Effect.fail(
        new SdkError({
          reason: "PluginNotFound",
          subject: format,
          message: `no installed backbone plugin opens "${format}" model folders (its package.json would declare "robovla": { "kind": "backbone", "modelFormats": ["${format}"] }); install one, or name the backbone package in the spec`
        })
      )
  })

// ---------------------------------------------------------------------------------------------------------------
// loading
// ---------------------------------------------------------------------------------------------------------------

const checkAgainstPackage = (pkg: PluginPackage, module: Record<string, unknown>): Plugin => {
  const exported = module.plugin ?? (module.default as Record<string, unknown> | undefined)?.plugin
  if (exported === undefined) {
    const names = Object.keys(module).filter((k) => k !== "default")
    throw badManifest(
      pkg.packageName,
      `${pkg.packageName}: its entry ${pkg.entry} does not export \`plugin\` (it exports: ${names.length > 0 ? names.join(", ") : "nothing"})`
    )
  }
  const validated = validateManifest(exported, pkg.packageName)
  if (Result.isFailure(validated)) throw validated.failure
  const plugin = validated.success
  if (plugin.kind !== pkg.kind) {
    throw badManifest(
      pkg.packageName,
      `${pkg.packageName}: manifest field kind is "${plugin.kind}" but package.json declares robovla.kind "${pkg.kind}"`
    )
  }
  if (plugin.name !== pkg.suffix) {
    throw badManifest(
      pkg.packageName,
      `${pkg.packageName}: manifest field name is "${plugin.name}" but must equal the package suffix "${pkg.suffix}"`
    )
  }
  return plugin
}

/**
 * Resolves, imports and checks a plugin package (see the module docs). Rejects with `SdkError`.
 *
 * @since 0.1.0
 * @category loading
 */
export const loadPlugin = async (packageName: string, options: LoadPluginOptions = {}): Promise<Plugin> => {
  const pkg = resolvePluginPackage(packageName, options)
  let module: Record<string, unknown>
  try {
    module = (await import(pathToFileURL(pkg.entry).href)) as Record<string, unknown>
  } catch (cause) {
    throw new SdkError({
      reason: "PluginFailure",
      subject: packageName,
      message: `${packageName}: importing its entry ${pkg.entry} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      cause
    })
  }
  return checkAgainstPackage(pkg, module)
}

const toSdkError = (packageName: string) => (cause: unknown): SdkError =>
  cause instanceof SdkError
    ? cause
    : new SdkError({ reason: "PluginFailure", subject: packageName, message: `${packageName}: ${String(cause)}`, cause })

/**
 * `loadPlugin` as an Effect.
 *
 * @since 0.1.0
 * @category loading
 */
export const loadPluginEffect = (packageName: string, options: LoadPluginOptions = {}): Effect.Effect<Plugin, SdkError> =>
  Effect.tryPromise({ try: () => loadPlugin(packageName, options), catch: toSdkError(packageName) })

const expectKind = <K extends Plugin["kind"]>(kind: K) =>
  (packageName: string, options: LoadPluginOptions = {}): Effect.Effect<Extract<Plugin, { kind: K }>, SdkError> =>
    Effect.flatMap(loadPluginEffect(packageName, options), (plugin) =>
      plugin.kind === kind
        ? Effect.succeed(plugin as Extract<Plugin, { kind: K }>)
        : Effect.fail(badManifest(packageName, `${packageName} is a ${plugin.kind} plugin, but a ${kind} plugin was asked for`)))

/**
 * Loads a plugin that must be a backbone.
 *
 * @since 0.1.0
 * @category loading
 */
export const loadBackbonePlugin: (packageName: string, options?: LoadPluginOptions) => Effect.Effect<BackbonePlugin<any>, SdkError> =
  expectKind("backbone")

/**
 * Loads a plugin that must be a head.
 *
 * @since 0.1.0
 * @category loading
 */
export const loadHeadPlugin: (packageName: string, options?: LoadPluginOptions) => Effect.Effect<HeadPlugin<any>, SdkError> =
  expectKind("head")

// ---------------------------------------------------------------------------------------------------------------
// making
// ---------------------------------------------------------------------------------------------------------------

/**
 * Decodes a raw (encoded, e.g. JSON) config with the plugin's `configSchema`; `undefined` means `defaultConfig`.
 * Unknown keys are rejected so that a typo does not silently fall back to a default. Fails with `SdkError`
 * `"InvalidInput"` naming each bad field.
 *
 * @since 0.1.0
 * @category making
 */
export const decodePluginConfig = <Config>(
  plugin: { readonly name: string; readonly configSchema: Schema.Codec<Config, unknown>; readonly defaultConfig: Config },
  rawConfig: unknown
): Effect.Effect<Config, SdkError> => {
  if (rawConfig === undefined) return Effect.succeed(plugin.defaultConfig)
  return decodeEffect(plugin.configSchema, rawConfig, `config for plugin ${plugin.name}`)
}

const wrapMakeFailure = (name: string) => (cause: unknown): SdkError =>
  cause instanceof SdkError
    ? cause
    : new SdkError({ reason: "PluginFailure", subject: name, message: `plugin ${name}: make failed: ${String(cause)}`, cause })

/**
 * Decodes `rawConfig` with the plugin's Schema and runs its `make` in the caller's Scope. A `make` that throws
 * or dies instead of failing is reported as `SdkError` `"PluginFailure"`, not a crash.
 *
 * @since 0.1.0
 * @category making
 */
export function makePlugin(plugin: BackbonePlugin<any>, rawConfig?: unknown): Effect.Effect<Backbone, SdkError, Scope.Scope>
export function makePlugin(
  plugin: HeadPlugin<any>,
  rawConfig: unknown,
  dimensions: HeadDimensions
): Effect.Effect<PolicyHead, SdkError, Scope.Scope>
export function makePlugin(
  plugin: Plugin,
  rawConfig?: unknown,
  dimensions?: HeadDimensions
): Effect.Effect<Backbone | PolicyHead, SdkError, Scope.Scope>
export function makePlugin(
  plugin: Plugin,
  rawConfig?: unknown,
  dimensions?: HeadDimensions
): Effect.Effect<Backbone | PolicyHead, SdkError, Scope.Scope> {
  return Effect.gen(function*() {
    const config = yield* decodePluginConfig(plugin, rawConfig)
    if (plugin.kind === "head" && dimensions === undefined) {
      return yield* new SdkError({
        reason: "InvalidInput",
        subject: plugin.name,
        message: `head plugin ${plugin.name} needs HeadDimensions (inputSize, windowSize, chunkSize, latent) to be made`
      })
    }
    const made: Effect.Effect<Backbone | PolicyHead, SdkError, Scope.Scope> = yield* Effect.try({
      try: () => (plugin.kind === "head" ? plugin.make(config, dimensions!) : plugin.make(config)),
      catch: wrapMakeFailure(plugin.name)
    })
    return yield* made.pipe(
      Effect.catchDefect((defect) => Effect.fail(wrapMakeFailure(plugin.name)(defect)))
    )
  }).pipe(Effect.withSpan("PluginLoader.makePlugin", { attributes: { plugin: plugin.name, kind: plugin.kind } }))
}

// ---------------------------------------------------------------------------------------------------------------
// service
// ---------------------------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category models
 */
export interface PluginLoaderShape {
  /** The directory packages are resolved from. */
  readonly from: string
  readonly load: (packageName: string) => Effect.Effect<Plugin, SdkError>
  readonly loadBackbone: (packageName: string) => Effect.Effect<BackbonePlugin<any>, SdkError>
  readonly loadHead: (packageName: string) => Effect.Effect<HeadPlugin<any>, SdkError>
}

/**
 * The plugin loader as a service, resolving from one base directory.
 *
 * @since 0.1.0
 * @category services
 */
export class PluginLoader extends Context.Service<PluginLoader, PluginLoaderShape>()("@robovla/sdk/PluginLoader") {
  /** Resolves from `process.cwd()`. */
  static readonly layer: Layer.Layer<PluginLoader> = Layer.sync(PluginLoader, () => PluginLoader.makeFrom(process.cwd()))

  /** Resolves from `directory` (e.g. a project folder outside the monorepo). */
  static layerFrom(directory: string): Layer.Layer<PluginLoader> {
    return Layer.succeed(PluginLoader, PluginLoader.makeFrom(directory))
  }

  static makeFrom(directory: string): PluginLoaderShape {
    const from = path.resolve(directory)
    return PluginLoader.of({
      from,
      load: Effect.fn("PluginLoader.load")((packageName: string) => loadPluginEffect(packageName, { from })),
      loadBackbone: Effect.fn("PluginLoader.loadBackbone")((packageName: string) => loadBackbonePlugin(packageName, { from })),
      loadHead: Effect.fn("PluginLoader.loadHead")((packageName: string) => loadHeadPlugin(packageName, { from }))
    })
  }
}
