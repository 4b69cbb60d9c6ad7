/**
 * The dependency graph of issue 10 (scripts/check-deps.mjs): plugins depend on the kits only, the SDK on no
 * engine and names no plugin. Checked on this repository, and on a small fake one that breaks every rule.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const { checkDependencies, moduleCycles, packageCycles } = (await import(path.join(root, "scripts/check-deps.mjs"))) as {
  checkDependencies: (root: string) => Array<{ package: string; rule: string; detail: string }>
  moduleCycles: (root: string) => Array<Array<string>>
  packageCycles: (root: string) => Array<Array<string>>
}

const fake = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-deps-"))
afterAll(() => fs.rmSync(fake, { recursive: true, force: true }))
const write = (file: string, content: unknown) => {
  fs.mkdirSync(path.dirname(path.join(fake, file)), { recursive: true })
  fs.writeFileSync(path.join(fake, file), typeof content === "string" ? content : JSON.stringify(content))
}

describe("dependency graph (scripts/check-deps.mjs)", () => {
  it("holds in this repository", () => {
    expect(checkDependencies(root)).toEqual([])
  })

  it("catches a plugin depending on a plugin or an app, a tool other than the CLI depending on an app, and an SDK depending on an engine or naming a plugin", () => {
    write("package.json", { name: "fake", workspaces: ["packages/sdk", "packages/tfjs", "packages/heads/*", "packages/bench", "packages/cli", "apps/*"] })
    write("packages/sdk/package.json", { name: "@robovla/sdk", dependencies: { "@tensorflow/tfjs-core": "4.22.0" } })
    write("packages/sdk/src/Loader.ts", `// "@robovla/head-in-a-comment" is fine\nexport const DEFAULT = "@robovla/head-mlp"\nimport("onnxruntime-node")\n`)
    write("packages/tfjs/package.json", { name: "@robovla/tfjs", dependencies: { "@robovla/sdk": "*" } })
    write("packages/heads/mlp/package.json", { name: "@robovla/head-mlp", robovla: { kind: "head" }, dependencies: { "@robovla/sdk": "*", "@robovla/tfjs": "*" } })
    write("packages/heads/lstm/package.json", { name: "@robovla/head-lstm", robovla: { kind: "head" }, devDependencies: { "@robovla/gateway": "*" } })
    write("packages/heads/lstm/src/index.ts", `import { make } from "@robovla/head-mlp/shared"\nexport { make }\n`)
    write("packages/bench/package.json", { name: "@robovla/bench", dependencies: { "@robovla/gateway": "*" } })
    write("packages/cli/package.json", { name: "@robovla/cli", dependencies: { "@robovla/gateway": "*" } })
    write("apps/gateway/package.json", { name: "@robovla/gateway" })
    const found = checkDependencies(fake).map((v) => `${v.package}: ${v.detail}`)
    expect(found).toEqual(
      expect.arrayContaining([
        "@robovla/head-lstm: package.json devDependencies: @robovla/gateway (app)",
        "@robovla/head-lstm: packages/heads/lstm/src/index.ts: @robovla/head-mlp (plugin)",
        "@robovla/bench: package.json dependencies: @robovla/gateway (app)",
        "@robovla/sdk: package.json dependencies: @tensorflow/tfjs-core",
        "@robovla/sdk: packages/sdk/src/Loader.ts: onnxruntime-node",
        "@robovla/sdk: packages/sdk/src/Loader.ts: @robovla/head-mlp"
      ])
    )
    expect(found).toHaveLength(6)
  })

  it("finds no import cycle between the modules of any package, and finds one made on purpose", () => {
    expect(moduleCycles(root)).toEqual([])
    const cyclic = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-cycles-"))
    try {
      const put = (file: string, content: string) => {
        fs.mkdirSync(path.dirname(path.join(cyclic, file)), { recursive: true })
        fs.writeFileSync(path.join(cyclic, file), content)
      }
      put("package.json", JSON.stringify({ name: "fake", workspaces: ["packages/*"] }))
      put("packages/a/package.json", JSON.stringify({ name: "a" }))
      put("packages/a/src/Runner.ts", `import type { Setup } from "./Worker.ts"\nexport type Message = { readonly type: "stop" }\n`)
      put("packages/a/src/Worker.ts", `// import "./Leaf.ts" in a comment is no edge\nimport type { Message } from "./Runner.ts"\nexport type Setup = {}\n`)
      put("packages/a/src/Leaf.ts", `import { x } from "./Worker.ts"\n`)
      expect(moduleCycles(cyclic)).toEqual([["packages/a/src/Runner.ts", "packages/a/src/Worker.ts"]])
    } finally {
      fs.rmSync(cyclic, { recursive: true, force: true })
    }
  })

  it("finds no cycle between workspace packages, and finds one made on purpose (through a devDependency too)", () => {
    expect(packageCycles(root)).toEqual([])
    const cyclic = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-package-cycles-"))
    try {
      const put = (file: string, json: object) => {
        fs.mkdirSync(path.dirname(path.join(cyclic, file)), { recursive: true })
        fs.writeFileSync(path.join(cyclic, file), JSON.stringify(json))
      }
      put("package.json", { name: "fake", workspaces: ["packages/*"] })
      put("packages/a/package.json", { name: "a", dependencies: { b: "*" } })
      put("packages/b/package.json", { name: "b", devDependencies: { c: "*" } })
      put("packages/c/package.json", { name: "c", peerDependencies: { a: "*" } })
      put("packages/d/package.json", { name: "d", dependencies: { a: "*" } })
      expect(packageCycles(cyclic)).toEqual([["a", "b", "c"]])
    } finally {
      fs.rmSync(cyclic, { recursive: true, force: true })
    }
  })
})
