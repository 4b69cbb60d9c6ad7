/**
 * Re-targets a pre-trained tiny-vlm weights folder to larger images with the same token grid (see the plugin's
 * `resizePatchEmbedding`): 32 px / patch 8 → 64 px / patch 16 with `--factor 2`. The output folder loads with
 * `robovla train --backbone-weights <out>`; train it with the matching backbone config
 * (`"backboneConfig": {"imageSize": 64, "patchSize": 16}`), printed at the end.
 *
 *   npx tsx packages/train/experiments/resize-backbone.ts --from models/tiny-vlm-pretrained --factor 2 --out runs/tiny-vlm-64
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { parseArgs } from "node:util"
import { readWeights, resizePatchEmbedding, type TinyVlmConfig } from "@robovla/backbone-tiny-vlm"
import { Safetensors } from "@robovla/sdk"

const { values } = parseArgs({ options: { from: { type: "string" }, factor: { type: "string", default: "2" }, out: { type: "string" } } })
if (values.from === undefined || values.out === undefined) {
  console.error("usage: resize-backbone.ts --from <backbone weights folder> --factor K --out <folder>")
  process.exit(2)
}
const manifestFile = path.join(values.from, "backbone.json")
if (!fs.existsSync(manifestFile)) {
  console.error(`no backbone weights folder at ${values.from} (it needs backbone.json and backbone.safetensors)`)
  process.exit(2)
}
const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as { config: TinyVlmConfig } & Record<string, unknown>
const weights = Object.fromEntries(readWeights(path.join(values.from, "backbone.safetensors")))
const resized = (() => {
  try {
    return resizePatchEmbedding(weights, manifest.config, Number(values.factor))
  } catch (error) {
    // The plugin's typed error already says what is wrong; a stack trace adds nothing for a command-line user.
    console.error(`cannot resize ${values.from}: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(2)
  }
})()
const bytes = Safetensors.writeSafetensorsSync(new Map(Object.entries(resized.weights)), {
  format: "robovla.backbone-weights/v1",
  backbone: "tiny-vlm",
  config: JSON.stringify(resized.config)
})
fs.mkdirSync(values.out, { recursive: true })
fs.writeFileSync(path.join(values.out, "backbone.safetensors"), bytes)
fs.writeFileSync(path.join(values.out, "backbone.json"), JSON.stringify({
  ...manifest,
  config: resized.config,
  weights: { file: "backbone.safetensors", bytes: bytes.length, sha256: crypto.createHash("sha256").update(bytes).digest("hex") },
  resizedFrom: { folder: values.from, factor: Number(values.factor) }
}, null, 2) + "\n")
console.log(`wrote ${values.out}: ${resized.config.imageSize} px, patch ${resized.config.patchSize} (from ${manifest.config.imageSize} px, patch ${manifest.config.patchSize})`)
console.log(`train it with "backboneConfig": ${JSON.stringify({ imageSize: resized.config.imageSize, patchSize: resized.config.patchSize })}`)
