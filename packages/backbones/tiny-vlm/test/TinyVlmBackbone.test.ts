import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as tf from "@tensorflow/tfjs-core"
import { Backbone, SdkError, type FloatTensor, type IntTensor } from "@robovla/sdk"
import { initTfjs } from "@robovla/tfjs"
import { Effect, Exit, Schema, Scope } from "effect"
import { describe, expect, it } from "vitest"
import {
  defaultConfig,
  INSTRUCTION_VOCABULARY,
  make,
  makeTokenizer,
  plugin,
  readWeights,
  registerGradients,
  TinyVlmModel,
  type TinyVlmBackbone,
  type TinyVlmConfig
} from "../src/index.ts"

/** Makes a backbone in a fresh Scope; the caller closes it. */
const open = async (config: TinyVlmConfig = defaultConfig): Promise<{ backbone: TinyVlmBackbone; close: () => Promise<void> }> => {
  const scope = await Effect.runPromise(Scope.make())
  const backbone = await Effect.runPromise(Scope.provide(scope)(make(config)))
  return { backbone, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

const failure = async <A>(effect: Effect.Effect<A, SdkError>): Promise<SdkError> => {
  const exit = await Effect.runPromise(Effect.exit(effect))
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (error === undefined || error._tag !== "Fail") throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return error.error
}

const pixels = (batch: number, seed: number, size = defaultConfig.imageSize): FloatTensor<never> => {
  const data = new Float32Array(batch * 3 * size * size)
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37 + seed) * 0.9
  return { data, shape: [batch, 3, size, size] }
}

const ids = (rows: ReadonlyArray<ReadonlyArray<number>>, pad = 0): IntTensor<never> => {
  const l = Math.max(...rows.map((r) => r.length))
  const data = new Int32Array(rows.length * l).fill(pad)
  rows.forEach((r, i) => data.set(r, i * l))
  return { data, shape: [rows.length, l] }
}

const maskOf = (rows: ReadonlyArray<ReadonlyArray<number>>): IntTensor<never> => {
  const l = rows[0]!.length
  return { data: Int32Array.from(rows.flat()), shape: [rows.length, l] }
}

const row = (t: FloatTensor, b: number, from: number, to: number): Float32Array => {
  const [, l, d] = t.shape as [number, number, number]
  return t.data.slice((b * l + from) * d, (b * l + to) * d)
}

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return m
}

describe("TinyVlmTokenizer", () => {
  const tokenizer = makeTokenizer(defaultConfig.bpeMerges)

  it("wraps the prompt template with BOS/EOS and decodes back", () => {
    const encoded = tokenizer.encode("open the drawer")
    expect(encoded[0]).toBe(tokenizer.bosId)
    expect(encoded[encoded.length - 1]).toBe(tokenizer.eosId)
    expect(tokenizer.decode(encoded)).toBe("An image of a robot open the drawer")
    expect(encoded.every((id) => id >= 0 && id < tokenizer.vocabSize)).toBe(true)
  })

  it("learns the same merges every time, and they compress the instruction vocabulary", () => {
    const again = makeTokenizer(defaultConfig.bpeMerges)
    expect(again.merges).toEqual(tokenizer.merges)
    // Learning stops early once no pair occurs twice (126 merges for this corpus).
    expect(tokenizer.merges.length).toBeGreaterThan(100)
    expect(tokenizer.merges.length).toBeLessThanOrEqual(defaultConfig.bpeMerges)
    expect(makeTokenizer(10).merges).toEqual(tokenizer.merges.slice(0, 10))
    const instruction = INSTRUCTION_VOCABULARY[0]!
    const bytes = new TextEncoder().encode(instruction).length
    expect(tokenizer.encodeText(instruction).length).toBeLessThan(bytes / 2)
    expect(tokenizer.encodeText(" drawer")).toHaveLength(1)
  })

  it("falls back to bytes for text outside the vocabulary (including non-ASCII)", () => {
    const text = "zürich ☃ qx"
    expect(tokenizer.decode(tokenizer.encodeText(text))).toBe(text)
    expect(makeTokenizer(0).encodeText("ab")).toEqual([3 + 97, 3 + 98])
  })
})

describe("TinyVlmBackbone", () => {
  it("is a valid plugin manifest whose schema accepts the default config", () => {
    expect(plugin.kind).toBe("backbone")
    expect(plugin.name).toBe("tiny-vlm")
    expect(plugin.contractVersion).toBe(Backbone.BACKBONE_CONTRACT_VERSION)
    expect(Schema.decodeUnknownSync(plugin.configSchema)(JSON.parse(JSON.stringify(defaultConfig)))).toEqual(defaultConfig)
    expect(() => Schema.decodeUnknownSync(plugin.configSchema)({ ...defaultConfig, patchSize: 0 })).toThrow()
  })

  it("has the contracted shapes", async () => {
    const { backbone, close } = await open()
    const n = (defaultConfig.imageSize / defaultConfig.patchSize) ** 2
    expect(backbone.imageTokens).toBe(n)
    expect(backbone.hiddenSize).toBe(defaultConfig.hiddenSize)
    const images = await Effect.runPromise(backbone.encodeImages(pixels(2, 0)))
    expect(images.shape).toEqual([2, n, defaultConfig.hiddenSize])
    const embeds = await Effect.runPromise(backbone.embedTokens(ids([[1, 5, 6, 2], [1, 7, 2, 0]])))
    expect(embeds.shape).toEqual([2, 4, defaultConfig.hiddenSize])
    const hidden = await Effect.runPromise(backbone.forward(embeds, maskOf([[1, 1, 1, 1], [1, 1, 1, 0]])))
    expect(hidden.shape).toEqual([2, 4, defaultConfig.hiddenSize])
    expect(hidden.data.every(Number.isFinite)).toBe(true)
    await close()
  })

  it("ignores right padding under the causal mask, and the mask matters for left padding", async () => {
    const { backbone, close } = await open()
    const short = [1, 20, 30, 40, 2]
    const long = [1, 21, 31, 41, 51, 61, 2]
    const batch = await Effect.runPromise(backbone.embedTokens(ids([short, long])))
    const hiddenBatch = await Effect.runPromise(backbone.forward(batch, maskOf([[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]])))
    const alone = await Effect.runPromise(backbone.embedTokens(ids([short])))
    const hiddenAlone = await Effect.runPromise(backbone.forward(alone, maskOf([[1, 1, 1, 1, 1]])))
    expect(maxAbsDiff(row(hiddenBatch, 0, 0, 5), row(hiddenAlone, 0, 0, 5))).toBeLessThan(1e-5)

    // Left padding: with the mask, the real tokens see neither the pads nor shifted positions.
    const left = await Effect.runPromise(backbone.embedTokens(ids([[0, 0, ...short]])))
    const masked = await Effect.runPromise(backbone.forward(left, maskOf([[0, 0, 1, 1, 1, 1, 1]])))
    expect(maxAbsDiff(row(masked, 0, 2, 7), row(hiddenAlone, 0, 0, 5))).toBeLessThan(1e-5)
    const unmasked = await Effect.runPromise(backbone.forward(left, maskOf([[1, 1, 1, 1, 1, 1, 1]])))
    expect(maxAbsDiff(row(unmasked, 0, 2, 7), row(hiddenAlone, 0, 0, 5))).toBeGreaterThan(1e-3)

    // Causality: changing a later token does not change earlier outputs, and does change its own.
    const changed = await Effect.runPromise(backbone.embedTokens(ids([[1, 20, 30, 99, 2]])))
    const hiddenChanged = await Effect.runPromise(backbone.forward(changed, maskOf([[1, 1, 1, 1, 1]])))
    expect(maxAbsDiff(row(hiddenChanged, 0, 0, 3), row(hiddenAlone, 0, 0, 3))).toBe(0)
    expect(maxAbsDiff(row(hiddenChanged, 0, 3, 4), row(hiddenAlone, 0, 3, 4))).toBeGreaterThan(1e-3)
    await close()
  })

  it("is deterministic per seed and differs across seeds", async () => {
    const a = await open()
    const b = await open()
    const c = await open({ ...defaultConfig, seed: 7 })
    const outputs = await Promise.all(
      [a, b, c].map(({ backbone }) => Effect.runPromise(backbone.encodeImages(pixels(1, 3))))
    )
    expect(outputs[0]!.data).toEqual(outputs[1]!.data)
    expect(maxAbsDiff(outputs[0]!.data, outputs[2]!.data)).toBeGreaterThan(1e-3)
    await Promise.all([a.close(), b.close(), c.close()])
  })

  it("leaks no tensors, and closing the scope frees its variables", async () => {
    const before = tf.memory().numTensors
    const { backbone, close } = await open()
    const withModel = tf.memory().numTensors
    expect(withModel).toBeGreaterThan(before)
    for (let i = 0; i < 3; i++) {
      const embeds = await Effect.runPromise(backbone.embedTokens(ids([[1, 5, 2]])))
      await Effect.runPromise(backbone.forward(embeds, maskOf([[1, 1, 1]])))
      await Effect.runPromise(backbone.encodeImages(pixels(2, i)))
      await failure(backbone.embedTokens(ids([[1, 99999]]))) // failures leak nothing either
    }
    expect(tf.memory().numTensors).toBe(withModel)
    await close()
    expect(tf.memory().numTensors).toBe(before)
    expect((await failure(backbone.encodeImages(pixels(1, 0)))).reason).toBe("Released")
  })

  it("round-trips its weights through safetensors with identical outputs", async () => {
    const original = await open({ ...defaultConfig, seed: 11 })
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tiny-vlm-")), "weights.safetensors")
    fs.writeFileSync(file, original.backbone.saveWeights())
    const loaded = await open({ ...defaultConfig, seed: 0, weights: file })
    for (const { backbone } of [original, loaded]) expect(backbone.model.config.imageSize).toBe(defaultConfig.imageSize)
    const run = async (backbone: TinyVlmBackbone) => {
      const image = await Effect.runPromise(backbone.encodeImages(pixels(1, 5)))
      const text = await Effect.runPromise(backbone.embedTokens(ids([[1, 40, 41, 2]])))
      const embeds: FloatTensor<never> = { data: Float32Array.from([...image.data, ...text.data]), shape: [1, image.shape[1]! + 4, backbone.hiddenSize] }
      return Effect.runPromise(backbone.forward(embeds, { data: new Int32Array(image.shape[1]! + 4).fill(1), shape: [1, image.shape[1]! + 4] }))
    }
    const [a, b] = [await run(original.backbone), await run(loaded.backbone)]
    expect(b.data).toEqual(a.data)
    await Promise.all([original.close(), loaded.close()])
  })

  it("rejects bad inputs with typed errors", async () => {
    const { backbone, close } = await open()
    const d = defaultConfig.hiddenSize
    expect((await failure(backbone.encodeImages(pixels(1, 0, 16)))).reason).toBe("ShapeMismatch")
    expect((await failure(backbone.encodeImages({ data: new Float32Array(5), shape: [1, 3, 32, 32] }))).reason).toBe("ShapeMismatch")
    const nan = pixels(1, 0)
    nan.data[7] = Number.NaN
    expect((await failure(backbone.encodeImages(nan))).reason).toBe("NonFinite")
    expect((await failure(backbone.embedTokens(ids([[1, -1]])))).reason).toBe("InvalidInput")
    expect((await failure(backbone.embedTokens({ data: new Int32Array(3), shape: [3] }))).reason).toBe("ShapeMismatch")
    const embeds: FloatTensor<never> = { data: new Float32Array(2 * d), shape: [1, 2, d] }
    expect((await failure(backbone.forward(embeds, maskOf([[1, 1, 1]])))).reason).toBe("ShapeMismatch")
    expect((await failure(backbone.forward(embeds, maskOf([[1, 2]])))).reason).toBe("InvalidInput")
    expect((await failure(backbone.forward({ data: new Float32Array(4), shape: [1, 2, 2] }, maskOf([[1, 1]])))).reason).toBe("ShapeMismatch")
    const tooLong = defaultConfig.maxPositions + 1
    expect(
      (await failure(backbone.forward({ data: new Float32Array(tooLong * d), shape: [1, tooLong, d] }, { data: new Int32Array(tooLong).fill(1), shape: [1, tooLong] }))).reason
    ).toBe("ShapeMismatch")
    await close()
  })

  it("rejects bad configs and weight files with typed errors", async () => {
    const makeError = (config: TinyVlmConfig) => failure(Effect.scoped(make(config)))
    expect((await makeError({ ...defaultConfig, patchSize: 5 })).reason).toBe("InvalidInput")
    expect((await makeError({ ...defaultConfig, hiddenSize: 66 })).reason).toBe("InvalidInput")
    expect((await makeError({ ...defaultConfig, trainSetup: { ...defaultConfig.trainSetup, trainDecoderLayers: 3 } })).reason).toBe("InvalidInput")
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-vlm-"))
    expect((await makeError({ ...defaultConfig, weights: path.join(dir, "missing.safetensors") })).reason).toBe("WeightsNotFound")
    fs.writeFileSync(path.join(dir, "corrupt.safetensors"), "not a safetensors file")
    expect((await makeError({ ...defaultConfig, weights: path.join(dir, "corrupt.safetensors") })).reason).toBe("CorruptFile")
    // A file made for another config: the shapes do not fit.
    const { backbone, close } = await open({ ...defaultConfig, hiddenSize: 32 })
    fs.writeFileSync(path.join(dir, "other.safetensors"), backbone.saveWeights())
    await close()
    expect((await makeError({ ...defaultConfig, weights: path.join(dir, "other.safetensors") })).reason).toBe("ShapeMismatch")
  })
})

describe("trainable parts (RoboVLMs train_setup switches)", () => {
  const setup = (overrides: Partial<TinyVlmConfig["trainSetup"]>): TinyVlmConfig => ({
    ...defaultConfig,
    textLayers: 3,
    trainSetup: { ...defaultConfig.trainSetup, ...overrides }
  })
  const trainableGroups = (config: TinyVlmConfig): Array<string> => {
    const model = TinyVlmModel.create(config)
    try {
      const groups = model.parameterGroups()
      // parameterGroups(), trainableVariables() and the variables' own flags agree.
      const trainableSize = model.trainableVariables().reduce((s, v) => s + v.size, 0)
      expect(trainableSize).toBe(groups.filter((g) => g.trainable).reduce((s, g) => s + g.size, 0))
      expect(model.trainableVariables().every((v) => v.trainable)).toBe(true)
      return groups.filter((g) => g.trainable).map((g) => g.name)
    } finally {
      model.dispose()
    }
  }
  const all = ["vision", "projector", "text.embed_tokens", "text.embed_positions", "text.layers.0", "text.layers.1", "text.layers.2", "text.norm"]

  it.each([
    ["CALVIN default: everything", {}, all],
    ["freeze_backbone, vision and embedding off", { freezeBackbone: true, trainVision: false, trainTextEmbedding: false }, []],
    ["freeze_backbone but train_vision / train_text_embedding override", { freezeBackbone: true }, ["vision", "text.embed_tokens"]],
    ["last 1 decoder layer only", { trainDecoderLayers: 1, trainVision: false, trainTextEmbedding: false }, ["text.layers.2"]],
    ["last 2 decoder layers + word embedding", { trainDecoderLayers: 2, trainVision: false }, ["text.embed_tokens", "text.layers.1", "text.layers.2"]],
    ["all decoder, vision frozen", { trainVision: false }, all.filter((g) => g !== "vision")],
    ["freeze_backbone wins over train_decoder_layers", { freezeBackbone: true, trainDecoderLayers: 2, trainVision: false, trainTextEmbedding: false }, []]
  ] as const)("%s", (_name, overrides, expected) => {
    expect(trainableGroups(setup(overrides))).toEqual(expected)
  })

  it("LoRA: adapters on every linear layer are the only trainable weights", () => {
    const names = trainableGroups(setup({ loraEnable: true, loraR: 4 }))
    expect(names).toEqual(["lora"])
    const model = TinyVlmModel.create(setup({ loraEnable: true, loraR: 4 }))
    const adapters = model.specs.filter((s) => s.part === "lora").map((s) => s.name)
    // 2 vision blocks × 4 + patch embed + projector + 3 decoder layers × 4 = 22 linear layers, A and B each.
    expect(adapters).toHaveLength(44)
    expect(adapters).toContain("text.layers.2.mlp.fc2.lora_B")
    expect(adapters).toContain("vision.patch_embed.lora_A")
    expect(model.variables.get("projector.lora_A")!.shape).toEqual([32, 4])
    model.dispose()
  })

  it("LoRA: B = 0 leaves the base model unchanged, a base checkpoint loads, training moves only the adapters", async () => {
    await registerGradients()
    const base = TinyVlmModel.create(defaultConfig)
    const loraConfig: TinyVlmConfig = { ...defaultConfig, trainSetup: { ...defaultConfig.trainSetup, loraEnable: true, loraR: 4, loraAlpha: 8 } }
    const lora = TinyVlmModel.create(loraConfig, new Map(base.weights())) // base weights, fresh adapters
    const run = (model: TinyVlmModel) =>
      tf.tidy(() => {
        const image = model.encodeImages(tf.tensor(pixels(1, 2).data, [1, 3, 32, 32]))
        const text = model.embedTokens(tf.tensor2d([[1, 30, 31, 2]], undefined, "int32"))
        return model.forward(tf.concat([image, text], 1), tf.ones([1, image.shape[1]! + 4], "int32"))
      })
    const [before, baseOut] = [run(lora), run(base)]
    expect(before.dataSync()).toEqual(baseOut.dataSync())
    const frozen = lora.variables.get("text.layers.0.attn.qkv.weight")!.dataSync().slice()
    const optimizer = tf.train.adam(1e-2)
    for (let i = 0; i < 2; i++) optimizer.minimize(() => tf.mean(tf.square(tf.sub(run(lora), 1))) as tf.Scalar, false, lora.trainableVariables())
    const after = run(lora)
    expect(maxAbsDiff(after.dataSync() as Float32Array, before.dataSync() as Float32Array)).toBeGreaterThan(1e-4)
    expect(lora.variables.get("text.layers.0.attn.qkv.weight")!.dataSync()).toEqual(frozen)
    // The adapters round-trip through safetensors with the rest.
    const reloaded = TinyVlmModel.create(loraConfig, readWeights(lora.toSafetensors()))
    const again = run(reloaded)
    expect(again.dataSync()).toEqual(after.dataSync())
    tf.dispose([before, baseOut, after, again])
    optimizer.dispose()
    for (const m of [base, lora, reloaded]) m.dispose()
  })

  it("gradients reach exactly the trainable variables (pure-tensor path)", async () => {
    await registerGradients()
    const model = TinyVlmModel.create(setup({ trainDecoderLayers: 1, trainVision: false, trainTextEmbedding: true }))
    const before = tf.memory().numTensors
    const trainable = model.trainableVariables()
    const { value, grads } = tf.variableGrads(() => {
      const image = model.encodeImages(tf.tensor(pixels(1, 1).data, [1, 3, 32, 32]))
      const text = model.embedTokens(tf.tensor2d([[1, 30, 31, 2]], undefined, "int32"))
      const hidden = model.forward(tf.concat([image, text], 1), tf.ones([1, image.shape[1]! + 4], "int32"))
      return tf.mean(tf.square(hidden)) as tf.Scalar
    }, trainable)
    expect(Object.keys(grads)).toHaveLength(trainable.length)
    for (const g of Object.values(grads)) expect(g.shape.length).toBeGreaterThan(0)
    const norm = tf.tidy(() => tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))).dataSync()[0]!)
    expect(norm).toBeGreaterThan(0)
    tf.dispose([value, ...Object.values(grads)])
    expect(tf.memory().numTensors).toBe(before)
    model.dispose()
  })
})

describe("language-model head (tied to the word embedding)", () => {
  it("lmLogits = h · Eᵀ over the vocabulary, adds no weights, and its gradient reaches the embedding", async () => {
    await registerGradients()
    const model = TinyVlmModel.create(defaultConfig)
    const names = model.specs.map((s) => s.name)
    expect(names.some((n) => n.includes("lm_head"))).toBe(false)
    const table = model.variables.get("text.embed_tokens.weight")!
    const hidden = tf.tidy(() => model.forward(model.embedTokens(tf.tensor2d([[1, 30, 31]], undefined, "int32")), tf.ones([1, 3], "int32")))
    const logits = tf.tidy(() => model.lmLogits(hidden))
    expect(logits.shape).toEqual([1, 3, model.tokenizer.vocabSize])
    // One logit by hand: <h[0, 2], E[7]>.
    const h = hidden.dataSync()
    const e = table.dataSync()
    const d = defaultConfig.hiddenSize
    let dot = 0
    for (let k = 0; k < d; k++) dot += h[2 * d + k]! * e[7 * d + k]!
    expect(logits.dataSync()[2 * model.tokenizer.vocabSize + 7]).toBeCloseTo(dot, 5)
    const { grads } = tf.variableGrads(() => tf.tidy(() => tf.sum(model.lmLogits(hidden))) as tf.Scalar, [table])
    expect(tf.tidy(() => tf.sum(tf.abs(grads[table.name]!)).dataSync()[0]!)).toBeGreaterThan(0)
    tf.dispose([hidden, logits, ...Object.values(grads)])
    model.dispose()
  })
})

// Last in the file: it switches the process-wide tfjs backend (and switches back).
describe("training on the wasm backend (the project machines' engine)", () => {
  it("takes Adam steps with every part trainable: no conv, and no gather gradient (UnsortedSegmentSum is not in wasm)", async () => {
    const { selection } = await initTfjs({ backend: "wasm" })
    try {
      expect(tf.getBackend()).toBe("wasm")
      await registerGradients()
      const model = TinyVlmModel.create({ ...defaultConfig, seed: 3 })
      const loss = () =>
        tf.tidy(() => {
          const image = model.encodeImages(tf.tensor(pixels(2, 9).data, [2, 3, 32, 32]))
          const text = model.embedTokens(tf.tensor2d([[1, 30, 31, 2], [1, 40, 2, 0]], undefined, "int32"))
          const mask = tf.concat([tf.ones([2, image.shape[1]!], "int32"), tf.tensor2d([[1, 1, 1, 1], [1, 1, 1, 0]], undefined, "int32")], 1)
          return tf.mean(tf.square(tf.sub(model.forward(tf.concat([image, text], 1), mask), 0.5))) as tf.Scalar
        })
      const optimizer = tf.train.adam(1e-2)
      const losses: Array<number> = []
      for (let i = 0; i < 4; i++) {
        const value = optimizer.minimize(loss, true, model.trainableVariables())!
        losses.push(value.dataSync()[0]!)
        value.dispose()
      }
      expect(losses.every(Number.isFinite)).toBe(true)
      expect(losses[3]!).toBeLessThan(losses[0]!)
      optimizer.dispose()
      model.dispose()
    } finally {
      expect(selection.backend).toBe("wasm")
      await tf.setBackend("cpu")
    }
  })
})
