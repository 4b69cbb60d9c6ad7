/**
 * `npx tsx bench/act.ts`: the tiny-vlm + LSTM policy's `act()` p50 at batch 1 and 8 on the fast kernels (the act
 * rows of `bench.ts` without the training parts), against the same policy whose head re-runs the window for every
 * call and policy (the SDK's window stepper over `predict`: what the LSTM stepper did before its staggered runs and
 * `stepMany`), in one process and interleaved, so the ratio holds on a loaded machine.
 * ROBOVLA_BENCH_ACT_RUNS (default 30).
 */
import * as tf from "@tensorflow/tfjs-core"
import { PolicyHead } from "@robovla/sdk"
import { Effect, Scope } from "effect"
import { useFastKernels } from "../src/kernels/index.ts"
import type { TfPolicyHead } from "../src/TfHead.ts"
import { initTfjs } from "../src/TfjsEngine.ts"
import { closeParts, importPolicyPlugins, makeActLatency, makePolicyParts } from "./PolicyBench.ts"
import { envInt, load, ms, summarise } from "./Timing.ts"

const runs = envInt("ROBOVLA_BENCH_ACT_RUNS", 30)
const setup = await initTfjs()
useFastKernels(tf.getBackend())
console.log(setup.summary)
const plugins = await importPolicyPlugins()
if (typeof plugins === "string") throw new Error(plugins)
const parts = await makePolicyParts(plugins)
try {
  const { head } = parts
  // The same weights behind the SDK's default stepper: predict over the last W frames, one policy at a time.
  const rerun = await Effect.runPromise(
    PolicyHead.make({ name: head.name, kind: head.kind, dimensions: head.dimensions, predict: (lrn) => head.predict(lrn) }).pipe(Scope.provide(parts.scope))
  )
  const now = await makeActLatency(parts)
  const before = await makeActLatency({ ...parts, head: { ...head, stepper: rerun.stepper, stepMany: undefined } as unknown as TfPolicyHead })
  for (const b of [1, 8]) {
    const n = b === 1 ? runs : Math.max(10, Math.round(runs / 3))
    // Each variant's policies with a full window, then one timed call of each per round, alternating the order.
    const calls: Record<"now" | "before", () => Promise<unknown>> = { now: () => Promise.resolve(), before: () => Promise.resolve() }
    await now(b, 0, 0, (f) => (calls.now = f))
    await before(b, 0, 0, (f) => (calls.before = f))
    const samples = { now: [] as Array<number>, before: [] as Array<number> }
    for (let i = -2; i < n; i++) {
      for (const which of i % 2 === 0 ? (["now", "before"] as const) : (["before", "now"] as const)) {
        const t0 = performance.now()
        await calls[which]()
        if (i >= 0) samples[which].push(performance.now() - t0)
      }
    }
    const a = summarise(samples.before), c = summarise(samples.now)
    console.log(`act() batch ${b}: before (window re-run per policy) p50 ${ms(a.p50)} ms, now p50 ${ms(c.p50)} ms (p90 ${ms(c.p90)}, min ${ms(Math.min(...c.samples))}); ratio ${(a.p50 / c.p50).toFixed(1)}x; load ${load()}`)
  }
} finally {
  await closeParts(parts)
}
