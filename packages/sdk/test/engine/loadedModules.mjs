// Run by NoEngine.test.ts as `node --import tsx loadedModules.mjs <module>`: imports <module> in a fresh
// process and prints, as one JSON line, every module URL resolved while loading it plus the CommonJS cache.
import { createRequire, register } from "node:module"
import { pathToFileURL } from "node:url"
import { MessageChannel } from "node:worker_threads"

const { port1, port2 } = new MessageChannel()
const resolved = []
port1.on("message", (url) => resolved.push(url))
// Registered after tsx's hooks, so it runs first and sees the final URL of every import (ESM and ESM → CJS).
register(
  "data:text/javascript," + encodeURIComponent(`
let port
export function initialize(data) { port = data.port }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  port.postMessage(result.url)
  return result
}`),
  import.meta.url,
  { data: { port: port2 }, transferList: [port2] }
)

const loaded = await import(pathToFileURL(process.argv[2]).href)
// Let the hook thread's last messages arrive.
await new Promise((resolve) => setTimeout(resolve, 200))
port1.close()
const cjs = Object.keys(createRequire(import.meta.url).cache)
console.log(JSON.stringify({ exports: Object.keys(loaded), resolved, cjs }))
