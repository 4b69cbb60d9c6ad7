#!/usr/bin/env node
// Installed from a registry (under node_modules) the CLI runs its JavaScript build. In the repository it runs the
// TypeScript source through tsx with no build step, and every @robovla package must resolve to its source too:
// that takes Node's `--conditions=@robovla/source` (npm scripts and npx get it from .npmrc), so a bare
// `node bin/robovla.js` starts itself again with the flag, in NODE_OPTIONS so that workers and children inherit it.
import { spawn } from "node:child_process"
import { constants } from "node:os"
import { fileURLToPath } from "node:url"

const SOURCE_FLAG = "--conditions=@robovla/source"
const installed = fileURLToPath(import.meta.url).split(/[\\/]/).includes("node_modules")

if (installed) {
  await import("../dist/main.js")
} else if (!`${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`.includes(SOURCE_FLAG)) {
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} ${SOURCE_FLAG}`.trim() }
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit", env })
  // The terminal sends Ctrl-C to both processes: the child decides how to stop, this one waits for it.
  process.on("SIGINT", () => {})
  for (const signal of ["SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal))
  child.on("exit", (code, signal) => process.exit(signal === null ? (code ?? 1) : 128 + constants.signals[signal]))
} else {
  const { register } = await import("tsx/esm/api")
  register()
  await import("../src/main.ts")
}
