import * as tf from "@tensorflow/tfjs-core"
import { ComputeEngine } from "@robovla/sdk"
import { Effect } from "effect"
import { make, defaultConfig } from "./src/index.ts"
await ComputeEngine.selectBackend()
await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
  const bb = yield* make(defaultConfig)
  for (const b of [1, 8]) {
    const px = { data: new Float32Array(b * 3 * 32 * 32).fill(0.1), shape: [b, 3, 32, 32] }
    const L = 30
    const e = { data: new Float32Array(b * L * 64).fill(0.01), shape: [b, L, 64] }
    const m = { data: new Int32Array(b * L).fill(1), shape: [b, L] }
    const t = { enc: 0, fwd: 0 }
    for (let i = 0; i < 25; i++) {
      const t0 = performance.now(); yield* bb.encodeImages(px); const t1 = performance.now(); yield* bb.forward(e, m); const t2 = performance.now()
      if (i >= 5) { t.enc += (t1 - t0) / 20; t.fwd += (t2 - t1) / 20 }
    }
    console.log(tf.getBackend(), "B", b, "encode", t.enc.toFixed(2), "forward", t.fwd.toFixed(2))
  }
  for (const [name, fn] of [["forward", () => bb.model.forward(tf.zeros([8, 30, 64]), tf.ones([8, 30], "int32"))], ["encode", () => bb.model.encodeImages(tf.zeros([8, 3, 32, 32]))]] as const) {
    const prof = yield* Effect.promise(() => tf.profile(() => { const r = fn(); r.dispose() }))
    const by = new Map<string, number>()
    for (const k of prof.kernels) by.set(k.name, (by.get(k.name) ?? 0) + (k.kernelTimeMs as number))
    console.log(name, [...by].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k}:${v.toFixed(2)}`).join(" "))
  }
})))
