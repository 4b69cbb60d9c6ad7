/**
 * @robovla/cli: the `robovla` command. The package's API is its subcommand registry, for tools that embed it.
 *
 * @since 0.1.0
 */
export type { CliCommand } from "./CliCommand.ts"
export { commands, type CommandEntry } from "./commands/index.ts"
