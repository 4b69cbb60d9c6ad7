import { Effect, Exit, Result, Scope } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Tensor } from "@robovla/sdk"
import type { BackboneService, FloatTensor, SdkError } from "@robovla/sdk"
import { liveSessionCount, make, plugin } from "../src/index.ts"
import type { Config } from "../src/index.ts"
import { FLOAT, INT64, tinyOnnxModel } from "./tinyOnnx.ts"
import type { TinyNode, TinyValue } from "./tinyOnnx.ts"

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url))
const fixtureDir = path.resolve(repoRoot, "../shared/fixtures/tiny-paligemma-onnx")
const hasFixture = fs.existsSync(path.join(fixtureDir, "config.json"))
if (!hasFixture) console.warn(`[backbone-onnx] SKIPPED: fixture not found at ${fixtureDir}`)

type Nested = number | ReadonlyArray<Nested>
interface Reference {
  readonly pixel_values: Nested
  readonly input_ids: Nested
  readonly image_features: Nested
  readonly inputs_embeds: Nested
  readonly last_hidden_state: Nested
  readonly tokenizer_examples: Readonly<Record<string, ReadonlyArray<number>>>
}

/** Flattens a nested JSON array into data + shape (row-major). */
const flatten = (value: Nested): { data: Array<number>; shape: Array<number> } => {
  const shape: Array<number> = []
  for (let v: Nested = value; Array.isArray(v); v = (v as ReadonlyArray<Nested>)[0]!) shape.push(v.length)
  return { data: (value as ReadonlyArray<Nested>).flat(Infinity as 1) as Array<number>, shape }
}
const floatOf = <Dims extends string>(value: Nested): FloatTensor<Dims> => {
  const { data, shape } = flatten(value)
  return Tensor.floatTensor<Dims>(data, shape)
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length)
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!))
  return max
}

/** Runs make() in its own Scope and returns the failure, for the error-path tests. */
const makeFailure = (config: Config): Promise<SdkError> => Effect.runPromise(Effect.scoped(Effect.flip(make(config))))

/** Copies the fixture into a temp folder so a test can break one file. */
const brokenCopy = (edit: (dir: string) => void): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-onnx-"))
  for (const file of fs.readdirSync(fixtureDir)) fs.copyFileSync(path.join(fixtureDir, file), path.join(dir, file))
  for (const file of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, file), 0o644)
  edit(dir)
  return dir
}

describe.skipIf(!hasFixture)("OnnxBackbone on tiny-paligemma-onnx", () => {
  let reference: Reference
  let scope: Scope.Closeable
  let backbone: BackboneService
  const tempDirs: Array<string> = []

  beforeAll(async () => {
    reference = JSON.parse(fs.readFileSync(path.join(fixtureDir, "reference-outputs.json"), "utf8")) as Reference
    scope = await Effect.runPromise(Scope.make())
    backbone = await Effect.runPromise(make({ modelDir: fixtureDir }).pipe(Scope.provide(scope)))
  })
  afterAll(async () => {
    if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true })
  })

  it("describes itself from config.json", () => {
    expect(backbone.specificationVersion).toBe("robovla.backbone/v1")
    expect(backbone.name).toBe("onnx/paligemma")
    expect(backbone.hiddenSize).toBe(64)
    expect(backbone.imageTokens).toBe(16)
    expect(backbone.imagePreprocessing).toEqual({ size: 32, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], resample: "bicubic" })
    expect(backbone.tokenizer).toMatchObject({ vocabSize: 512, bosId: 2, eosId: 1, padId: 0 })
    expect(backbone.parameterGroups()).toEqual([])
  })

  it("tokenizes exactly like the Python tokenizer", () => {
    const examples = Object.entries(reference.tokenizer_examples)
    expect(examples.length).toBeGreaterThan(0)
    for (const [text, ids] of examples) {
      expect(backbone.tokenizer.encode(text)).toEqual(ids)
      expect(backbone.tokenizer.decode(ids)).toBe(text)
    }
  })

  it("encodes images to the reference image features within 1e-4", async () => {
    const features = await Effect.runPromise(backbone.encodeImages(floatOf(reference.pixel_values)))
    const expected = flatten(reference.image_features)
    expect(features.shape).toEqual(expected.shape)
    expect(features.shape).toEqual([2, 16, 64])
    expect(maxAbsDiff(features.data, expected.data)).toBeLessThan(1e-4)
  })

  it("embeds tokens to the reference embeddings within 1e-4", async () => {
    const { data, shape } = flatten(reference.input_ids)
    const embeds = await Effect.runPromise(backbone.embedTokens(Tensor.intTensor<"B L">(data, shape)))
    const expected = flatten(reference.inputs_embeds)
    expect(embeds.shape).toEqual([2, 7, 64])
    expect(maxAbsDiff(embeds.data, expected.data)).toBeLessThan(1e-4)
  })

  it("runs the decoder on [BOS, image, text] to the reference hidden states within 1e-4", async () => {
    const ids = flatten(reference.input_ids)
    const [B, L] = ids.shape as [number, number]
    const program = Effect.gen(function*() {
      const image = yield* backbone.encodeImages(floatOf(reference.pixel_values))
      const text = yield* backbone.embedTokens(Tensor.intTensor(ids.data, ids.shape))
      const n = image.shape[1]!
      const D = backbone.hiddenSize
      const T = L + n
      const sequence = new Float32Array(B * T * D)
      for (let b = 0; b < B; b++) {
        const row = sequence.subarray(b * T * D, (b + 1) * T * D)
        row.set(text.data.subarray(b * L * D, b * L * D + D), 0) // BOS
        row.set(image.data.subarray(b * n * D, (b + 1) * n * D), D) // image block right after BOS
        row.set(text.data.subarray(b * L * D + D, (b + 1) * L * D), (1 + n) * D) // the rest of the text
      }
      const mask = Tensor.intTensor<"B L">(new Int32Array(B * T).fill(1), [B, T])
      return yield* backbone.forward(Tensor.floatTensor(sequence, [B, T, D]), mask)
    })
    const hidden = await Effect.runPromise(program)
    const expected = flatten(reference.last_hidden_state)
    expect(hidden.shape).toEqual(expected.shape)
    expect(hidden.shape).toEqual([2, 23, 64])
    expect(maxAbsDiff(hidden.data, expected.data)).toBeLessThan(1e-4)
  })

  it("gives each batch row the same result as running it alone, in fresh buffers", async () => {
    const pixels = floatOf<"B 3 S S">(reference.pixel_values)
    const both = await Effect.runPromise(backbone.encodeImages(pixels))
    const per = 3 * 32 * 32
    const second = await Effect.runPromise(
      backbone.encodeImages(Tensor.floatTensor<"B 3 S S">(pixels.data.slice(per), [1, 3, 32, 32]))
    )
    expect(maxAbsDiff(second.data, both.data.subarray(16 * 64))).toBeLessThan(1e-5)
    const again = await Effect.runPromise(backbone.encodeImages(pixels))
    expect(again.data.buffer).not.toBe(both.data.buffer)
    expect(Array.from(again.data)).toEqual(Array.from(both.data))
  })

  it("answers concurrent calls on one backbone exactly like sequential ones", async () => {
    const inputs = Array.from({ length: 8 }, (_, k) =>
      Tensor.floatTensor<"B L D">(Float32Array.from({ length: 5 * 64 }, (_, i) => Math.sin(i * (k + 1))), [1, 5, 64])
    )
    const mask = Tensor.intTensor<"B L">([1, 1, 1, 1, 1], [1, 5])
    const [sequential, concurrent] = await Effect.runPromise(Effect.all([
      Effect.forEach(inputs, (x) => backbone.forward(x, mask)),
      Effect.forEach(inputs, (x) => backbone.forward(x, mask), { concurrency: "unbounded" })
    ]))
    for (const [i, out] of sequential.entries()) expect(Array.from(concurrent[i]!.data)).toEqual(Array.from(out.data))
  })

  it("divides image features by sqrt(D) when configured (older PaliGemma exports)", async () => {
    const features = await Effect.runPromise(
      Effect.scoped(
        Effect.flatMap(
          make({ modelDir: fixtureDir, imageFeatureScale: "inverse_sqrt_hidden" }),
          (scaled) => scaled.encodeImages(floatOf(reference.pixel_values))
        )
      )
    )
    const expected = flatten(reference.image_features).data.map((v) => v / 8)
    expect(maxAbsDiff(features.data, expected)).toBeLessThan(1e-5)
  })

  it("applies the prompt template before tokenizing", async () => {
    const ids = await Effect.runPromise(
      Effect.scoped(
        Effect.map(
          make({ modelDir: fixtureDir, promptTemplate: "open the {instruction}" }),
          (templated) => templated.tokenizer.encode("drawer")
        )
      )
    )
    expect(ids).toEqual(reference.tokenizer_examples["open the drawer"])
    const failure = await makeFailure({ modelDir: fixtureDir, promptTemplate: "no placeholder" })
    expect(failure.reason).toBe("InvalidInput")
    expect(failure.subject).toBe("promptTemplate")
  })

  it("rejects wrong shapes, NaNs and out-of-vocabulary ids with typed errors", async () => {
    const wrongSize = await Effect.runPromise(
      Effect.flip(backbone.encodeImages(Tensor.floatTensor(new Float32Array(3 * 16 * 16), [1, 3, 16, 16])))
    )
    expect(wrongSize.reason).toBe("ShapeMismatch")
    expect(wrongSize.message).toContain("[B, 3, 32, 32]")

    const nan = new Float32Array(3 * 32 * 32)
    nan[7] = Number.NaN
    const nonFinite = await Effect.runPromise(
      Effect.flip(backbone.encodeImages(Tensor.floatTensor(nan, [1, 3, 32, 32])))
    )
    expect(nonFinite.reason).toBe("NonFinite")

    const badId = await Effect.runPromise(Effect.flip(backbone.embedTokens(Tensor.intTensor([2, 512], [1, 2]))))
    expect(badId.reason).toBe("InvalidInput")
    expect(badId.message).toContain("512")

    const embeds = Tensor.floatTensor<"B L D">(new Float32Array(1 * 4 * 64), [1, 4, 64])
    const badMask = await Effect.runPromise(
      Effect.flip(backbone.forward(embeds, Tensor.intTensor([1, 1, 1], [1, 3])))
    )
    expect(badMask.reason).toBe("ShapeMismatch")
    expect(badMask.subject).toBe("attentionMask")

    const narrow = await Effect.runPromise(
      Effect.flip(backbone.forward(Tensor.floatTensor(new Float32Array(32), [1, 1, 32]), Tensor.intTensor([1], [1, 1])))
    )
    expect(narrow.reason).toBe("ShapeMismatch")
    expect(narrow.subject).toBe("inputsEmbeds")
  })

  it("fails with WeightsNotFound naming a missing .onnx file", async () => {
    const dir = brokenCopy((d) => fs.rmSync(path.join(d, "decoder.onnx")))
    tempDirs.push(dir)
    const failure = await makeFailure({ modelDir: dir })
    expect(failure._tag).toBe("SdkError")
    expect(failure.reason).toBe("WeightsNotFound")
    expect(failure.subject).toBe(path.join(dir, "decoder.onnx"))
    expect(failure.message).toContain("files.decoder")
  })

  it("fails with CorruptFile naming a corrupt .onnx file", async () => {
    const dir = brokenCopy((d) => fs.writeFileSync(path.join(d, "vision_encoder.onnx"), "this is not a protobuf"))
    tempDirs.push(dir)
    const failure = await makeFailure({ modelDir: dir })
    expect(failure.reason).toBe("CorruptFile")
    expect(failure.subject).toBe(path.join(dir, "vision_encoder.onnx"))
  })

  it("fails clearly on a missing or invalid config.json and on sizes that disagree with the graphs", async () => {
    const missing = await makeFailure({ modelDir: path.join(os.tmpdir(), "robovla-no-such-model") })
    expect(missing.reason).toBe("WeightsNotFound")
    expect(missing.message).toContain("config.json")

    const config = JSON.parse(fs.readFileSync(path.join(fixtureDir, "config.json"), "utf8")) as Record<string, unknown>
    const badField = brokenCopy((d) =>
      fs.writeFileSync(path.join(d, "config.json"), JSON.stringify({ ...config, hidden_size: "sixty-four" }))
    )
    const wrongWidth = brokenCopy((d) =>
      fs.writeFileSync(path.join(d, "config.json"), JSON.stringify({ ...config, hidden_size: 32 }))
    )
    const notJson = brokenCopy((d) => fs.writeFileSync(path.join(d, "config.json"), "{ nope"))
    tempDirs.push(badField, wrongWidth, notJson)

    const invalid = await makeFailure({ modelDir: badField })
    expect(invalid.reason).toBe("InvalidInput")
    expect(invalid.message).toContain("hidden_size")
    expect(invalid.subject).toBe(path.join(badField, "config.json"))

    const mismatch = await makeFailure({ modelDir: wrongWidth })
    expect(mismatch.reason).toBe("ShapeMismatch")
    expect(mismatch.message).toContain("hidden_size")

    const corrupt = await makeFailure({ modelDir: notJson })
    expect(corrupt.reason).toBe("CorruptFile")
  })

  describe("with hand-built graphs in place of the fixture's", () => {
    const D = 64
    const embeds: TinyValue = { name: "inputs_embeds", type: FLOAT, dims: ["batch", "seq", D] }
    const hidden: TinyValue = { name: "last_hidden_state", type: FLOAT, dims: ["batch", "seq", D] }
    const mask = (type: number): TinyValue => ({ name: "attention_mask", type, dims: ["batch", "seq"] })
    const withGraph = (file: string, nodes: ReadonlyArray<TinyNode>, inputs: ReadonlyArray<TinyValue>, outputs: ReadonlyArray<TinyValue>) => {
      const dir = brokenCopy((d) => fs.writeFileSync(path.join(d, file), tinyOnnxModel(nodes, inputs, outputs)))
      tempDirs.push(dir)
      return dir
    }
    const run = <A, E>(dir: string, use: (b: BackboneService) => Effect.Effect<A, E>) =>
      Effect.runPromise(Effect.scoped(Effect.flatMap(make({ modelDir: dir }), use)))
    const ones = (L: number) => Tensor.intTensor<"B L">(new Int32Array(L).fill(1), [1, L])

    it("reports NaN in a graph's output as NonFinite naming the file and output", async () => {
      const dir = withGraph(
        "decoder.onnx",
        [{ op: "Neg", inputs: ["inputs_embeds"], outputs: ["neg"] }, { op: "Sqrt", inputs: ["neg"], outputs: ["last_hidden_state"] }],
        [embeds, mask(INT64)],
        [hidden]
      )
      const failure = await run(dir, (b) =>
        Effect.flip(b.forward(Tensor.floatTensor<"B L D">(new Float32Array(2 * D).fill(1), [1, 2, D]), ones(2)))
      )
      expect(failure.reason).toBe("NonFinite")
      expect(failure.subject).toBe("decoder.onnx: last_hidden_state")
    })

    it("feeds int32 masks to graphs that declare them", async () => {
      const dir = withGraph(
        "decoder.onnx",
        [{ op: "Identity", inputs: ["inputs_embeds"], outputs: ["last_hidden_state"] }],
        [embeds, mask(6 /* INT32 */)],
        [hidden]
      )
      const input = Tensor.floatTensor<"B L D">(Float32Array.from({ length: 3 * D }, (_, i) => i / 100), [1, 3, D])
      const output = await run(dir, (b) => b.forward(input, ones(3)))
      expect(Array.from(output.data)).toEqual(Array.from(input.data))
    })

    it("rejects graphs with the wrong or extra inputs as CorruptFile, listing them", async () => {
      const renamed = withGraph(
        "decoder.onnx",
        [{ op: "Identity", inputs: ["embeds"], outputs: ["last_hidden_state"] }],
        [{ ...embeds, name: "embeds" }, mask(INT64)],
        [hidden]
      )
      const wrong = await Effect.runPromise(Effect.scoped(Effect.flip(make({ modelDir: renamed }))))
      expect(wrong.reason).toBe("CorruptFile")
      expect(wrong.message).toContain("has inputs [embeds, attention_mask]")

      const extra = withGraph(
        "decoder.onnx",
        [{ op: "Identity", inputs: ["inputs_embeds"], outputs: ["last_hidden_state"] }],
        [embeds, mask(INT64), { name: "position_ids", type: INT64, dims: ["batch", "seq"] }],
        [hidden]
      )
      const extraFailure = await Effect.runPromise(Effect.scoped(Effect.flip(make({ modelDir: extra }))))
      expect(extraFailure.reason).toBe("CorruptFile")
      expect(extraFailure.message).toContain("extra inputs [position_ids]")
    })

    it("rejects a graph whose inferred output dims disagree with config.json when it is opened", async () => {
      const dir = withGraph(
        "vision_encoder.onnx",
        [{ op: "Identity", inputs: ["pixel_values"], outputs: ["image_features"] }],
        [{ name: "pixel_values", type: FLOAT, dims: ["batch", 3, 32, 32] }],
        [{ name: "image_features", type: FLOAT }] // undeclared: onnxruntime infers [batch, 3, 32, 32]
      )
      const failure = await Effect.runPromise(Effect.scoped(Effect.flip(make({ modelDir: dir }))))
      expect(failure.reason).toBe("ShapeMismatch")
      expect(failure.subject).toBe("vision_encoder.onnx: output image_features")
      expect(failure.message).toContain("image_token_count/hidden_size expects [*, 16, 64]")
    })
  })

  it("releases its sessions when the Scope closes; later calls fail with Released", async () => {
    const before = liveSessionCount()
    const own = await Effect.runPromise(Scope.make())
    const temporary = await Effect.runPromise(make({ modelDir: fixtureDir }).pipe(Scope.provide(own)))
    await Effect.runPromise(temporary.embedTokens(Tensor.intTensor([2, 1], [1, 2])))
    expect(liveSessionCount()).toBe(before + 3)
    await Effect.runPromise(Scope.close(own, Exit.void))
    expect(liveSessionCount()).toBe(before)
    const failure = await Effect.runPromise(Effect.flip(temporary.embedTokens(Tensor.intTensor([2, 1], [1, 2]))))
    expect(failure.reason).toBe("Released")
  })

  it("uses a non-CPU execution provider only when it can, else fails with EngineUnavailable", async () => {
    // Either the machine has CUDA binaries for onnxruntime-node (then make succeeds) or it fails with a typed error.
    const result = await Effect.runPromise(
      Effect.scoped(Effect.result(make({ modelDir: fixtureDir, executionProvider: "cuda" })))
    )
    if (Result.isFailure(result)) {
      expect(result.failure.reason).toBe("EngineUnavailable")
      expect(result.failure.message).toContain("cuda")
    } else {
      expect(result.success.hiddenSize).toBe(64)
    }
  })

  it("exports a manifest the loader can use", () => {
    expect(plugin.kind).toBe("backbone")
    expect(plugin.name).toBe("onnx")
    expect(plugin.contractVersion).toBe("robovla.backbone/v1")
    expect(plugin.defaultConfig.modelDir).toBeTypeOf("string")
  })
})
