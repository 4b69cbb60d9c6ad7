/**
 * Safetensors throughput: write and read a checkpoint-sized file (F32 and F16), through the filesystem.
 * Run: `npx tsx test/safetensors/bench.ts [millionsOfFloats=25]` from packages/sdk.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { performance } from "node:perf_hooks"
import { readSafetensorsSync, writeSafetensorsFileSync } from "../../src/Safetensors.ts"

const millions = Number(process.argv[2] ?? 25)
const count = Math.round(millions * 1e6)
const data = new Float32Array(count)
for (let i = 0; i < count; i++) data[i] = Math.sin(i)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-st-bench-"))

const time = (label: string, bytes: number, run: () => void) => {
  const start = performance.now()
  run()
  const seconds = (performance.now() - start) / 1000
  console.log(`${label.padEnd(12)} ${(bytes / 1e6).toFixed(0)} MB in ${seconds.toFixed(3)} s = ${(bytes / 1e6 / seconds).toFixed(0)} MB/s`)
}

for (const dtype of ["F32", "F16"] as const) {
  const file = path.join(dir, `${dtype}.safetensors`)
  const bytes = count * (dtype === "F32" ? 4 : 2)
  time(`write ${dtype}`, bytes, () => writeSafetensorsFileSync(file, { w: { dtype, shape: [count], data } }))
  time(`read ${dtype}`, bytes, () => readSafetensorsSync(file))
}
fs.rmSync(dir, { recursive: true, force: true })
console.log(`node ${process.version}, ${os.cpus().length} cores, ${os.arch()}`)
