import { Schema } from "effect"
import { describe, it } from "vitest"
import { Config, plugin } from "../src/index.ts"

// The SDK's conformance kit (`@robovla/sdk/testing`) is written in parallel; run it when it is there.
const kitModule: string = "@robovla/sdk/testing"
const kit = (await import(kitModule).catch(() => undefined)) as { conformanceSuite?: Function } | undefined
const conformanceSuite = kit?.conformanceSuite
if (conformanceSuite === undefined) console.warn("@robovla/sdk/testing has no conformanceSuite yet: conformance test skipped")

const tiny = Schema.decodeUnknownSync(Config)({ hidden_size: 5, mlp_widths: [16, 8], seed: 7 })
const dimensions = { inputSize: 12, windowSize: 3, chunkSize: 2, latent: 2 }

describe.skipIf(conformanceSuite === undefined)("mlp head: SDK conformance", () => {
  if (conformanceSuite === undefined) it("skipped", () => {})
  else conformanceSuite({ plugin, config: tiny, dimensions })
})
