// Attention: one (B·H)-batched product vs the per-head loop, interleaved A/B in one process, forward and forward+backward,
// on the kit's backend and kernels (ROBOVLA_FAST_KERNELS=0 for stock). Run: `npm run bench` in this package.
import * as tf from "@tensorflow/tfjs-core"
import { initTfjs } from "@robovla/tfjs"
import { attendBatched, attendPerHead } from "../src/Attention.ts"
const setup = await initTfjs(process.argv[2] ? { backend: process.argv[2] as "wasm" | "cpu" } : {})
console.log(setup.summary)
for (const [b, l, c, h] of [[8, 80, 64, 4], [8, 16, 64, 2], [16, 80, 128, 4]] as const) {
  const qkv = tf.randomNormal([b, l, 3 * c])
  const bias = tf.tile(tf.reshape(tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([l, l]), -1, 0)), -1e9), [1, l, l]), [b, 1, 1])
  const fwd = (f: typeof attendBatched) => () => tf.tidy(() => f(qkv, h, bias).dataSync())
  const bwd = (f: typeof attendBatched) => () => tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.square(f(x, h, bias))))(qkv).dataSync())
  const time = (fn: () => unknown) => { const t = performance.now(); fn(); return performance.now() - t }
  for (const [name, mk] of [["forward", fwd], ["fwd+bwd", bwd]] as const) {
    const a: number[] = [], p: number[] = []
    for (let i = 0; i < 3; i++) { mk(attendBatched)(); mk(attendPerHead)() }
    for (let i = 0; i < 15; i++) { a.push(time(mk(attendBatched))); p.push(time(mk(attendPerHead))) }
    const med = (x: number[]) => x.sort((u, v) => u - v)[x.length >> 1]!
    console.log(`B${b} L${l} C${c} H${h} ${name}: batched ${med(a).toFixed(2)} ms, per-head ${med(p).toFixed(2)} ms, per-head/batched ${(med(p) / med(a)).toFixed(2)}x`)
  }
}
