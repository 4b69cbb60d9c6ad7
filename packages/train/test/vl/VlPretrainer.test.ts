import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { PluginLoader, Safetensors } from "@robovla/sdk"
import { encodePng } from "@robovla/sim"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TrainError } from "../../src/TrainError.ts"
import { loadBackboneWeights } from "../../src/trainer/BackboneWeights.ts"
import { latestCheckpoint, readCheckpoint } from "../../src/trainer/Checkpoint.ts"
import { Rng } from "../../src/windows/Random.ts"
import { pretrainVl, type VlPretrainOptions } from "../../src/vl/VlPretrainer.ts"
import type { VlPair } from "../../src/vl/VlPairs.ts"

// A trivially learnable toy pair set, written here: the static camera shows a bright green patch when the light is
// on and a dark one when it is off (plus noise); each frame has one question ("is the green light on?") and one
// caption ("The green light is on/off."). Balanced answers, so the blind baseline is 50 %.
let root: string
let pairs: string
const repo = path.resolve(__dirname, "../../../..")

const frame = (rng: Rng, on: boolean): Uint8Array => {
  const data = new Uint8Array(32 * 32 * 3)
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      const i = (y * 32 + x) * 3
      const patch = x < 16 && y < 16
      const noise = () => Math.floor(rng.next() * 40)
      data[i] = 60 + noise()
      data[i + 1] = patch ? (on ? 230 : 20) + (on ? -noise() : noise()) : 60 + noise()
      data[i + 2] = 60 + noise()
    }
  }
  return data
}

const writeToySet = (dir: string, trainFrames: number, valFrames: number): void => {
  fs.mkdirSync(path.join(dir, "frames"), { recursive: true })
  const rng = new Rng(11)
  const prompts = ["is the green light on?", "is the led on or off?", "is the green lamp lit?"]
  const lines: Record<"train" | "val", Array<string>> = { train: [], val: [] }
  for (let f = 0; f < trainFrames + valFrames; f++) {
    const split = f < trainFrames ? "train" : "val"
    const on = f % 2 === 0
    const name = `A_${String(f).padStart(5, "0")}_0000`
    fs.writeFileSync(path.join(dir, "frames", `${name}.png`), encodePng(frame(rng, on), 32, 32))
    fs.writeFileSync(path.join(dir, "frames", `${name}_gripper.png`), encodePng(frame(rng, false), 32, 32))
    const base = { split, image: `frames/${name}.png`, gripperImage: `frames/${name}_gripper.png`, scene: "A", episode: f, step: 0, phrasing: "seen", facts: { led: on ? "on" : "off" }, arrangement: on ? "on" : "off" } as const
    const qa: VlPair = { ...base, id: `${name}_q0`, kind: "qa", attribute: "led", prompt: prompts[f % 3]!, target: on ? "yes" : "no" }
    const caption: VlPair = { ...base, id: `${name}_c`, kind: "caption", attribute: "caption", prompt: "describe the scene.", target: on ? "The green light is on." : "The green light is off.", stated: ["led"] }
    lines[split].push(JSON.stringify(qa), JSON.stringify(caption))
  }
  for (const split of ["train", "val"] as const) fs.writeFileSync(path.join(dir, `${split}.jsonl`), lines[split].join("\n") + "\n")
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-vl-pretrain-"))
  pairs = path.join(root, "pairs")
  writeToySet(pairs, 48, 16)
})
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

const options = (name: string, extra: Partial<VlPretrainOptions> = {}): VlPretrainOptions => ({
  pairs,
  out: path.join(root, "runs", name),
  steps: 8,
  batchSize: 8,
  learningRate: 3e-3,
  warmupSteps: 2,
  evalEvery: 0,
  from: repo,
  ...extra
})

const backboneTensors = (checkpoint: string) => readCheckpoint(checkpoint).model

describe("pretrainVl: tiny-vlm on image-text pairs", () => {
  it("the loss falls and answers beat the blind baseline on a trivially learnable set", async () => {
    const summary = await pretrainVl(options("learn", { steps: 90, batchSize: 16, evalEvery: 45, evalAnswers: 16, evalCaptions: 4, finalCaptions: 8 }))
    expect(summary.steps).toBe(90)
    expect(summary.interrupted).toBe(false)
    const final = summary.finalEval!
    expect(final.valLoss).toBeLessThan(summary.firstEval!.valLoss)
    expect(final.blind.answers.accuracy).toBeCloseTo(0.5, 5)
    expect(final.score.answers.total).toBe(16)
    expect(final.score.answers.accuracy).toBeGreaterThan(0.75)
    expect(final.score.captions.captions).toBe(8) // every val question, finalCaptions of the 16 captions
    const out = path.join(root, "runs", "learn")
    const log = fs.readFileSync(path.join(out, "log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l))
    expect(log.filter((e) => e.type === "train")).toHaveLength(90)
    expect(log.filter((e) => e.type === "eval").map((e) => e.step)).toEqual([0, 45])
    expect(log.filter((e) => e.type === "final").map((e) => e.step)).toEqual([90])
    const train = log.filter((e) => e.type === "train").map((e) => e.loss as number)
    const mean = (xs: Array<number>) => xs.reduce((a, b) => a + b, 0) / xs.length
    expect(mean(train.slice(-10))).toBeLessThan(mean(train.slice(0, 10)) * 0.5)
    expect(fs.readFileSync(path.join(out, "curve.html"), "utf8")).toContain("<svg")
    expect(fs.readFileSync(path.join(out, "predictions.jsonl"), "utf8").trim().split("\n")).toHaveLength(24)
    const meta = JSON.parse(fs.readFileSync(path.join(out, "backbone", "backbone.json"), "utf8"))
    expect(meta.package).toBe("@robovla/backbone-tiny-vlm")
    expect(meta.pretraining.step).toBe(90)
  }, 240_000)

  it("the published weights round-trip: a fresh tiny-vlm loads them (as robovla train does) and holds the same tensors", async () => {
    const out = path.join(root, "runs", "learn")
    const published = Safetensors.readSafetensorsSync(path.join(out, "backbone", "backbone.safetensors"))
    const checkpoint = backboneTensors(latestCheckpoint(path.join(out, "checkpoints"))!)
    for (const [name, t] of published.tensors) expect(checkpoint.get(`backbone.${name}`)!.data).toEqual(t.data)
    const scope = Effect.runSync(Scope.make())
    try {
      const plugin = await Effect.runPromise(PluginLoader.loadBackbonePlugin("@robovla/backbone-tiny-vlm", { from: repo }))
      const backbone = await Effect.runPromise(Scope.provide(scope)(PluginLoader.makePlugin(plugin, { ...(plugin.defaultConfig as object), seed: 99 })))
      const loaded = await loadBackboneWeights(backbone, path.join(out, "backbone"))
      expect(loaded.loaded).toBe(published.tensors.size)
      const weights = backbone.weights!()
      for (const [name, t] of published.tensors) expect(weights[name]!.data).toEqual(t.data)
      await expect(loadBackboneWeights(backbone, path.join(root, "nowhere"))).rejects.toMatchObject({ _tag: "TrainError", reason: "MissingFile" })
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  }, 60_000)

  it("an aborted run checkpoints, and --resume ends bit-identical to an uninterrupted run", async () => {
    const whole = await pretrainVl(options("whole"))
    const controller = new AbortController()
    const stopped = await pretrainVl(options("split", { signal: controller.signal, onProgress: (p) => p.step === 3 && controller.abort() }))
    expect(stopped.interrupted).toBe(true)
    expect(stopped.steps).toBe(3)
    expect(stopped.finalEval).toBeUndefined()
    const resumed = await pretrainVl(options("split", { resume: true }))
    expect(resumed.resumedFrom).toBe(3)
    expect(resumed.steps).toBe(8)
    const a = backboneTensors(whole.checkpoint)
    const b = backboneTensors(resumed.checkpoint)
    expect([...b.keys()]).toEqual([...a.keys()])
    for (const [name, t] of a) expect(b.get(name)!.data).toEqual(t.data)
    expect(readCheckpoint(resumed.checkpoint).optimizer.get("m.backbone.vision.patch_embed.weight")!.data).toEqual(readCheckpoint(whole.checkpoint).optimizer.get("m.backbone.vision.patch_embed.weight")!.data)
    // Same log as the uninterrupted run (the resumed one drops nothing and repeats nothing).
    const losses = (name: string) => fs.readFileSync(path.join(root, "runs", name, "log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.type === "train").map((e) => e.loss)
    expect(losses("split")).toEqual(losses("whole"))
    // Other settings refuse to resume, by name.
    await expect(pretrainVl(options("split", { resume: true, learningRate: 1e-2 }))).rejects.toMatchObject({ reason: "InvalidInput" })
  }, 180_000)

  it("bad input is a TrainError with a typed reason", async () => {
    await expect(pretrainVl(options("x", { pairs: path.join(root, "missing") }))).rejects.toMatchObject({ _tag: "TrainError", reason: "MissingFile" })
    const corrupt = path.join(root, "corrupt")
    fs.cpSync(pairs, corrupt, { recursive: true })
    fs.appendFileSync(path.join(corrupt, "train.jsonl"), "{not json\n")
    const error = await pretrainVl(options("x", { pairs: corrupt })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TrainError)
    expect(error).toMatchObject({ reason: "CorruptFile" })
    expect((error as TrainError).message).toContain("train.jsonl:97")
    const noFrame = path.join(root, "no-frame")
    fs.cpSync(pairs, noFrame, { recursive: true })
    fs.rmSync(path.join(noFrame, "frames", "A_00003_0000_gripper.png"))
    await expect(pretrainVl(options("x", { pairs: noFrame }))).rejects.toMatchObject({ reason: "MissingFile" })
    fs.writeFileSync(path.join(noFrame, "frames", "A_00003_0000_gripper.png"), "not a png")
    await expect(pretrainVl(options("x", { pairs: noFrame }))).rejects.toMatchObject({ reason: "CorruptFile" })
    await expect(pretrainVl(options("x", { batchSize: 0 }))).rejects.toMatchObject({ reason: "InvalidInput" })
    await expect(pretrainVl(options("x", { batchSize: 500 }))).rejects.toMatchObject({ reason: "InvalidInput" })
  }, 120_000)
})
