/**
 * `npx tsx bench/kernel-shapes.ts`: per-call time (minimum over runs: robust on a shared machine) of the kernel
 * shapes that lead the reference transformer's (and the discrete head's) profile, on the stock and the fast kernels.
 */
import * as tf from "@tensorflow/tfjs-core"
import { useFastKernels, useStockKernels } from "../src/kernels/index.ts"
import { initTfjs } from "../src/TfjsEngine.ts"

await initTfjs()
const backend = tf.getBackend()
const r = (shape: Array<number>) => tf.randomUniform(shape, -1, 1)
const cases: Array<[string, () => tf.Tensor | Array<tf.Tensor>]> = []
const add = (name: string, f: () => tf.Tensor | Array<tf.Tensor>) => cases.push([name, f])
const x1280 = r([1280, 128]), g128 = r([128]), s = tf.scalar(0.9), w512 = r([512, 128]), col = r([1280, 1])
const qkv = r([16, 80, 3, 4, 32]), split = r([3, 64, 80, 32]), att = r([64, 80, 80]), v = r([64, 80, 32]), h512 = r([1280, 512])
add("Multiply [1280,128]·[128]", () => tf.mul(x1280, g128))
add("Multiply [512,128]·scalar", () => tf.mul(w512, s))
add("Add [512,128]+scalar", () => tf.add(w512, s))
add("RealDiv [1280,128]/[1280,1]", () => tf.div(x1280, col))
add("Sub [1280,128]-[1280,1]", () => tf.sub(x1280, col))
add("Multiply same [1280,128]", () => tf.mul(x1280, x1280))
add("Sum [1280,128] axis 0", () => tf.sum(x1280, 0))
add("Sum [1280,512] axis 0", () => tf.sum(h512, 0))
add("Sum [1280,128] axis 1", () => tf.sum(x1280, 1))
add("Square [512,128]", () => tf.square(w512))
add("Transpose qkv [2,0,3,1,4]", () => tf.transpose(qkv, [2, 0, 3, 1, 4]))
add("Unpack [3,64,80,32]", () => tf.unstack(split))
add("Softmax [64,80,80]", () => tf.softmax(att))
add("BMM [64,80,80]·[64,80,32]", () => tf.matMul(att, v))
add("BMM [64,80,80]ᵀ·[64,80,32]", () => tf.matMul(att, v, true, false))
add("BMM [64,80,32]·[64,80,32]ᵀ", () => tf.matMul(v, v, false, true))
add("BMM [1280,512]·[512,128]", () => tf.matMul(h512, w512))
// the discrete head's arm / gripper split of its (B, T, N, 7, bins) logits at W 8 × batch 8
const bins = r([8, 8, 10, 7, 256])
add("Slice arm [8,8,10,7→6,256]", () => tf.slice(bins, [0, 0, 0, 0, 0], [8, 8, 10, 6, 256]))
add("Slice gripper [8,8,10,7→1,256]", () => tf.slice(bins, [0, 0, 0, 6, 0], [8, 8, 10, 1, 256]))
const runs = Number(process.argv[2] ?? 15)
for (const mode of ["stock", "fast"]) {
  if (mode === "stock") useStockKernels(backend)
  else useFastKernels(backend)
  for (const [name, f] of cases) {
    let best = Infinity
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now()
      const out = f()
      best = Math.min(best, performance.now() - t0)
      tf.dispose(out)
    }
    console.log(`${mode.padEnd(6)} ${name.padEnd(32)} ${best.toFixed(3)} ms`)
  }
}
