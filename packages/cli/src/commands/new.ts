/**
 * `robovla new backbone|head <name>`: scaffolds a plugin package with the fixed layout (src/<Name>Backbone.ts or
 * src/<Name>Head.ts, src/<Name>Config.ts, src/index.ts exporting `plugin`, a conformance test, package.json with
 * the `robovla` field, tsconfig, vitest config, README) from `packages/cli/templates/<kind>/`. The generated code
 * is a tiny working plugin that passes the SDK conformance suite, so authors start green and change one file. It
 * has the shape of the plugins in this repository: `npm run build` (tsconfig.build.json) writes `dist/`
 * (JavaScript + .d.ts), which its `exports` give consumers (plain node), with the `@robovla/source` condition at
 * `src/`; `prepack` builds, so `npm publish` ships `dist/`.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import type { CliCommand } from "../CliCommand.ts"

/** The SDK and effect versions generated packages peer-depend on. Bump with the SDK's contract. */
const SDK_RANGE = "^0.1.0"
const EFFECT_VERSION = "4.1.0"
const TEMPLATE_SUFFIX = ".tmpl"
const TEMPLATES_DIR = fileURLToPath(new URL("../../templates/", import.meta.url))

/**
 * Why scaffolding failed.
 *
 * @since 0.1.0
 * @category errors
 */
export class ScaffoldError extends Schema.TaggedError<ScaffoldError>()("ScaffoldError", {
  reason: Schema.Literals(["InvalidKind", "InvalidName", "InvalidScope", "DirectoryExists", "TemplateMissing", "WriteFailed"]),
  message: Schema.String,
  subject: Schema.optional(Schema.String)
}) {}

/** @since 0.1.0 @category models */
export const PluginKind = Schema.Literals(["backbone", "head"])

/** @since 0.1.0 @category models */
export type PluginKind = typeof PluginKind.Type

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/
const SCOPE = /^@[a-z0-9][a-z0-9._-]*$/

/**
 * What to scaffold. `dir` defaults to `./<package name without scope>` under `cwd`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScaffoldOptions {
  readonly kind: string
  readonly name: string
  readonly scope?: string | undefined
  readonly dir?: string | undefined
  readonly cwd: string
}

/**
 * What was written.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScaffoldResult {
  readonly kind: PluginKind
  readonly packageName: string
  readonly directory: string
  readonly files: ReadonlyArray<string>
}

/** `my-vlm` → `MyVlm`. @since 0.1.0 @category utils */
export const pascalCase = (kebab: string): string =>
  kebab.split("-").map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join("")

/**
 * Checks the name and scope and derives the package name: `@scope/<kind>-<name>`, or `<kind>-<name>` without a
 * scope. The SDK's plugin loader requires exactly this shape (the registry key is the suffix after `<kind>-`).
 *
 * @since 0.1.0
 * @category validation
 */
export const planPackage = (
  options: Pick<ScaffoldOptions, "kind" | "name" | "scope">
): Effect.Effect<{ kind: PluginKind; name: string; Name: string; packageName: string }, ScaffoldError> =>
  Effect.gen(function*() {
    if (options.kind !== "backbone" && options.kind !== "head") {
      return yield* new ScaffoldError({
        reason: "InvalidKind",
        message: `unknown plugin kind '${options.kind}': expected 'backbone' or 'head'`,
        subject: "kind"
      })
    }
    const kind: PluginKind = options.kind
    const { name } = options
    if (!KEBAB.test(name)) {
      return yield* new ScaffoldError({
        reason: "InvalidName",
        message: `plugin name '${name}' must be kebab-case: lowercase letters and digits in words joined by '-', ` +
          `starting with a letter (e.g. 'my-vlm')`,
        subject: "name"
      })
    }
    if (name.startsWith("backbone-") || name.startsWith("head-")) {
      return yield* new ScaffoldError({
        reason: "InvalidName",
        message: `plugin name '${name}' should not repeat the kind: the package is named '${kind}-<name>' already`,
        subject: "name"
      })
    }
    const scope = options.scope === undefined ? undefined : options.scope.startsWith("@") ? options.scope : `@${options.scope}`
    if (scope !== undefined && !SCOPE.test(scope)) {
      return yield* new ScaffoldError({
        reason: "InvalidScope",
        message: `npm scope '${options.scope}' is invalid: expected '@' followed by lowercase letters, digits, '.', '_' or '-'`,
        subject: "scope"
      })
    }
    const packageName = scope === undefined ? `${kind}-${name}` : `${scope}/${kind}-${name}`
    return { kind, name, Name: pascalCase(name), packageName }
  })

const listTemplates = (root: string): Effect.Effect<ReadonlyArray<string>, ScaffoldError> =>
  Effect.tryPromise({
    try: async () => {
      const entries = await fs.readdir(root, { recursive: true, withFileTypes: true })
      return entries
        .filter((entry) => entry.isFile() && entry.name.endsWith(TEMPLATE_SUFFIX))
        .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
        .sort()
    },
    catch: (cause) =>
      new ScaffoldError({ reason: "TemplateMissing", message: `cannot read templates in ${root}: ${String(cause)}`, subject: root })
  })

/**
 * Writes the plugin package. Refuses to touch an existing path.
 *
 * @since 0.1.0
 * @category constructors
 */
export const scaffoldPlugin = (options: ScaffoldOptions): Effect.Effect<ScaffoldResult, ScaffoldError> =>
  Effect.gen(function*() {
    const plan = yield* planPackage(options)
    const unscoped = plan.packageName.replace(/^@[^/]+\//, "")
    const directory = path.resolve(options.cwd, options.dir ?? unscoped)
    const exists = yield* Effect.promise(() => fs.access(directory).then(() => true, () => false))
    if (exists) {
      return yield* new ScaffoldError({
        reason: "DirectoryExists",
        message: `${directory} already exists; choose another name or --dir`,
        subject: directory
      })
    }
    const root = path.join(TEMPLATES_DIR, plan.kind)
    const templates = yield* listTemplates(root)
    if (templates.length === 0) {
      return yield* new ScaffoldError({ reason: "TemplateMissing", message: `no templates in ${root}`, subject: root })
    }
    const substitute = (text: string) =>
      text
        .replaceAll("__PACKAGE__", plan.packageName)
        .replaceAll("__KIND__", plan.kind)
        .replaceAll("__Name__", plan.Name)
        .replaceAll("__name__", plan.name)
        .replaceAll("__SDK_RANGE__", SDK_RANGE)
        .replaceAll("__EFFECT_VERSION__", EFFECT_VERSION)
    const files = templates.map((template) => substitute(template.slice(0, -TEMPLATE_SUFFIX.length)))
    yield* Effect.tryPromise({
      try: async () => {
        for (const [i, template] of templates.entries()) {
          const target = path.join(directory, files[i]!)
          await fs.mkdir(path.dirname(target), { recursive: true })
          await fs.writeFile(target, substitute(await fs.readFile(path.join(root, template), "utf8")))
        }
      },
      catch: (cause) =>
        new ScaffoldError({ reason: "WriteFailed", message: `cannot write ${directory}: ${String(cause)}`, subject: directory })
    })
    return { kind: plan.kind, packageName: plan.packageName, directory, files }
  })

const HELP = `usage: robovla new <backbone|head> <name> [--dir <path>] [--scope <@scope>]

Scaffolds a robovla plugin package: a tiny working backbone or head that passes the SDK conformance suite, ready to be
replaced by your model.

arguments:
  backbone|head     the plugin kind
  <name>            kebab-case registry key, e.g. my-vlm

options:
  --dir <path>      target folder (default ./<package name without scope>); must not exist
  --scope <@scope>  npm scope: package @scope/<kind>-<name> (recommended; default: unscoped <kind>-<name>)
  -h, --help        show this help

example:
  robovla new backbone my-vlm --scope @acme   # writes ./backbone-my-vlm (@acme/backbone-my-vlm)`

/** @since 0.1.0 @category commands */
export const command: CliCommand = {
  name: "new",
  summary: "scaffold a backbone or head plugin package",
  run: async (args) => {
    let parsed: ReturnType<typeof parse>
    try {
      parsed = parse(args)
    } catch (error) {
      console.error(`robovla new: ${error instanceof Error ? error.message : String(error)}\n\n${HELP}`)
      return 2
    }
    if (parsed.values.help === true) {
      console.log(HELP)
      return 0
    }
    const [kind, name, ...extra] = parsed.positionals
    if (kind === undefined || name === undefined || extra.length > 0) {
      console.error(`robovla new: expected a kind and a name\n\n${HELP}`)
      return 2
    }
    const exit = await Effect.runPromiseExit(
      scaffoldPlugin({ kind, name, scope: parsed.values.scope, dir: parsed.values.dir, cwd: process.cwd() })
    )
    if (exit._tag === "Failure") {
      const failure = exit.cause.reasons.find((reason) => reason._tag === "Fail")
      const error = failure?._tag === "Fail" ? failure.error : undefined
      console.error(`robovla new: ${error?.message ?? String(exit.cause)}`)
      return error?.reason === "DirectoryExists" || error?.reason === "WriteFailed" || error?.reason === "TemplateMissing"
        ? 1
        : 2
    }
    const result = exit.value
    const relative = path.relative(process.cwd(), result.directory) || "."
    console.log(
      [
        `Created ${result.kind} plugin ${result.packageName} in ${relative}:`,
        ...result.files.map((file) => `  ${file}`),
        "",
        "Next:",
        `  cd ${relative} && npm install && npm test`,
        "  edit src/ to wrap your model; keep the conformance test green",
        "  npm publish --access public"
      ].join("\n")
    )
    return 0
  }
}

const parse = (args: ReadonlyArray<string>) =>
  parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      dir: { type: "string" },
      scope: { type: "string" },
      help: { type: "boolean", short: "h" }
    }
  })
