import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { loadPolicyModel, PluginLoader, Safetensors } from "@robovla/sdk"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { collect } from "../../src/collect/Collector.ts"
import { TrainError } from "../../src/TrainError.ts"
import { latestCheckpoint, readCheckpoint } from "../../src/trainer/Checkpoint.ts"
import { learningRateAt } from "../../src/trainer/Optimizer.ts"
import { intendedClip, train, type TrainOptions } from "../../src/trainer/Trainer.ts"

// A tiny split collected for real (scene A, 3 episodes × 2 short tasks; scene D for validation), and tiny models:
// tiny-vlm's default (32 px, D 64) and heads of width 32.
let root: string
let data: string
const repo = path.resolve(__dirname, "../../../..")

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-train-"))
  data = path.join(root, "data")
  await collect({
    out: data,
    scenes: ["A"],
    episodes: 3,
    valScene: "D",
    valEpisodes: 1,
    tasksPerEpisode: 2,
    tasks: ["open_drawer", "close_drawer", "turn_on_led", "turn_off_led", "move_slider_left", "move_slider_right"],
    workers: 1,
    seed: 5,
    cameras: true
  })
}, 180_000)
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

const options = (name: string, head: string, history: "post" | "pre" | "one_step", extra: Partial<TrainOptions> = {}, vla: Record<string, unknown> = {}): TrainOptions => ({
  data,
  out: path.join(root, "runs", name),
  backbone: "@robovla/backbone-tiny-vlm",
  head: `@robovla/head-${head}`,
  headConfig: head === "discrete" ? {} : { mlp_widths: [64, 32] },
  vla: {
    window_size: history === "one_step" ? 1 : 3,
    fwd_pred_next_n: 3,
    act_head: { type: head, hidden_size: 32, num_layers: 1, history_type: history },
    learning_rate: 1e-3,
    warmup_steps: 2,
    warmup_epochs: 0,
    ...vla
  },
  batchSize: 4,
  maxSteps: 24,
  valEvery: 24,
  valBatches: 3,
  from: repo,
  ...extra
})

describe("train: tiny-vlm + each head, each structure, on a collected split", () => {
  const cases = [
    ["lstm", "post"],
    ["gpt", "post"],
    ["mlp", "one_step"],
    ["mlp", "pre"],
    ["discrete", "one_step"]
  ] as const
  for (const [head, history] of cases) {
    it(`${head} (${history}): the validation loss falls`, async () => {
      const summary = await train(options(`${head}-${history}`, head, history))
      expect(summary.steps).toBe(24)
      expect(summary.firstVal!.loss).toBeGreaterThan(0)
      expect(summary.lastVal!.loss).toBeLessThan(summary.firstVal!.loss)
      const out = path.join(root, "runs", `${head}-${history}`)
      const log = fs.readFileSync(path.join(out, "log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l))
      expect(log.filter((e) => e.type === "train").length).toBe(24)
      expect(log.filter((e) => e.type === "val").map((e) => e.step)).toEqual([0, 24])
      expect(fs.readFileSync(path.join(out, "loss.html"), "utf8")).toContain("<svg")
      expect(fs.readFileSync(path.join(out, "loss.png")).subarray(1, 4).toString()).toBe("PNG")
    }, 120_000)
  }

  it("the checkpoint loads with loadPolicyModel alone and acts", async () => {
    // runs/<name>/policy is the published copy of the last checkpoint.
    const dir = path.join(root, "runs", "lstm-post", "policy")
    expect(fs.readFileSync(path.join(dir, "model.safetensors"))).toEqual(fs.readFileSync(path.join(latestCheckpoint(path.join(root, "runs", "lstm-post", "checkpoints"))!, "model.safetensors")))
    const chunk = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const model = yield* loadPolicyModel({ checkpoint: dir, from: repo })
      expect(model.metadata.windowSize).toBe(3)
      const policy = yield* model.policy()
      const image = (s: number) => ({ data: new Uint8Array(s * s * 3).fill(90), height: s, width: s })
      return yield* policy.act({ rgbStatic: image(200), rgbGripper: image(84) } as never, "open the drawer")
    })))
    expect(chunk.length).toBe(3)
    for (const action of chunk) {
      expect(action.length).toBe(7)
      expect([-1, 1]).toContain(action[6])
    }
  }, 60_000)
})

describe("checkpoints", () => {
  it("policy-best/ holds the checkpoint with the lowest validation loss after step 0", async () => {
    const summary = await train(options("best", "lstm", "post", { maxSteps: 9, valEvery: 3, checkpointEvery: 0 }))
    const out = path.join(root, "runs", "best")
    const vals = fs.readFileSync(path.join(out, "log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.type === "val" && e.step > 0)
    expect(vals.map((v) => v.step)).toEqual([3, 6, 9])
    const lowest = vals.reduce((a, b) => (b.loss < a.loss ? b : a))
    expect(summary.best).toEqual({ step: lowest.step, loss: lowest.loss })
    const best = path.join(out, "policy-best")
    expect(JSON.parse(fs.readFileSync(path.join(best, "config.json"), "utf8")).training.step).toBe(lowest.step)
    const atStep = path.join(out, "checkpoints", `step-${String(lowest.step).padStart(8, "0")}`, "model.safetensors")
    expect(fs.readFileSync(path.join(best, "model.safetensors"))).toEqual(fs.readFileSync(atStep))
  }, 120_000)

  it("a run SIGKILLed and resumed ends with the same weights as an uninterrupted one (bit-exact)", async () => {
    const base = options("full", "lstm", "post", { maxSteps: 12, valEvery: 0, checkpointEvery: 4, validateAtStart: false })
    const full = await train(base)
    const killed = { ...base, out: path.join(root, "runs", "killed") }
    const checkpoints = path.join(killed.out, "checkpoints")
    const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "train-child.ts"), JSON.stringify(killed)], { stdio: "ignore" })
    // Kill it as soon as a checkpoint past step 4 exists (mid-run, between two checkpoints).
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        const latest = fs.existsSync(path.join(checkpoints, "latest.json")) ? JSON.parse(fs.readFileSync(path.join(checkpoints, "latest.json"), "utf8")) : undefined
        if (latest !== undefined && latest.step >= 4) {
          clearInterval(timer)
          child.kill("SIGKILL")
          resolve()
        }
      }, 20)
      child.on("exit", () => {
        clearInterval(timer)
        reject(new Error("the child finished before it could be killed"))
      })
    })
    await new Promise((resolve) => child.on("exit", resolve))
    const interruptedAt = readCheckpoint(latestCheckpoint(checkpoints)!).state.step
    expect(interruptedAt).toBeLessThan(12)
    const resumed = await train({ ...killed, resume: true })
    expect(resumed.resumedFrom).toBe(interruptedAt)
    expect(resumed.steps).toBe(12)
    const a = Safetensors.readSafetensorsSync(path.join(full.checkpoint!, "model.safetensors"))
    const b = Safetensors.readSafetensorsSync(path.join(resumed.checkpoint!, "model.safetensors"))
    expect([...b.tensors.keys()]).toEqual([...a.tensors.keys()])
    let maxDiff = 0
    for (const [name, t] of a.tensors) {
      const u = b.tensors.get(name)!.data as Float32Array
      for (let i = 0; i < t.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs((t.data as Float32Array)[i]! - u[i]!))
    }
    expect(maxDiff).toBe(0)
  }, 180_000)

  it("a truncated or altered checkpoint is a named error, for resume and for loadPolicyModel", async () => {
    const out = path.join(root, "runs", "corrupt")
    const base = options("corrupt", "mlp", "one_step", { maxSteps: 2, validateAtStart: false, valEvery: 0 })
    const summary = await train(base)
    const file = path.join(summary.checkpoint!, "model.safetensors")
    const bytes = fs.readFileSync(file)
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 100))
    const error = await train({ ...base, maxSteps: 4, resume: true }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TrainError)
    expect((error as TrainError).reason).toBe("CorruptFile")
    expect((error as TrainError).message).toContain("model.safetensors")
    const sdkError = await Effect.runPromise(Effect.scoped(loadPolicyModel({ checkpoint: summary.checkpoint!, from: repo })).pipe(Effect.flip))
    expect(sdkError.reason).toBe("CorruptFile")
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff
    fs.writeFileSync(file, bytes)
    const altered = await Effect.runPromise(Effect.scoped(loadPolicyModel({ checkpoint: summary.checkpoint!, from: repo })).pipe(Effect.flip))
    expect(altered.message).toContain("SHA-256")
    expect(fs.existsSync(out)).toBe(true)
  }, 60_000)

  it("a run resumes from a moved data folder, and refuses a different dataset by name", async () => {
    const base = options("moved", "mlp", "one_step", { maxSteps: 2, validateAtStart: false, valEvery: 0 })
    await train(base)
    const moved = path.join(root, "data-moved")
    fs.cpSync(data, moved, { recursive: true })
    const resumed = await train({ ...base, data: moved, maxSteps: 3, resume: true })
    expect(resumed.resumedFrom).toBe(2)
    expect(resumed.steps).toBe(3)
    const annotations = path.join(moved, "training", "lang_annotations", "auto_lang_ann.npy")
    fs.appendFileSync(annotations, Buffer.from([0]))
    const error = await train({ ...base, data: moved, maxSteps: 4, resume: true }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TrainError)
    expect((error as TrainError).message).toContain("other settings")
    fs.rmSync(moved, { recursive: true, force: true })
  }, 60_000)

  it("an abort while the feature cache is being built stops it at once (Interrupted) and keeps no half-built cache", async () => {
    const copy = path.join(root, "data-cache-abort")
    fs.cpSync(data, copy, { recursive: true, filter: (source) => !source.includes(".features") })
    const controller = new AbortController()
    controller.abort()
    const error = await train(options("cache-abort", "lstm", "post", { data: copy, maxSteps: 2, validateAtStart: false, signal: controller.signal }, { train_setup: { train_vision: false, train_decoder_layers: 2 } })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TrainError)
    expect((error as TrainError).reason).toBe("Interrupted")
    expect((error as TrainError).message).toContain("caching")
    const features = path.join(copy, "training", ".features")
    expect(fs.existsSync(features) ? fs.readdirSync(features) : []).toEqual([])
    fs.rmSync(copy, { recursive: true, force: true })
  }, 60_000)

  it("an abort writes a checkpoint at the current step and resolves as interrupted", async () => {
    const controller = new AbortController()
    const summary = await train(options("abort", "mlp", "one_step", {
      maxSteps: 50,
      validateAtStart: false,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.step === 3) controller.abort()
      }
    }))
    expect(summary.interrupted).toBe(true)
    expect(summary.steps).toBe(3)
    expect(readCheckpoint(summary.checkpoint!).state.step).toBe(3)
  }, 60_000)
})

describe("pre-trained backbone weights (--backbone-weights)", () => {
  it("action training starts from them (frozen backbone: the checkpoint keeps them exactly); a missing file is named", async () => {
    // Weights of another seed stand in for a robovla pretrain-vl output folder (backbone.safetensors inside).
    const folder = path.join(root, "pretrained")
    fs.mkdirSync(folder, { recursive: true })
    const scope = Effect.runSync(Scope.make())
    try {
      const plugin = await Effect.runPromise(PluginLoader.loadBackbonePlugin("@robovla/backbone-tiny-vlm", { from: repo }))
      const other = await Effect.runPromise(Scope.provide(scope)(PluginLoader.makePlugin(plugin, { ...(plugin.defaultConfig as object), seed: 77 })))
      fs.writeFileSync(path.join(folder, "backbone.safetensors"), Safetensors.writeSafetensorsSync(new Map(Object.entries(other.weights!()))))
      // As pretrain-vl writes it: another seed and train setup, the same sizes (so nothing to refuse).
      const recorded = { ...(plugin.defaultConfig as object), seed: 77, trainSetup: { trainDecoderLayers: -1 } }
      fs.writeFileSync(path.join(folder, "backbone.json"), JSON.stringify({ format: "robovla.backbone-weights/v1", config: recorded }))
      const wide = path.join(root, "pretrained-wide")
      fs.mkdirSync(wide, { recursive: true })
      fs.copyFileSync(path.join(folder, "backbone.safetensors"), path.join(wide, "backbone.safetensors"))
      fs.writeFileSync(path.join(wide, "backbone.json"), JSON.stringify({ format: "robovla.backbone-weights/v1", config: { ...recorded, hiddenSize: 128 } }))
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
    const vla = { train_setup: { freeze_backbone: true, train_vision: false, train_text_embedding: false } }
    const summary = await train(options("pretrained", "mlp", "one_step", { maxSteps: 1, validateAtStart: false, backboneWeights: folder }, vla))
    const expected = Safetensors.readSafetensorsSync(path.join(folder, "backbone.safetensors"))
    const checkpoint = readCheckpoint(summary.checkpoint!)
    for (const [name, t] of expected.tensors) expect(checkpoint.model.get(`backbone.${name}`)!.data).toEqual(t.data)
    expect((checkpoint.config["training"] as { backboneWeights: { sha256: string } }).backboneWeights.sha256).toHaveLength(64)
    const missing = await train(options("pretrained-missing", "mlp", "one_step", { maxSteps: 1, backboneWeights: path.join(root, "nowhere") })).catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(TrainError)
    expect(missing).toMatchObject({ reason: "MissingFile" })
    // Weights recorded with other sizes are refused before any tensor loads, naming the backboneConfig to give.
    const wide = await train(options("pretrained-wide", "mlp", "one_step", { maxSteps: 1, backboneWeights: path.join(root, "pretrained-wide") })).catch((e: unknown) => e)
    expect(wide).toBeInstanceOf(TrainError)
    expect(wide).toMatchObject({ reason: "InvalidInput" })
    expect((wide as TrainError).message).toContain(`backboneConfig {"hiddenSize":128}`)
    expect((wide as TrainError).message).toContain("hiddenSize 64")
  }, 120_000)
})

describe("sequence length", () => {
  it("an interleaved window longer than the backbone's positions is refused, not trained on zero position embeddings", async () => {
    // W 3 interleaved rows are 3 × (text + 2 × 16 image tokens + [LRN]) long, well over 40 positions.
    const error = await train(options("too-long", "gpt", "pre", { maxSteps: 1, backboneConfig: { maxPositions: 40 } })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TrainError)
    expect(error).toMatchObject({ reason: "InvalidInput" })
    expect((error as TrainError).message).toMatch(/takes at most 40 tokens, but this batch's interleaved rows of 3 frames are \d+ long/)
  }, 60_000)
})

describe("feature cache", () => {
  it("frozen vision trains from cached image tokens; the cached forward equals the live one", async () => {
    const vla = { train_setup: { train_vision: false, train_decoder_layers: 2 } }
    const live = await train(options("vision-live", "lstm", "post", { maxSteps: 1, cache: "off" }, vla))
    const cached = await train(options("vision-cached", "lstm", "post", { maxSteps: 1 }, vla))
    expect(live.cache).toBe("none")
    expect(cached.cache).toBe("images")
    expect(Math.abs(cached.firstVal!.loss - live.firstVal!.loss)).toBeLessThan(1e-5)
    expect(fs.readdirSync(path.join(data, "training", ".features")).some((f) => f.startsWith("images-"))).toBe(true)
  }, 120_000)

  it("head-only trains from cached [LRN] features and the validation loss falls", async () => {
    const vla = { train_setup: { freeze_backbone: true, train_vision: false, train_text_embedding: false } }
    const summary = await train(options("head-only", "lstm", "post", { trainActionToken: false, cacheViews: 2 }, vla))
    expect(summary.cache).toBe("lrn")
    expect(summary.lastVal!.loss).toBeLessThan(summary.firstVal!.loss)
  }, 120_000)
})

describe("determinism and options", () => {
  it("two runs with the same seed write identical weights (GPT head, dropout on)", async () => {
    const a = await train(options("gpt-a", "gpt", "post", { maxSteps: 3, validateAtStart: false, valEvery: 0 }))
    const before = tf.memory().numTensors
    const b = await train(options("gpt-b", "gpt", "post", { maxSteps: 3, validateAtStart: false, valEvery: 0 }))
    expect(tf.memory().numTensors).toBe(before) // a finished run leaves no tensor behind
    const c = await train(options("gpt-c", "gpt", "post", { maxSteps: 3, validateAtStart: false, valEvery: 0, seed: 7 }))
    const bytes = (s: typeof a) => fs.readFileSync(path.join(s.checkpoint!, "model.safetensors"))
    expect(bytes(b).equals(bytes(a))).toBe(true)
    expect(bytes(c).equals(bytes(a))).toBe(false)
  }, 60_000)

  it("hand camera + robot_obs state token + cached frozen vision train; the checkpoint serves with robot_obs", async () => {
    const summary = await train(options("hand-state", "lstm", "post", { maxSteps: 3, validateAtStart: false, valEvery: 0, stateToken: true }, {
      use_hand_rgb: true,
      train_setup: { train_vision: false, train_decoder_layers: 2 }
    }))
    expect(summary.cache).toBe("images")
    const tensors = Safetensors.readSafetensorsSync(path.join(summary.checkpoint!, "model.safetensors")).tensors
    expect([...tensors.keys()].filter((k) => k.startsWith("state."))).toHaveLength(5)
    const image = (size: number) => ({ data: new Uint8Array(size * size * 3).fill(90), height: size, width: size })
    const robotObs = (gripper: number) => [0.05, -0.1, 0.6, 3.1, 0, 1.5, 0.08, 0, 0, 0, 0, 0, 0, 0, gripper]
    const { metadata, open, closed, again, missing } = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const model = yield* loadPolicyModel({ checkpoint: summary.checkpoint!, from: repo })
      const act = (obs: ReadonlyArray<number> | undefined) =>
        Effect.gen(function*() {
          const policy = yield* model.policy()
          return yield* policy.act({ rgbStatic: image(200), rgbGripper: image(84), ...(obs === undefined ? {} : { robotObs: obs }) } as never, "open the drawer")
        })
      return {
        metadata: model.metadata,
        open: yield* act(robotObs(1)),
        closed: yield* act(robotObs(-1)),
        again: yield* act(robotObs(1)),
        missing: yield* act(undefined).pipe(Effect.flip)
      }
    })))
    expect(metadata.inputs.robotObs).toBe(true)
    // The state token feeds the decoder: the gripper state alone changes the chunk; the same input repeats it.
    expect(again).toEqual(open)
    expect(closed).not.toEqual(open)
    expect(missing.message).toMatch(/robotObs/)
  }, 60_000)
})

const onnxFixture = path.resolve(__dirname, "../../../../../shared/fixtures/tiny-paligemma-onnx")
const hasOnnx = fs.existsSync(path.join(onnxFixture, "decoder.onnx"))
if (!hasOnnx) console.warn(`[train] SKIPPED the ONNX-backbone test: ${onnxFixture} is absent`)

describe.skipIf(!hasOnnx)("an inference-only backbone (ONNX)", () => {
  it("trains the head from cached [LRN] features and the checkpoint loads with loadPolicyModel", async () => {
    const summary = await train({
      ...options("onnx-lstm", "lstm", "post", { maxSteps: 12, valEvery: 12 }),
      backbone: "@robovla/backbone-onnx",
      backboneConfig: { modelDir: onnxFixture }
    })
    expect(summary.cache).toBe("lrn")
    expect(summary.lastVal!.loss).toBeLessThan(summary.firstVal!.loss)
    const name = await Effect.runPromise(Effect.scoped(Effect.map(loadPolicyModel({ checkpoint: path.join(root, "runs", "onnx-lstm", "policy"), from: repo }), (m) => m.metadata.name)))
    expect(name).toBe("onnx+lstm")
  }, 120_000)
})

describe("optimiser pieces", () => {
  it("schedules: linear warm-up from 0, then constant / cosine / half-cosine", () => {
    const o = { learningRate: 1, warmupSteps: 4, totalSteps: 14, minLrScale: 0.01 }
    expect(learningRateAt(0, { ...o, schedule: "constant" })).toBe(0)
    expect(learningRateAt(2, { ...o, schedule: "constant" })).toBe(0.5)
    expect(learningRateAt(9, { ...o, schedule: "constant" })).toBe(1)
    expect(learningRateAt(9, { ...o, schedule: "cosine" })).toBeCloseTo(0.5, 9)
    expect(learningRateAt(14, { ...o, schedule: "cosine" })).toBeCloseTo(0, 9)
    expect(learningRateAt(14, { ...o, schedule: "half-cosine" })).toBeCloseTo(0.01, 9)
  })

  it("gradient clipping follows the config's intent: top-level key, else trainer.gradient_clip_val, else 1.0", () => {
    expect(intendedClip({ gradient_clip_val: 0.5 })).toBe(0.5)
    expect(intendedClip({ gradient_clip_val: 0 })).toBe(0)
    expect(intendedClip({ trainer: { gradient_clip_val: 1.0 } })).toBe(1)
    expect(intendedClip({})).toBe(1)
  })

  it("clipping really applies: with a tiny clip every step reports clipped and the log holds the pre-clip norm", async () => {
    const out = path.join(root, "runs", "clip")
    await train(options("clip", "mlp", "one_step", { maxSteps: 3, validateAtStart: false, valEvery: 0 }, { gradient_clip_val: 1e-4 }))
    const log = fs.readFileSync(path.join(out, "log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.type === "train")
    expect(log.every((e) => e.clipped === true && e.gradNorm > 1e-4)).toBe(true)
  }, 60_000)
})
