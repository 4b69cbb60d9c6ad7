#!/usr/bin/env node
/**
 * The dependency graph robovla promises (issue 10), checked from package.json files and import statements:
 *
 * - a plugin (packages/backbones/*, packages/heads/*) depends, among the workspace packages, only on the kits
 *   (@robovla/sdk, @robovla/tfjs): never on another plugin, an app, or a tool package (sim, bench, train, …);
 * - the SDK depends on no compute engine (tfjs, onnxruntime, …) and no other workspace package, imports none,
 *   and names no plugin package in its code (comments aside): plugins are found by their manifests;
 * - the tfjs kit depends on no plugin and no app;
 * - apps (apps/*) are leaves: no package but the CLI depends on one (issue 14);
 * - no two modules of a package's `src` import each other, directly or around a loop (`moduleCycles`);
 * - no two workspace packages depend on each other, directly or around a loop (`packageCycles`).
 *
 * Both the declared dependencies (every dependency field) and what the sources import (src, test, bench) are
 * checked, since hoisting lets an undeclared import work. Usage: `node scripts/check-deps.mjs [root]`; prints
 * each violation and exits 1 if any. `checkDependencies(root)` returns them (the test in packages/compose).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const KITS = new Set(["@robovla/sdk", "@robovla/tfjs"])
/** The one package that may depend on an app (it runs the gateway for `robovla serve`). */
const APP_USERS = new Set(["@robovla/cli"])
const ENGINE = /^(@tensorflow\/|onnxruntime|koffi$|@jax-js\/|@xenova\/|@huggingface\/transformers$)/
const PLUGIN_NAME = /^(?:@[a-z0-9][\w.-]*\/)?(?:backbone|head)-[a-z0-9][a-z0-9-]*$/
const DEP_FIELDS = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"]
const SOURCE_DIRS = ["src", "test", "bench"]

const readJson = (file) => JSON.parse(fs.readFileSync(file, "utf8"))

/** Workspace folders from the root package.json (plain paths and `dir/*` globs). */
const workspaceDirs = (root) =>
  readJson(path.join(root, "package.json")).workspaces.flatMap((pattern) => {
    if (!pattern.endsWith("/*")) return [path.join(root, pattern)]
    const parent = path.join(root, pattern.slice(0, -2))
    return fs.existsSync(parent) ? fs.readdirSync(parent).sort().map((name) => path.join(parent, name)) : []
  }).filter((dir) => fs.existsSync(path.join(dir, "package.json")))

const roleOf = (root, dir, json) => {
  const rel = path.relative(root, dir).split(path.sep).join("/")
  if (rel.startsWith("packages/backbones/") || rel.startsWith("packages/heads/") || json.robovla?.kind !== undefined) return "plugin"
  if (rel.startsWith("apps/")) return "app"
  if (json.name === "@robovla/sdk") return "sdk"
  if (json.name === "@robovla/tfjs") return "kit"
  return "tool"
}

const sourceFiles = (dir) => {
  const out = []
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue
      const full = path.join(d, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (/\.(m|c)?[jt]sx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(full)
    }
  }
  for (const sub of SOURCE_DIRS) if (fs.existsSync(path.join(dir, sub))) walk(path.join(dir, sub))
  return out
}

/** Removes comments, keeping strings (a rough scanner: enough for import specifiers and string constants). */
const stripComments = (text) => text.replace(/("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (m, str) => str ?? "")

/** Package names a source imports: static imports, re-exports, `import("x")`, `require("x")`. */
const importedPackages = (code) => {
  const names = new Set()
  const specifiers = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"'./][^"']*)["']/gm
  for (const match of code.matchAll(specifiers)) {
    const spec = match[1]
    if (spec.startsWith("node:")) continue
    const parts = spec.split("/")
    names.add(spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0])
  }
  return names
}

/**
 * Every violation of the graph, as `{ package, rule, detail }`.
 *
 * @param {string} root the repository root
 */
export const checkDependencies = (root) => {
  const packages = workspaceDirs(root).map((dir) => {
    const json = readJson(path.join(dir, "package.json"))
    return { dir, json, name: json.name, role: roleOf(root, dir, json) }
  })
  const byName = new Map(packages.map((p) => [p.name, p]))
  const violations = []
  const add = (pkg, rule, detail) => violations.push({ package: pkg.name, rule, detail })

  for (const pkg of packages) {
    const declared = DEP_FIELDS.flatMap((field) => Object.keys(pkg.json[field] ?? {}).map((dep) => ({ dep, where: `package.json ${field}` })))
    const imported = sourceFiles(pkg.dir).flatMap((file) => {
      const code = stripComments(fs.readFileSync(file, "utf8"))
      return [...importedPackages(code)].map((dep) => ({ dep, where: path.relative(root, file), code }))
    })
    for (const { dep, where } of [...declared, ...imported]) {
      if (dep === pkg.name) continue
      const target = byName.get(dep)
      if (pkg.role === "plugin" && target !== undefined && !KITS.has(dep)) {
        add(pkg, `a plugin depends only on the kits (${[...KITS].join(", ")})`, `${where}: ${dep} (${target.role})`)
      }
      if (pkg.role === "kit" && target !== undefined && (target.role === "plugin" || target.role === "app")) {
        add(pkg, "the tfjs kit depends on no plugin or app", `${where}: ${dep} (${target.role})`)
      }
      if (pkg.role === "tool" && target?.role === "app" && !APP_USERS.has(pkg.name)) {
        add(pkg, `apps are leaves: only ${[...APP_USERS].join(", ")} depends on one`, `${where}: ${dep} (app)`)
      }
      if (pkg.role === "sdk" && ENGINE.test(dep)) add(pkg, "the SDK depends on no compute engine", `${where}: ${dep}`)
      if (pkg.role === "sdk" && target !== undefined) add(pkg, "the SDK depends on no other workspace package", `${where}: ${dep} (${target.role})`)
    }
    if (pkg.role === "sdk") {
      for (const file of sourceFiles(path.join(pkg.dir)).filter((f) => f.includes(`${path.sep}src${path.sep}`))) {
        const code = stripComments(fs.readFileSync(file, "utf8"))
        for (const match of code.matchAll(/["'`](@[a-z0-9][\w.-]*\/[a-z0-9-]+)["'`]/g)) {
          if (PLUGIN_NAME.test(match[1])) add(pkg, "the SDK names no plugin package (plugins are found by manifest)", `${path.relative(root, file)}: ${match[1]}`)
        }
      }
    }
  }
  return violations
}

/** Relative imports of a module (static, type-only, re-exports and `import("./x")` alike), resolved to files. */
const relativeImports = (file, code) => {
  const out = []
  const specifiers = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']*)["']/gm
  for (const match of code.matchAll(specifiers)) {
    const target = path.resolve(path.dirname(file), match[1])
    const candidates = [target, target.replace(/\.js$/, ".ts"), `${target}.ts`, path.join(target, "index.ts")]
    const found = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile())
    if (found !== undefined) out.push(found)
  }
  return out
}

/**
 * Import cycles between the modules of each workspace package's `src` (a cycle lets a module run before what it
 * imports is initialised, and marks two modules that belong together or a type that belongs elsewhere). Returns
 * each cycle as its files, relative to the root (Tarjan's strongly connected components of the import graph).
 *
 * @param {string} root the repository root
 */
export const moduleCycles = (root) =>
  workspaceDirs(root).flatMap((dir) => {
    const src = path.join(dir, "src")
    if (!fs.existsSync(src)) return []
    const files = sourceFiles(dir).filter((f) => f.startsWith(src + path.sep))
    const edges = new Map(files.map((f) => [f, relativeImports(f, stripComments(fs.readFileSync(f, "utf8")))]))
    return stronglyConnected(files, edges).map((component) => component.map((f) => path.relative(root, f).split(path.sep).join("/")).sort())
  })

/**
 * Cycles between workspace packages, through any dependency field (a devDependency cycle still makes turbo's
 * build and test order ambiguous). Returns each cycle as its package names, sorted.
 *
 * @param {string} root the repository root
 */
export const packageCycles = (root) => {
  const packages = workspaceDirs(root).map((dir) => readJson(path.join(dir, "package.json")))
  const names = packages.map((json) => json.name)
  const edges = new Map(packages.map((json) => [json.name, DEP_FIELDS.flatMap((field) => Object.keys(json[field] ?? {})).filter((dep) => dep !== json.name && names.includes(dep))]))
  return stronglyConnected(names, edges).map((component) => component.sort())
}

/** The strongly connected components of a directed graph that are cycles (Tarjan), each as its nodes. */
const stronglyConnected = (nodes, edges) => {
  const cycles = []
  const index = new Map()
  const low = new Map()
  const stack = []
  let counter = 0
  const visit = (node) => {
    index.set(node, counter)
    low.set(node, counter++)
    stack.push(node)
    for (const next of edges.get(node) ?? []) {
      if (!edges.has(next)) continue
      if (!index.has(next)) {
        visit(next)
        low.set(node, Math.min(low.get(node), low.get(next)))
      } else if (stack.includes(next)) low.set(node, Math.min(low.get(node), index.get(next)))
    }
    if (low.get(node) !== index.get(node)) return
    const component = stack.splice(stack.indexOf(node))
    if (component.length > 1 || (edges.get(node) ?? []).includes(node)) cycles.push(component)
  }
  for (const node of nodes) if (!index.has(node)) visit(node)
  return cycles
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), ".."))
  const violations = checkDependencies(root)
  for (const v of violations) console.error(`${v.package}: ${v.rule}: ${v.detail}`)
  console.log(violations.length === 0 ? "dependency graph: ok" : `dependency graph: ${violations.length} violation(s)`)
  const cycles = moduleCycles(root)
  for (const cycle of cycles) console.error(`import cycle: ${cycle.join(" <-> ")}`)
  console.log(cycles.length === 0 ? "module imports: no cycle" : `module imports: ${cycles.length} cycle(s)`)
  const packageLoops = packageCycles(root)
  for (const cycle of packageLoops) console.error(`package cycle: ${cycle.join(" <-> ")}`)
  console.log(packageLoops.length === 0 ? "package dependencies: no cycle" : `package dependencies: ${packageLoops.length} cycle(s)`)
  process.exit(violations.length === 0 && cycles.length === 0 && packageLoops.length === 0 ? 0 : 1)
}
