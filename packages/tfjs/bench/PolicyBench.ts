/**
 * The default tiny-vlm + LSTM policy: one training step (Adam over backbone, [LRN] and head) and `act()` latency at
 * batch 1 and 8, each on the stock and the fast kernels in one process.
 *
 * Policy: CALVIN's policy-head structure (history post, W 8, N 10, latent 1, static camera), tiny-vlm's default
 * config and RoboVLMs' LSTM head at its default (CALVIN) size, hidden 1024 × 4 layers. The plugins are imported
 * at run time by name: the kit must not depend on plugins (they depend on it), and the bench skips this part
 * with a message when they are not installed.
 *
 * Training step: the assembled sequence per frame is [image tokens, instruction tokens, [LRN]]; the backbone's
 * last hidden state at [LRN] feeds the head over windows of W frames; the head's own loss (arm Huber + gripper
 * BCE, RoboVLMs §6.1) against fixed random labels.
 */
import * as tf from "@tensorflow/tfjs-core"
import type { BackbonePlugin, HeadPlugin, ObservationFrame, VlaAssemblyConfig } from "@robovla/sdk"
import { headDimensionsFor, makeVlaPolicyModel, mulberry32 } from "@robovla/sdk"
import { Effect, Exit, Scope } from "effect"
import type { TfPolicyHead } from "../src/TfHead.ts"
import { summarise, time, type Timed } from "./Timing.ts"

const config: VlaAssemblyConfig = { historyType: "post", windowSize: 8, chunkSize: 10, latent: 1, useGripperCamera: false }

/** The pure-tensor side of tiny-vlm the training step needs (see `TinyVlmModel`). */
interface TinyVlmModelLike {
  readonly config: { readonly imageSize: number; readonly hiddenSize: number }
  encodeImages(pixels: tf.Tensor): tf.Tensor
  embedTokens(ids: tf.Tensor): tf.Tensor
  forward(inputsEmbeds: tf.Tensor, attentionMask: tf.Tensor): tf.Tensor
  trainableVariables(): Array<tf.Variable>
}

export interface PolicyPlugins {
  readonly backbone: BackbonePlugin<unknown>
  readonly head: HeadPlugin<unknown>
}

/** Imports tiny-vlm and the LSTM head, or says why not. */
export const importPolicyPlugins = async (): Promise<PolicyPlugins | string> => {
  const names = ["@robovla/backbone-tiny-vlm", "@robovla/head-lstm"]
  try {
    const [backbone, head] = await Promise.all(names.map((name) => import(name) as Promise<{ plugin: unknown }>))
    return { backbone: backbone!.plugin as BackbonePlugin<unknown>, head: head!.plugin as HeadPlugin<unknown> }
  } catch (cause) {
    return `${names.join(" + ")} not importable (${String(cause).split("\n")[0]})`
  }
}

export interface PolicyParts {
  readonly backbone: { readonly model: TinyVlmModelLike; readonly hiddenSize: number; readonly tokenizer: { encode: (s: string) => ReadonlyArray<number> } }
  readonly head: TfPolicyHead
  readonly scope: Scope.Closeable
}

export const makePolicyParts = async (plugins: PolicyPlugins): Promise<PolicyParts> => {
  const scope = await Effect.runPromise(Scope.make())
  const parts = await Effect.runPromise(
    Scope.provide(scope)(
      Effect.gen(function*() {
        const backbone = yield* plugins.backbone.make(plugins.backbone.defaultConfig)
        const head = yield* plugins.head.make(plugins.head.defaultConfig, headDimensionsFor(backbone, config))
        return { backbone, head }
      })
    )
  )
  return { backbone: parts.backbone as unknown as PolicyParts["backbone"], head: parts.head as unknown as TfPolicyHead, scope }
}

export const closeParts = (parts: PolicyParts) => Effect.runPromise(Scope.close(parts.scope, Exit.void))

/** One Adam step of the whole policy on a fixed batch of `windows` windows (W frames each). */
export const makeTrainingStep = (parts: PolicyParts, windows: number): { step: () => number; dispose: () => void; parameters: number } => {
  const { model } = parts.backbone
  const { head } = parts
  const W = config.windowSize
  const N = config.chunkSize
  const frames = windows * W
  const s = model.config.imageSize
  const d = model.config.hiddenSize
  const next = mulberry32(11)
  const fill = (n: number, f: () => number) => Float32Array.from({ length: n }, f)
  const pixels = tf.tensor4d(fill(frames * 3 * s * s, () => next() * 2 - 1), [frames, 3, s, s])
  const prompt = parts.backbone.tokenizer.encode("open the drawer")
  const ids = tf.tensor2d(Int32Array.from({ length: frames * prompt.length }, (_, i) => prompt[i % prompt.length]!), [frames, prompt.length], "int32")
  const lrn = tf.variable(tf.tensor3d(fill(d, () => (next() - 0.5) * 0.04), [1, 1, d]))
  const arm = tf.tensor4d(fill(windows * W * N * 6, () => next() * 2 - 1), [windows, W, N, 6])
  const gripper = tf.tensor3d(fill(windows * W * N, () => (next() < 0.5 ? 0 : 1)), [windows, W, N])
  const mask = tf.ones([windows, W, N]) as tf.Tensor3D
  const variables = [...model.trainableVariables(), lrn, ...head.variables()]
  const optimizer = tf.train.adam(1e-4)
  const loss = (): tf.Scalar => {
    const image = model.encodeImages(pixels)
    const text = model.embedTokens(ids)
    const sequence = tf.concat([image, text, tf.tile(lrn, [frames, 1, 1])], 1)
    const attention = tf.ones([frames, sequence.shape[1]!], "int32")
    const hidden = model.forward(sequence, attention)
    const last = tf.reshape(tf.slice(hidden, [0, sequence.shape[1]! - 1, 0], [frames, 1, d]), [windows, W, 1, d]) as tf.Tensor4D
    const output = head.predictTensors(last, { training: true })
    return head.loss(output, { arm, gripper }, mask).loss
  }
  return {
    parameters: variables.reduce((n, v) => n + v.size, 0),
    step: () => {
      const value = optimizer.minimize(loss, true, variables)!
      const out = value.dataSync()[0]!
      value.dispose()
      return out
    },
    dispose: () => {
      for (const t of [pixels, ids, lrn, arm, gripper, mask]) t.dispose()
      optimizer.dispose()
    }
  }
}

const observation = (seed: number): ObservationFrame => {
  const data = new Uint8Array(200 * 200 * 3)
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + seed * 31) % 256
  return { rgbStatic: { data, height: 200, width: 200 }, robotObs: new Array(15).fill(0), sceneObs: new Array(24).fill(0) }
}

/** `act()` latency of the assembled policy: batch 1 (`policy.act`) and batch 8 (`model.actBatch`). */
export const makeActLatency = async (parts: PolicyParts) => {
  const model = await Effect.runPromise(
    makeVlaPolicyModel({ backbone: parts.backbone as never, head: parts.head, config }).pipe(Scope.provide(parts.scope))
  )
  const frames = Array.from({ length: 16 }, (_, i) => observation(i))
  /** `expose` receives the one-call function (window already full), for profiling it outside `time`. */
  return async (batch: number, warmup: number, runs: number, expose?: (call: () => Promise<unknown>) => void): Promise<Timed> => {
    const policies = await Effect.runPromise(Effect.all(Array.from({ length: batch }, () => model.policy())))
    let i = 0
    const call = () => {
      i++
      return batch === 1
        ? Effect.runPromise(policies[0]!.act(frames[i % frames.length]!, "open the drawer"))
        : Effect.runPromise(model.actBatch(policies.map((policy, b) => ({ policy, observation: frames[(i + b) % frames.length]!, instruction: "open the drawer" }))))
    }
    // Fill the window first: the post-structure LSTM re-runs W steps once the history is full.
    for (let k = 0; k < config.windowSize; k++) await call()
    expose?.(call)
    return time(call, warmup, runs)
  }
}

export { summarise }
