import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { DEFAULT_CONFIG_FILE, DEFAULT_POLICY_CHECKPOINT, resolveConfig } from "../src/Config.ts"
import { GatewayError } from "../src/GatewayError.ts"

const error = (f: () => unknown): GatewayError => {
  try {
    f()
  } catch (e) {
    if (e instanceof GatewayError) return e
    throw e
  }
  throw new Error("expected a GatewayError")
}

describe("Config", () => {
  it("fills defaults: loopback, port 8000, 2 ms batch window, max batch 32", () => {
    const config = resolveConfig({ deployments: [{ id: "m", kind: "mock" }] }, {})
    expect(config).toMatchObject({ host: "127.0.0.1", port: 8000, defaultDeployment: "m", apiKeys: [] })
    expect(config.deployments[0]).toMatchObject({ batchWindowMs: 2, maxBatch: 32, maxConcurrency: 1, preload: false })
    expect(config.deployments[0]!.observationKeys["observation/state"]).toBe("robot_obs")
  })

  it("refuses to bind beyond loopback without API keys, and takes keys from ROBOVLA_API_KEYS", () => {
    expect(error(() => resolveConfig({ host: "0.0.0.0", deployments: [] }, {})).reason).toBe("Unauthorized")
    const config = resolveConfig({ host: "0.0.0.0", deployments: [] }, { ROBOVLA_API_KEYS: "a-long-enough-key-0001, another-key-0000000002" })
    expect(config.apiKeys).toEqual(["a-long-enough-key-0001", "another-key-0000000002"])
  })

  it("names the bad field of a config", () => {
    expect(error(() => resolveConfig({ deployments: [{ id: "m", kind: "gpu" }] }, {})).field).toBe("deployments[0].kind")
    expect(error(() => resolveConfig({ deployments: [{ id: "m", kind: "module" }] }, {})).field).toBe("module")
    expect(error(() => resolveConfig({ deployments: [{ id: "m", kind: "mock" }], defaultDeployment: "x" }, {})).field).toBe("defaultDeployment")
    expect(error(() => resolveConfig({ deployments: [{ id: "m", kind: "mock" }, { id: "m", kind: "mock" }] }, {})).reason).toBe("Conflict")
    expect(error(() => resolveConfig({ apiKeys: ["short"], deployments: [] }, {})).field).toBe("apiKeys[0]")
    const retired = error(() => resolveConfig({ deployments: [{ id: "m", kind: "mock" }, { id: "e", kind: "expert", scene: "B" }] }, {}))
    expect(retired.field).toBe("deployments[1].kind")
    expect(retired.message).toContain(`"module": "@robovla/sim/expert-policy", "options": {"scene": "B"}`)
  })

  it("defaults to the repository's trained policy on 127.0.0.1:8000, with the scripted expert by name", () => {
    const config = resolveConfig(DEFAULT_CONFIG_FILE, {})
    expect(config.port).toBe(8000)
    expect(config.defaultDeployment).toBe("default-vla")
    expect(config.deployments.map((d) => d.id)).toEqual(["default-vla", "expert", "mock"])
    expect(config.deployments[0]!.spec).toMatchObject({ kind: "plugins", checkpoint: DEFAULT_POLICY_CHECKPOINT, preload: true })
    expect(fs.existsSync(path.join(DEFAULT_POLICY_CHECKPOINT, "model.safetensors"))).toBe(true)
    expect(config.deployments[1]!.spec).toMatchObject({ kind: "module", module: "@robovla/sim/expert-policy", options: { scene: "D" }, preload: true })
  })
})
