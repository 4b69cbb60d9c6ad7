/**
 * The registry of subcommands. Each owner adds one import and one entry here, nothing else.
 *
 * @since 0.1.0
 */
import type { CliCommand } from "../CliCommand.ts"
import { command as benchCommand } from "./bench.ts"
import { command as newCommand } from "./new.ts"
import { command as serveCommand } from "./serve.ts"
import { command as renderCommand } from "./render.ts"

export const commands: Readonly<Record<string, CliCommand>> = {
  render: renderCommand,
  bench: benchCommand,
  new: newCommand,
  serve: serveCommand
}
