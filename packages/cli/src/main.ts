/**
 * The `robovla` command: a thin dispatcher. Each subcommand lives in `src/commands/<name>.ts` and exports
 * `command: CliCommand`; this file only finds it and runs it.
 *
 * @since 0.1.0
 */
import { commands } from "./commands/index.ts"

// A reader that closes early (`robovla … | head`) is not an error: stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error
    process.exit(0)
  })
}

const [name, ...args] = process.argv.slice(2)

const usage = (): string =>
  [
    "usage: robovla <command> [options]",
    "",
    "commands:",
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`),
    "",
    "Run `robovla <command> --help` for a command's options."
  ].join("\n")

if (name === undefined || name === "--help" || name === "-h" || name === "help") {
  console.log(usage())
  process.exit(name === undefined ? 1 : 0)
}

const entry = commands[name]
if (entry === undefined) {
  console.error(`robovla: unknown command '${name}'\n\n${usage()}`)
  process.exit(2)
}
const command = await entry.load()
const code = await command.run(args)
process.exitCode = code
