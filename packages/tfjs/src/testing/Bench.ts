/**
 * A small benchmark harness for tfjs heads (`@robovla/tfjs/bench`), used by each head package's `bench`
 * script: make time, parameter count, whole-window `predict` and one stepper `step` latency (median of runs)
 * on the kit's tfjs backend (`initTfjs`), under plain `tsx`.
 *
 * @since 0.1.0
 */
import * as os from "node:os"
import { performance } from "node:perf_hooks"
import * as tf from "@tensorflow/tfjs-core"
import { AsyncScope, type HeadDimensions } from "@robovla/sdk"
import { Effect, type Scope } from "effect"
import type { SdkError } from "@robovla/sdk"
import type { TfPolicyHead } from "../TfHead.ts"
import { makeRng } from "../Rng.ts"
import { initTfjs } from "../TfjsEngine.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface BenchCase<C> {
  readonly label: string
  readonly make: (config: C, dimensions: HeadDimensions) => Effect.Effect<TfPolicyHead, SdkError, Scope.Scope>
  readonly config: C
  readonly dimensions: HeadDimensions
  readonly batch: number
  readonly runs: number
}

const median = (values: Array<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const random = (seed: number, shape: ReadonlyArray<number>) => {
  const rng = makeRng(seed)
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1))
  for (let i = 0; i < data.length; i++) data[i] = rng.normal()
  return { data, shape: [...shape] }
}

/**
 * Runs one case and returns a markdown table row.
 *
 * @since 0.1.0
 * @category bench
 */
export const benchCase = async <C>(bench: BenchCase<C>): Promise<string> => {
  const { batch, dimensions, runs } = bench
  const { inputSize, latent, windowSize } = dimensions
  const scope = AsyncScope.make()
  const madeAt = performance.now()
  const head = await scope.run(bench.make(bench.config, dimensions))
  const makeMs = performance.now() - madeAt
  const parameters = head.variables().reduce((a, v) => a + v.size, 0)
  const window = random(1, [batch, windowSize, latent, inputSize])
  await Effect.runPromise(head.predict(window)) // warm-up
  const predictMs: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await Effect.runPromise(head.predict(window))
    predictMs.push(performance.now() - start)
  }
  const stepper = head.stepper()
  const frame = random(2, [batch, latent, inputSize])
  for (let i = 0; i < windowSize; i++) await Effect.runPromise(stepper.step(frame)) // fill the history
  const stepMs: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await Effect.runPromise(stepper.step(frame))
    stepMs.push(performance.now() - start)
  }
  const tensors = tf.memory().numTensors
  await scope.close()
  const dims = `D ${inputSize}, latent ${latent}, W ${windowSize}, N ${dimensions.chunkSize}, B ${batch}`
  return `| ${bench.label} | ${dims} | ${(parameters / 1e6).toFixed(2)} M | ${makeMs.toFixed(0)} ms | ` +
    `${median(predictMs).toFixed(1)} ms | ${median(stepMs).toFixed(1)} ms | ${tensors} |`
}

/**
 * Runs the cases and prints a markdown table with the machine and backend.
 *
 * @since 0.1.0
 * @category bench
 */
export const runBench = async (title: string, cases: ReadonlyArray<BenchCase<any>>): Promise<void> => {
  const engine = await initTfjs()
  console.log(`## ${title}`)
  console.log(`tfjs ${tf.version_core} backend ${engine.selection.backend}${engine.kernels === undefined ? "" : ` (${engine.kernels})`}; ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}; Node ${process.version}\n`)
  console.log("| case | dims | params | make | predict (median) | step (median, full history) | live tensors |")
  console.log("|---|---|---|---|---|---|---|")
  for (const bench of cases) console.log(await benchCase(bench))
}
