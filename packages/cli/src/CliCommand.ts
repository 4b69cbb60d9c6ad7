/**
 * The shape every subcommand exports. `run` parses its own arguments (node:util parseArgs, then Schema for
 * values), prints help on `--help`, and resolves to the process exit code (0 ok, 1 failure, 2 usage error).
 *
 * @since 0.1.0
 */
export interface CliCommand {
  readonly name: string
  readonly summary: string
  readonly run: (args: ReadonlyArray<string>) => Promise<number>
}
