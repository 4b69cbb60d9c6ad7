import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { loadPolicyModel, Safetensors } from "@robovla/sdk"
import { Effect, Exit, Scope } from "effect"
import { describe, expect, it } from "vitest"
import { makePolicy } from "../src/MakePolicy.ts"
import { runBenchmark } from "../src/Runner.ts"
import { suiteChains } from "../src/Suites.ts"

// Small enough for two cores: the tiny VLM with a 2-layer MLP head, one-step structure.
const headConfig = { hidden_size: 32, mlp_widths: [32, 16], seed: 1 }
const vla = { window_size: 1, fwd_pred_next_n: 3, act_head: { type: "mlp", history_type: "one_step", hidden_size: 32 } }

const observation = () => ({
  rgbStatic: { data: Uint8Array.from({ length: 200 * 200 * 3 }, (_, i) => (i * 7) % 251), height: 200, width: 200 },
  robotObs: new Array(15).fill(0.1),
  sceneObs: new Array(24).fill(0)
})

const scoped = async <A>(effect: Effect.Effect<A, unknown, Scope.Scope>) => {
  const scope = Scope.makeUnsafe()
  const exit = await Effect.runPromiseExit(Scope.provide(scope)(effect))
  return { exit, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

describe("loadPolicyModel: plugins by package name, configs, checkpoint folder", () => {
  it("assembles tiny-vlm + head-mlp and answers act() with denormalised N×7 chunks", async () => {
    const { exit, close } = await scoped(loadPolicyModel({ backbone: "@robovla/backbone-tiny-vlm", head: "@robovla/head-mlp", headConfig, vla }))
    expect(Exit.isSuccess(exit), String(exit)).toBe(true)
    if (!Exit.isSuccess(exit)) return
    const model = exit.value
    expect(model.metadata.chunkSize).toBe(3)
    const policy = await Effect.runPromise(model.policy())
    const chunk = await Effect.runPromise(policy.act(observation(), "open the drawer"))
    expect(chunk).toHaveLength(3)
    for (const row of chunk) {
      expect(row).toHaveLength(7)
      for (const v of row.slice(0, 6)) expect(Math.abs(v)).toBeLessThanOrEqual(0.65 + 1e-6)
      expect([-1, 1]).toContain(row[6])
    }
    await close()
  })

  it("loads a checkpoint folder (policy.json + trained [LRN]) and the token changes the actions", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-ckpt-"))
    fs.writeFileSync(path.join(dir, "policy.json"), JSON.stringify({ backbone: "@robovla/backbone-tiny-vlm", head: "@robovla/head-mlp", headConfig, vla }))
    const plain = await scoped(loadPolicyModel({ checkpoint: dir }))
    expect(Exit.isSuccess(plain.exit)).toBe(true)
    Safetensors.writeSafetensorsFileSync(path.join(dir, "action_token.safetensors"), { action_token: { data: new Float32Array(64).fill(0.5), shape: [64] } })
    const trained = await scoped(loadPolicyModel({ checkpoint: dir }))
    expect(Exit.isSuccess(trained.exit)).toBe(true)
    if (!Exit.isSuccess(plain.exit) || !Exit.isSuccess(trained.exit)) return
    expect(Array.from(trained.exit.value.actionToken.slice(0, 3))).toEqual([0.5, 0.5, 0.5])
    const act = async (m: typeof plain.exit.value) => Effect.runPromise(Effect.flatMap(m.policy(), (p) => p.act(observation(), "open the drawer")))
    expect(await act(trained.exit.value)).not.toEqual(await act(plain.exit.value))
    await plain.close()
    await trained.close()
  })

  it("fails with errors that name the package, field or file", async () => {
    const missing = await scoped(loadPolicyModel({ backbone: "@robovla/backbone-nope", head: "@robovla/head-mlp" }))
    expect(String(missing.exit)).toMatch(/PluginNotFound|backbone-nope/)
    const badVla = await scoped(loadPolicyModel({ backbone: "@robovla/backbone-tiny-vlm", head: "@robovla/head-mlp", vla: { window_size: -1 } }))
    expect(String(badVla.exit)).toMatch(/window_size/)
    const noHead = await scoped(loadPolicyModel({ backbone: "@robovla/backbone-tiny-vlm" }))
    expect(String(noHead.exit)).toMatch(/names no head/)
    const noCheckpoint = await scoped(loadPolicyModel({ checkpoint: "/nonexistent/ckpt" }))
    expect(String(noCheckpoint.exit)).toMatch(/policy\.json/)
  })
})

describe("the bench's in-process vla policy", () => {
  it("runs a chain on the simulator with a composed VLA (camera images rendered for it)", async () => {
    const made = await makePolicy({ kind: "vla", backbone: "@robovla/backbone-tiny-vlm", head: "@robovla/head-mlp", headConfig, vlaConfig: vla }, { scene: "D" })
    expect(made.model.metadata.inputs.rgbStatic).toBe(true)
    await made.close()
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-vla-"))
    const outcome = await runBenchmark({
      suite: "smoke", scene: "D", seed: 0, chains: suiteChains("smoke", { chains: 1 }),
      policy: { kind: "vla", backbone: "@robovla/backbone-tiny-vlm", head: "@robovla/head-mlp", headConfig, vlaConfig: vla },
      outDir: out, workers: 1, resume: false, videos: 0, maxSteps: 6, actionsPerQuery: 3, actTimeoutMs: 30_000, videoStride: 5, videoSize: 64
    })
    expect(outcome.results).toHaveLength(1)
    expect(outcome.results[0]!.subtasks[0]!.outcome).toBe("timeout") // an untrained policy acts, it just does not succeed
    expect(outcome.results[0]!.steps).toBe(6)
  })
})
