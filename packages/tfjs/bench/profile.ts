/**
 * `npx tsx bench/profile.ts [transformer|policy|act]`: `tf.profile` of one training step (or, for `act`, of one
 * `act()` call of the tiny-vlm + LSTM policy at batch 1 and at batch 8, window full) on the fast kernels (stock
 * with ROBOVLA_FAST_KERNELS=0), kernel time summed per kernel name, largest first. What the README's "what is
 * left" lists comes from here.
 */
import * as tf from "@tensorflow/tfjs-core"
import { initTfjs } from "../src/TfjsEngine.ts"
import { closeParts, importPolicyPlugins, makeActLatency, makePolicyParts, makeTrainingStep } from "./PolicyBench.ts"
import { makeTransformer } from "./ReferenceTransformer.ts"

const which = process.argv[2] ?? "transformer"
const setup = await initTfjs()
console.log(setup.summary)
console.log(setup.kernels ?? "stock kernels")

const profileStep = async (step: () => unknown): Promise<void> => {
  await step()
  await step()
  const t0 = performance.now()
  await step()
  const wall = performance.now() - t0
  const info = await tf.profile(async () => {
    await step()
  })
  const byName = new Map<string, { ms: number; calls: number }>()
  for (const kernel of info.kernels) {
    const entry = byName.get(kernel.name) ?? { ms: 0, calls: 0 }
    entry.ms += kernel.kernelTimeMs as number
    entry.calls++
    byName.set(kernel.name, entry)
  }
  const total = [...byName.values()].reduce((n, e) => n + e.ms, 0)
  console.log(`step wall ${wall.toFixed(1)} ms; kernels ${total.toFixed(1)} ms in ${info.kernels.length} calls`)
  for (const [name, e] of [...byName].sort((x, y) => y[1].ms - x[1].ms).slice(0, 25)) {
    console.log(`${name.padEnd(24)} ${e.ms.toFixed(1).padStart(8)} ms ${String(e.calls).padStart(5)} calls`)
  }
  if (process.env["ROBOVLA_PROFILE_SHAPES"] !== undefined) {
    const byShape = new Map<string, { ms: number; calls: number }>()
    for (const kernel of info.kernels) {
      const key = `${kernel.name} ${JSON.stringify(kernel.inputShapes)}`
      const entry = byShape.get(key) ?? { ms: 0, calls: 0 }
      entry.ms += kernel.kernelTimeMs as number
      entry.calls++
      byShape.set(key, entry)
    }
    console.log("\nby kernel and input shapes:")
    for (const [key, e] of [...byShape].sort((x, y) => y[1].ms - x[1].ms).slice(0, 40)) {
      console.log(`${e.ms.toFixed(2).padStart(8)} ms ${String(e.calls).padStart(4)}x  ${key}`)
    }
  }
}

if (which === "transformer") {
  const model = makeTransformer()
  await profileStep(model.step)
  model.dispose()
} else if (which === "act") {
  const plugins = await importPolicyPlugins()
  if (typeof plugins === "string") throw new Error(plugins)
  const parts = await makePolicyParts(plugins)
  const act = await makeActLatency(parts)
  for (const batch of [1, 8]) {
    console.log(`\n## act() batch ${batch}`)
    // makeActLatency fills the window before timing; act(batch, 0, 0, expose) only fills the window and hands over the one-call function.
    let call: () => Promise<unknown> = () => Promise.resolve()
    await act(batch, 0, 0, (f) => (call = f))
    await profileStep(() => call())
  }
  await closeParts(parts)
} else {
  const plugins = await importPolicyPlugins()
  if (typeof plugins === "string") throw new Error(plugins)
  const parts = await makePolicyParts(plugins)
  const training = makeTrainingStep(parts, 2)
  await profileStep(training.step)
  training.dispose()
  await closeParts(parts)
}
