/**
 * `npm run bench -w @robovla/tfjs`: the fast kernels against tfjs' stock kernels, in one process, and PyTorch CPU.
 *
 * 1. Reference transformer (issue 10: 4 layers, d 128, batch 16, sequence 80, 0.79 M parameters), one Adam
 *    training step: stock vs fast kernels on the selected backend (wasm on the project machines), and the fast
 *    kernels with the fused ops (layer norm, softmax, Adam) switched off.
 * 2. The same model in PyTorch CPU (`reference_transformer.py`) with the same thread count (and with one thread), when
 *    a Python with `torch` is found (`ROBOVLA_PYTHON`, `python3`, `/usr/bin/python3`). Ratios at p50 and at the best
 *    step of each side (the best step is the least disturbed by other jobs on a shared machine).
 * 3. The default tiny-vlm + LSTM policy: one training step (2 windows × 8 frames) and `act()` p50 at batch 1 / 8,
 *    stock vs fast, when those plugins are importable.
 *
 * Env: ROBOVLA_BENCH_STEPS (timed fast steps, default 10), ROBOVLA_BENCH_STOCK_STEPS (default 2),
 * ROBOVLA_BENCH_ACT_RUNS (default 30), ROBOVLA_KERNEL_THREADS (GEMM threads, default all cores),
 * ROBOVLA_BENCH_SKIP=torch,policy to leave parts out. Absolute times on a shared machine are noisy: the load
 * average is printed with each part, and ratios come from runs in the same process.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as tf from "@tensorflow/tfjs-core"
import { useFastKernels, useFusedOps, useStockKernels } from "../src/kernels/index.ts"
import { kernelThreads } from "../src/kernels/MlasEngine.ts"
import { initTfjs } from "../src/TfjsEngine.ts"
import { closeParts, importPolicyPlugins, makeActLatency, makePolicyParts, makeTrainingStep } from "./PolicyBench.ts"
import { makeTransformer, referenceConfig } from "./ReferenceTransformer.ts"
import { envInt, load, ms, summarise, time, type Timed } from "./Timing.ts"

const here = path.dirname(fileURLToPath(import.meta.url))
const steps = envInt("ROBOVLA_BENCH_STEPS", 10)
const stockSteps = envInt("ROBOVLA_BENCH_STOCK_STEPS", 2)
const actRuns = envInt("ROBOVLA_BENCH_ACT_RUNS", 30)
const skip = new Set((process.env["ROBOVLA_BENCH_SKIP"] ?? "").split(",").map((s) => s.trim()))
const threads = kernelThreads()

const setup = await initTfjs()
const backend = tf.getBackend()
console.log(`# @robovla/tfjs bench`)
console.log(`${os.cpus()[0]?.model ?? "?"}, ${os.availableParallelism()} cores, ${os.arch()}, Node ${process.version}`)
console.log(`${setup.summary}`)
console.log(`fast: ${useFastKernels(backend).description}; GEMM threads ${threads}`)

const rows: Array<string> = []
const row = (...cells: Array<string | number>) => rows.push(`| ${cells.join(" | ")} |`)

const stepTimes = async (label: string, make: () => { step: () => number; dispose: () => void }, warmup: number, runs: number): Promise<{ timed: Timed; losses: Array<number> }> => {
  const model = make()
  const losses: Array<number> = []
  const timed = await time(() => losses.push(model.step()), warmup, runs)
  model.dispose()
  console.log(`  ${label}: p50 ${ms(timed.p50)} ms (${timed.samples.map(ms).join(", ")}), load ${load()}`)
  return { timed, losses }
}

// 1. reference transformer ------------------------------------------------------------------------------------
const batch = referenceConfig.batch
console.log(`\n## reference transformer (${makeTransformer().parameterCount} parameters, batch ${batch} × ${referenceConfig.sequence}), Adam step`)
useStockKernels(backend)
const refStock = await stepTimes(`stock ${backend}`, () => makeTransformer(), 1, stockSteps)
useFastKernels(backend)
// The fast kernels without the fused ops (layer norm, softmax, Adam composed from tfjs ops), for what fusion gives.
useFusedOps(false)
const refUnfused = await stepTimes(`fast ${backend}, fused ops off`, () => makeTransformer(), 2, Math.max(3, Math.round(steps / 2)))
useFusedOps(true)
const refFast = await stepTimes(`fast ${backend}`, () => makeTransformer(), 2, steps)
const lossGap = refStock.losses.reduce((m, l, i) => Math.max(m, Math.abs(l - refFast.losses[i]!) / l), 0)
console.log(`  same loss curve: max relative gap over the first ${refStock.losses.length} steps ${lossGap.toExponential(1)}`)
const sps = (t: Timed) => (batch / (t.p50 / 1000)).toFixed(1)
row("reference transformer train step", `tfjs ${backend} stock`, ms(refStock.timed.p50), sps(refStock.timed), "1.00x")
row("reference transformer train step", `tfjs ${backend} fast, fused ops off`, ms(refUnfused.timed.p50), sps(refUnfused.timed), `${(refStock.timed.p50 / refUnfused.timed.p50).toFixed(1)}x`)
row("reference transformer train step", `tfjs ${backend} fast`, ms(refFast.timed.p50), sps(refFast.timed), `${(refStock.timed.p50 / refFast.timed.p50).toFixed(1)}x`)

// 2. PyTorch ---------------------------------------------------------------------------------------------------
const findPython = (): string | undefined => {
  const candidates = [process.env["ROBOVLA_PYTHON"], "python3", "/usr/bin/python3"].filter((c): c is string => c !== undefined && c !== "")
  return candidates.find((c) => spawnSync(c, ["-c", "import torch"], { stdio: "ignore" }).status === 0)
}
/**
 * Debian's python3-torch does its GEMMs in OpenBLAS, whose CPU detection falls back to the generic Prescott kernels
 * on CPUs it does not know (this VM's "Intel Xeon Processor"), 7× slower. Name the core from the CPU flags so
 * PyTorch gets its real speed, unless the caller set OPENBLAS_CORETYPE.
 */
const openblasCore = (): string | undefined => {
  if (process.env["OPENBLAS_CORETYPE"] !== undefined) return process.env["OPENBLAS_CORETYPE"]
  const flags = fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : ""
  return /\bavx512f\b/.test(flags) ? "SkylakeX" : /\bavx2\b/.test(flags) ? "Haswell" : undefined
}
/**
 * Debian's python3-torch links the system libblas.so.3, and installing it alone pulls the netlib reference BLAS
 * (measured here: a 1,050 ms step instead of ~100 ms), which no one would call PyTorch's speed. Say so.
 */
const systemBlasWarning = (): string | undefined => {
  const link = "/usr/lib/x86_64-linux-gnu/libblas.so.3"
  if (!fs.existsSync(link)) return undefined
  const target = fs.realpathSync(link)
  return /openblas|mkl|blis|atlas/i.test(target)
    ? undefined
    : `  warning: the system BLAS is ${target} (the netlib reference), so Debian's PyTorch runs 10x below its speed: apt-get install libopenblas0-pthread`
}
const best = (t: Timed) => Math.min(...t.samples)
if (!skip.has("torch")) {
  const python = findPython()
  if (python === undefined) {
    console.log(`\n## PyTorch: no Python with torch found (apt-get install python3-torch, or set ROBOVLA_PYTHON)`)
  } else {
    const core = openblasCore()
    const blasWarning = python === "/usr/bin/python3" || python === "python3" ? systemBlasWarning() : undefined
    if (blasWarning !== undefined) console.log(`\n${blasWarning}`)
    // Also one thread when the kernels use more: on a loaded machine PyTorch's OpenMP threads wait on each other
    // (measured here: 2 threads slower than 1 at load 10), so the single-thread figure is the fairer baseline there.
    for (const torchThreads of threads > 1 ? [threads, 1] : [threads]) {
      console.log(`\n## PyTorch CPU (${python}, ${torchThreads} thread${torchThreads === 1 ? "" : "s"}${core === undefined ? "" : `, OPENBLAS_CORETYPE=${core}`}), same model and step`)
      const result = spawnSync(python, [path.join(here, "reference_transformer.py"), String(torchThreads), String(steps + 2)], {
        encoding: "utf8",
        env: { ...process.env, ...(core === undefined ? {} : { OPENBLAS_CORETYPE: core }) }
      })
      const line = result.stdout.trim().split("\n").at(-1) ?? ""
      try {
        const parsed = JSON.parse(line) as { torch: string; threads: number; params: number; ms: Array<number> }
        const torchTimed = summarise(parsed.ms.slice(2))
        console.log(`  torch ${parsed.torch}, ${parsed.params} parameters: p50 ${ms(torchTimed.p50)} ms (${torchTimed.samples.map(ms).join(", ")}), load ${load()}`)
        row("reference transformer train step", `PyTorch ${parsed.torch} CPU, ${parsed.threads} thread${parsed.threads === 1 ? "" : "s"}`, ms(torchTimed.p50), sps(torchTimed), `${(refStock.timed.p50 / torchTimed.p50).toFixed(1)}x`)
        console.log(
          `  tfjs fast / PyTorch (${parsed.threads} thread${parsed.threads === 1 ? "" : "s"}) samples/s: p50 ${(torchTimed.p50 / refFast.timed.p50).toFixed(2)}x, best step ${(best(torchTimed) / best(refFast.timed)).toFixed(2)}x (${ms(best(refFast.timed))} vs ${ms(best(torchTimed))} ms; target ≥ 1.0x)`
        )
      } catch {
        console.log(`  PyTorch run failed: ${(result.stderr || line).trim().split("\n").slice(-3).join(" / ")}`)
      }
    }
  }
}

// 3. tiny-vlm + LSTM -------------------------------------------------------------------------------------------
if (!skip.has("policy")) {
  const plugins = await importPolicyPlugins()
  if (typeof plugins === "string") {
    console.log(`\n## tiny-vlm + LSTM: skipped, ${plugins}`)
  } else {
    const parts = await makePolicyParts(plugins)
    try {
      const windows = 2
      const training = makeTrainingStep(parts, windows)
      training.dispose()
      console.log(`\n## tiny-vlm + LSTM (CALVIN size) policy, ${training.parameters} trainable parameters`)
      console.log(`training step, ${windows} windows × 8 frames:`)
      useStockKernels(backend)
      const trainStock = await stepTimes(`stock ${backend}`, () => makeTrainingStep(parts, windows), 1, stockSteps)
      useFastKernels(backend)
      const trainFast = await stepTimes(`fast ${backend}`, () => makeTrainingStep(parts, windows), 1, Math.max(3, Math.round(steps / 2)))
      const speedup = `${(trainStock.timed.p50 / trainFast.timed.p50).toFixed(1)}x`
      row("tiny-vlm + LSTM train step (2×8 frames)", `tfjs ${backend} stock`, ms(trainStock.timed.p50), (windows / (trainStock.timed.p50 / 1000)).toFixed(2), "1.00x")
      row("tiny-vlm + LSTM train step (2×8 frames)", `tfjs ${backend} fast`, ms(trainFast.timed.p50), (windows / (trainFast.timed.p50 / 1000)).toFixed(2), speedup)
      const act = await makeActLatency(parts)
      for (const b of [1, 8]) {
        const runs = b === 1 ? actRuns : Math.max(10, Math.round(actRuns / 3))
        useStockKernels(backend)
        const stock = await act(b, 3, Math.max(5, Math.round(runs / 3)))
        useFastKernels(backend)
        const fast = await act(b, 3, runs)
        console.log(`act() batch ${b}: stock p50 ${ms(stock.p50)} ms, fast p50 ${ms(fast.p50)} ms (p90 ${ms(fast.p90)}), load ${load()}`)
        row(`tiny-vlm + LSTM act() batch ${b}`, `tfjs ${backend} stock`, ms(stock.p50), (b / (stock.p50 / 1000)).toFixed(1), "1.00x")
        row(`tiny-vlm + LSTM act() batch ${b}`, `tfjs ${backend} fast`, ms(fast.p50), (b / (fast.p50 / 1000)).toFixed(1), `${(stock.p50 / fast.p50).toFixed(1)}x`)
      }
    } finally {
      await closeParts(parts)
    }
  }
}

console.log(`\n| case | engine | p50 ms | samples/s | vs stock |`)
console.log(`|---|---|---|---|---|`)
for (const r of rows) console.log(r)
