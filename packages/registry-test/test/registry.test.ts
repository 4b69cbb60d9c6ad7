/**
 * The packages as a newcomer gets them: every public workspace package is built and published to a throwaway
 * local registry (./LocalRegistry.ts); then, in a clean folder outside the repository, a backbone and a head are
 * installed by name, loaded with plain `node` through the SDK's plugin loader, assembled into a policy that acts,
 * and put through the SDK's conformance suite; and `robovla new backbone` / `robovla new head` scaffold plugins
 * whose printed next steps (`npm install && npm test`) pass against that registry, and which, packed (their
 * `prepack` builds dist/) and installed from the tarballs, plain `node` assembles into a policy that acts.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { stripVTControlCharacters } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type LocalRegistry, startLocalRegistry, verdaccioBin } from "./LocalRegistry.ts"

const here = path.dirname(fileURLToPath(import.meta.url))
const repoRoot = path.resolve(here, "../../..")
const BACKBONE = "@robovla/backbone-tiny-vlm"
const HEAD = "@robovla/head-mlp"
const STEP_TIMEOUT = 600_000

interface WorkspacePackage {
  readonly name: string
  readonly version: string
  readonly directory: string
}

/** The workspace packages that are not private, from the root package.json's `workspaces` globs. */
const publicPackages = (): Array<WorkspacePackage> => {
  const root = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { workspaces: Array<string> }
  const directories = root.workspaces.flatMap((pattern) =>
    pattern.endsWith("/*")
      ? fs.readdirSync(path.join(repoRoot, pattern.slice(0, -2)), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => path.join(pattern.slice(0, -2), entry.name))
      : [pattern]
  )
  return directories.flatMap((directory) => {
    const file = path.join(repoRoot, directory, "package.json")
    if (!fs.existsSync(file)) return []
    const json = JSON.parse(fs.readFileSync(file, "utf8")) as { name: string; version: string; private?: boolean }
    return json.private === true ? [] : [{ name: json.name, version: json.version, directory }]
  })
}

/** The number of passed tests a vitest run reports, and whether it reports failures. */
const vitestSummary = (output: string) => {
  const plain = stripVTControlCharacters(output)
  return { passed: Number(/Tests\s+(?:\d+ skipped \| )?(\d+) passed/.exec(plain)?.[1] ?? 0), failed: /\d+ failed/.test(plain) }
}

interface Ran {
  readonly stdout: string
  readonly output: string
}

/**
 * Runs a command and resolves with its output, or rejects with the output when it fails. The children get the
 * environment of a user's shell: no source condition (installed packages must work from their builds), none of
 * the npm or vitest variables of the run that started this test, and the registry's npm config.
 */
const run = (command: string, args: ReadonlyArray<string>, cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let output = ""
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      output += chunk.toString()
    })
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.on("error", reject)
    child.on("close", (code) =>
      code === 0
        ? resolve({ stdout, output })
        : reject(new Error(`${command} ${args.join(" ")} (in ${cwd}) exited ${code}:\n${output.slice(-6000)}`)))
  })

const userEnvironment = (npmrc: string): NodeJS.ProcessEnv => {
  const kept = Object.entries(process.env).filter(([key]) =>
    !key.startsWith("npm_") && !key.startsWith("VITEST") && !key.startsWith("TURBO_") &&
    !["NODE_OPTIONS", "NODE_ENV", "TEST", "INIT_CWD"].includes(key)
  )
  return { ...Object.fromEntries(kept), npm_config_userconfig: npmrc }
}

/** Runs `task` on every item, two at a time (each is a short node process; the machines have 2 cores). */
const twoAtATime = async <A, B>(items: ReadonlyArray<A>, task: (item: A) => Promise<B>): Promise<Array<B>> => {
  const results: Array<B> = []
  const queue = [...items]
  await Promise.all([0, 1].map(async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) results.push(await task(next))
  }))
  return results
}

const timings: Array<string> = []
const timed = async <A>(label: string, body: () => Promise<A>): Promise<A> => {
  const start = performance.now()
  const result = await body()
  timings.push(`${label} ${((performance.now() - start) / 1000).toFixed(1)} s`)
  return result
}

const bin = verdaccioBin()
if (bin === undefined) console.warn("[registry-test] skipped: the verdaccio package is not installed (npm install at the repository root)")

describe.skipIf(bin === undefined)("the public packages, published to a local registry and used from a clean folder", () => {
  let work: string
  let registry: LocalRegistry
  let env: NodeJS.ProcessEnv
  let consumer: string
  let tarballs: Array<{ readonly name: string; readonly file: string }> = []
  const packages = publicPackages()
  const versionOf = (name: string) => packages.find((p) => p.name === name)!.version

  beforeAll(async () => {
    // os.tmpdir() is outside the repository, so nothing there can resolve a workspace package by accident.
    work = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-registry-"))
    fs.mkdirSync(path.join(work, "registry"))
    registry = await startLocalRegistry(bin!, path.join(work, "registry"))
    env = userEnvironment(registry.npmrc)
  }, 60_000)

  afterAll(async () => {
    await registry?.stop()
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true })
    console.log(`[registry-test] ${timings.join(", ")}`)
  })

  it("builds and packs every public package", async () => {
    expect(packages.map((p) => p.name)).toEqual(expect.arrayContaining(["@robovla/sdk", "@robovla/cli", BACKBONE, HEAD]))
    const turbo = path.join(repoRoot, "node_modules", "turbo", "bin", "turbo")
    const filters = packages.flatMap((p) => ["--filter", p.name])
    await timed("build", () => run(process.execPath, [turbo, "run", "build", "--concurrency=2", "--output-logs=errors-only", ...filters], repoRoot, env))
    const packs = path.join(work, "packs")
    fs.mkdirSync(packs)
    const workspaces = packages.flatMap((p) => ["--workspace", p.directory])
    const { stdout } = await timed("pack", () => run("npm", ["pack", "--json", "--pack-destination", packs, ...workspaces], repoRoot, env))
    tarballs = (JSON.parse(stdout) as Array<{ name: string; filename: string }>).map((pack) => ({ name: pack.name, file: path.join(packs, pack.filename) }))
    expect(tarballs.map((t) => t.name).sort()).toEqual(packages.map((p) => p.name).sort())
  }, STEP_TIMEOUT)

  it("each tarball passes publint (strict) and are-the-types-wrong (ESM-only profile)", async () => {
    const publint = path.join(repoRoot, "node_modules", "publint", "src", "cli.js")
    const attw = path.join(repoRoot, "node_modules", "@arethetypeswrong", "cli", "dist", "index.js")
    const lint = async (tarball: { readonly name: string; readonly file: string }) => {
      const verdicts: Array<string> = []
      for (const [tool, args] of [["publint", [publint, "run", tarball.file, "--strict"]], ["attw", [attw, tarball.file, "--profile", "esm-only", "--format", "ascii", "--no-color"]]] as const) {
        await run(process.execPath, args, work, env).then(
          () => verdicts.push(`${tool} pass`),
          (error: Error) => verdicts.push(`${tool} FAIL\n${error.message}`)
        )
      }
      return `${tarball.name}: ${verdicts.join(", ")}`
    }
    const results = await timed("publint + attw", () => twoAtATime(tarballs, lint))
    console.log(`[registry-test] ${results.map((line) => line.split("\n")[0]).join("; ")}`)
    expect(results.filter((line) => line.includes("FAIL"))).toEqual([])
  }, STEP_TIMEOUT)

  it("publishes every tarball to the local registry", async () => {
    await timed("publish", async () => {
      await twoAtATime(tarballs, (tarball) => run("npm", ["publish", tarball.file], work, env))
    })
    for (const p of packages) {
      const response = await fetch(`${registry.url}/${p.name.replace("/", "%2f")}`)
      expect(response.status, `${p.name} on the local registry`).toBe(200)
      const packument = (await response.json()) as { versions: Record<string, unknown> }
      expect(Object.keys(packument.versions)).toContain(p.version)
    }
  }, STEP_TIMEOUT)

  it("installs a backbone and a head by name; plain node loads them through the SDK's loader and the policy acts", async () => {
    consumer = path.join(work, "consumer")
    fs.mkdirSync(consumer)
    for (const file of ["policy.mjs", "conformance.test.mjs", "worker.mjs", "echo-worker.js"]) fs.copyFileSync(path.join(here, "..", "consumer", file), path.join(consumer, file))
    fs.writeFileSync(
      path.join(consumer, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module", scripts: { test: "vitest run" } }, null, 2)
    )
    const vitestVersion = (JSON.parse(fs.readFileSync(path.join(repoRoot, "node_modules", "vitest", "package.json"), "utf8")) as { version: string }).version
    await timed("install plugins", () =>
      run("npm", ["install", `${BACKBONE}@${versionOf(BACKBONE)}`, `${HEAD}@${versionOf(HEAD)}`, `@robovla/sdk@${versionOf("@robovla/sdk")}`, "effect@4.1.0", `vitest@${vitestVersion}`], consumer, env))
    const { stdout } = await timed("policy", () => run(process.execPath, ["policy.mjs", BACKBONE, HEAD], consumer, env))
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as { metadata: { chunkSize: number }; chunk: Array<Array<number>> }
    expect(result.chunk).toHaveLength(result.metadata.chunkSize)
    for (const action of result.chunk) {
      expect(action).toHaveLength(7)
      expect(action.every(Number.isFinite)).toBe(true)
    }
  }, STEP_TIMEOUT)

  it("a worker thread boots from a built .js entry with plain node and no tsx installed", async () => {
    const { stdout } = await timed("worker", () => run(process.execPath, ["worker.mjs"], consumer, env))
    expect(JSON.parse(stdout.trim().split("\n").at(-1)!)).toEqual({ answer: 42, tsxInstalled: false })
  }, STEP_TIMEOUT)

  it("the installed plugins pass the SDK's conformance suite", async () => {
    const { output } = await timed("conformance", () =>
      run("npm", ["test", "--", "--reporter=dot"], consumer, { ...env, ROBOVLA_PLUGINS: `${BACKBONE},${HEAD}` }))
    const summary = vitestSummary(output)
    expect(summary.passed, output).toBeGreaterThan(0)
    expect(summary.failed, output).toBe(false)
  }, STEP_TIMEOUT)

  it("`robovla new backbone x` and `robovla new head y` scaffold plugins whose printed next steps pass", async () => {
    // The repository's CLI build under plain node: the scaffold is what a user of the published CLI gets.
    const cli = path.join(repoRoot, "packages", "cli", "dist", "main.js")
    const steps = await Promise.all(
      [["backbone", "x"], ["head", "y"]].map(async ([kind, name]) => {
        const { stdout } = await run(process.execPath, [cli, "new", kind!, name!], consumer, env)
        const next = stdout.split("\n").map((line) => line.trim()).find((line) => line.startsWith("cd ") && line.includes("npm install"))
        expect(next, `next steps printed by robovla new ${kind} ${name}:\n${stdout}`).toBe(`cd ${kind}-${name} && npm install && npm test`)
        return next!
      })
    )
    const outputs = await timed("scaffolds install + test", () => Promise.all(steps.map((step) => run("sh", ["-c", step], consumer, env))))
    for (const { output } of outputs) {
      const summary = vitestSummary(output)
      expect(summary.passed, output).toBeGreaterThan(0)
      expect(summary.failed, output).toBe(false)
    }
  }, STEP_TIMEOUT)

  it("the scaffolded plugins pack with their build (prepack); installed from the tarballs, plain node assembles a policy from them", async () => {
    const tarballsOf = (dir: string) => fs.readdirSync(dir).filter((file) => file.endsWith(".tgz")).map((file) => path.join(dir, file))
    const scaffolds = ["backbone-x", "head-y"].map((dir) => path.join(consumer, dir))
    // `npm pack` runs `prepack` (`npm run build`: tsc against the SDK's published .d.ts) in each scaffold. The
    // registry's npmrc turns scripts off for the installs of third-party packages; a user's npm runs prepack.
    await timed("scaffolds pack", () => Promise.all(scaffolds.map((dir) => run("npm", ["pack", "--ignore-scripts=false"], dir, env))))
    const packed = scaffolds.flatMap(tarballsOf)
    expect(packed).toHaveLength(2)
    for (const file of packed) {
      const { stdout } = await run("tar", ["-tzf", file], consumer, env)
      expect(stdout.split("\n"), file).toEqual(expect.arrayContaining(["package/dist/index.js", "package/dist/index.d.ts", "package/src/index.ts"]))
    }
    await timed("scaffolds install", () => run("npm", ["install", ...packed], consumer, env))
    // The loader reads each package's exports without a source condition: dist/index.js, which plain node loads.
    const { stdout } = await timed("scaffolds policy", () => run(process.execPath, ["policy.mjs", "backbone-x", "head-y"], consumer, env))
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as { metadata: { chunkSize: number; details: { backbone: string; head: string } }; chunk: Array<Array<number>> }
    expect(result.metadata.details).toMatchObject({ backbone: "x", head: "y" })
    expect(result.chunk).toHaveLength(result.metadata.chunkSize)
    for (const action of result.chunk) {
      expect(action).toHaveLength(7)
      expect(action.every(Number.isFinite)).toBe(true)
    }
  }, STEP_TIMEOUT)
})
