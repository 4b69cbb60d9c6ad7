// Run with plain `node` in the folder that installed the SDK from a registry (no tsx there): a worker entry named
// by its source URL, as packages name theirs, boots from the built `.js` beside it through the SDK's worker pool.
import { makeWorkerPool } from "@robovla/sdk"

let tsxInstalled = true
try {
  import.meta.resolve("tsx")
} catch {
  tsxInstalled = false
}
const pool = makeWorkerPool(new URL("./echo-worker.ts", import.meta.url), 1)
try {
  const answer = await pool.run({ factor: 3 }, 14)
  console.log(JSON.stringify({ answer, tsxInstalled }))
} finally {
  await pool.close()
}
