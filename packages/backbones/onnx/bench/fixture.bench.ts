/**
 * Latency of the ONNX backbone on the tiny PaliGemma fixture (CPU): make() (three sessions), encodeImages,
 * embedTokens and forward over the RoboVLMs layout [BOS, 16 image tokens, text]. Run: `npm run bench`.
 */
import { Effect } from "effect"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Tensor } from "@robovla/sdk"
import { make } from "../src/index.ts"

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url))
const modelDir = path.resolve(repoRoot, "../shared/fixtures/tiny-paligemma-onnx")

const time = async (label: string, iterations: number, run: () => Promise<unknown>) => {
  for (let i = 0; i < 5; i++) await run()
  const start = performance.now()
  for (let i = 0; i < iterations; i++) await run()
  const ms = (performance.now() - start) / iterations
  console.log(`${label.padEnd(34)} ${ms.toFixed(3)} ms/call`)
}

const program = Effect.scoped(Effect.gen(function*() {
  const t0 = performance.now()
  const backbone = yield* make({ modelDir })
  console.log(`${"make (3 sessions + tokenizer)".padEnd(34)} ${(performance.now() - t0).toFixed(1)} ms`)
  const S = backbone.imagePreprocessing.size
  const D = backbone.hiddenSize
  for (const B of [1, 8]) {
    const pixels = Tensor.floatTensor<"B 3 S S">(new Float32Array(B * 3 * S * S).fill(0.1), [B, 3, S, S])
    const ids = Tensor.intTensor<"B L">(Array.from({ length: B * 12 }, (_, i) => 4 + (i % 400)), [B, 12])
    const T = 1 + backbone.imageTokens + 12
    const embeds = Tensor.floatTensor<"B L D">(new Float32Array(B * T * D).fill(0.01), [B, T, D])
    const mask = Tensor.intTensor<"B L">(new Int32Array(B * T).fill(1), [B, T])
    yield* Effect.promise(() => time(`encodeImages B=${B}`, 200, () => Effect.runPromise(backbone.encodeImages(pixels))))
    yield* Effect.promise(() => time(`embedTokens B=${B} L=12`, 200, () => Effect.runPromise(backbone.embedTokens(ids))))
    yield* Effect.promise(() => time(`forward B=${B} T=${T}`, 200, () => Effect.runPromise(backbone.forward(embeds, mask))))
  }
  yield* Effect.promise(() => time("tokenizer.encode", 2000, async () => backbone.tokenizer.encode("open the drawer")))
}))

Effect.runPromise(program).catch((error) => {
  console.error(error)
  process.exit(1)
})
