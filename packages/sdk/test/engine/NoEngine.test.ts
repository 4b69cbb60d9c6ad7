import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const probe = fileURLToPath(new URL("./loadedModules.mjs", import.meta.url))
const entry = fileURLToPath(new URL("../../src/index.ts", import.meta.url))

/** Imports `module` in a fresh plain-Node process and lists every module it loaded. */
const loadedBy = (module: string): { exports: Array<string>; resolved: Array<string>; cjs: Array<string> } => {
  const out = execFileSync(process.execPath, ["--import", "tsx", probe, module], { encoding: "utf8" })
  return JSON.parse(out.trim().split("\n").at(-1)!)
}

const ENGINE = /@tensorflow[\\/]|onnxruntime|tfjs-backend|@jax-js|koffi/

describe("the SDK loads no compute engine", () => {
  it("importing the entry (SdkError and all) loads no tfjs, onnxruntime or other engine module", () => {
    const { cjs, exports, resolved } = loadedBy(entry)
    expect(exports).toContain("SdkError")
    // The probe really sees the SDK's own modules and its dependencies...
    expect(resolved.some((url) => url.endsWith("/src/SdkError.ts"))).toBe(true)
    expect(resolved.some((url) => url.includes("/node_modules/effect/"))).toBe(true)
    // ...and no engine among them.
    expect([...resolved, ...cjs].filter((url) => ENGINE.test(url))).toEqual([])
  })
})
