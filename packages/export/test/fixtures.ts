/**
 * Small policies for the export tests: tiny-vlm at test sizes with each head, and helpers to run Effects in a
 * Scope the test closes.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Exit, Scope } from "effect"

export const backboneConfig = {
  seed: 3,
  imageSize: 16,
  patchSize: 8,
  visionWidth: 16,
  visionLayers: 1,
  visionHeads: 2,
  hiddenSize: 32,
  textLayers: 2,
  textHeads: 2,
  mlpRatio: 2,
  maxPositions: 256,
  bpeMerges: 64,
  trainSetup: { freezeBackbone: false, trainVision: true, trainTextEmbedding: true, trainDecoderLayers: -1, loraEnable: false, loraR: 4, loraAlpha: 8, loraDropout: 0 }
}

export type HeadName = "mlp" | "lstm" | "gpt" | "discrete"

export const headConfigs: Record<HeadName, Record<string, unknown>> = {
  mlp: { hidden_size: 32, mlp_widths: [32], seed: 2 },
  lstm: { hidden_size: 32, mlp_widths: [32], num_layers: 2, seed: 2 },
  gpt: { hidden_size: 32, mlp_widths: [32], n_layer: 2, n_head: 4, seed: 2 },
  discrete: { bins: 32, seed: 2 }
}

/** A policy spec for `loadPolicyModel` / `exportPolicy`. */
export const tinySpec = (head: HeadName, historyType: "one_step" | "pre" | "post", window = 3, extra: Record<string, unknown> = {}) => ({
  backbone: "@robovla/backbone-tiny-vlm",
  head: `@robovla/head-${head}`,
  backboneConfig,
  headConfig: headConfigs[head],
  vla: {
    window_size: historyType === "one_step" ? 1 : window,
    fwd_pred_next_n: 2,
    act_head: { type: head, history_type: historyType, action_space: head === "discrete" ? "discrete" : "continuous" },
    ...extra
  }
})

export const tmpDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), `robovla-${prefix}-`))

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url))
export const paligemmaDir = path.resolve(repoRoot, "../shared/fixtures/tiny-paligemma-onnx")
export const hasPaligemma = fs.existsSync(path.join(paligemmaDir, "config.json"))

/** Runs a scoped Effect; the caller closes the scope when done with what it made. */
export const scoped = async <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) => {
  const scope = Scope.makeUnsafe()
  const exit = await Effect.runPromiseExit(Scope.provide(scope)(effect))
  return { exit, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

/** The value of a successful scoped run (fails the test with the cause otherwise). */
export const scopedValue = async <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) => {
  const { exit, close } = await scoped(effect)
  if (Exit.isFailure(exit)) {
    await close()
    throw new Error(`expected success: ${String(exit.cause)}`)
  }
  return { value: exit.value, close }
}

/** The typed error of a scoped run that must fail. */
export const scopedError = async <A, E>(effect: Effect.Effect<A, E, Scope.Scope>): Promise<E> => {
  const { exit, close } = await scoped(Effect.flip(effect))
  await close()
  if (Exit.isFailure(exit)) throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return exit.value
}
