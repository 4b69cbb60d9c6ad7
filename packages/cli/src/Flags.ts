/**
 * Flag parsing shared by every subcommand: node:util `parseArgs` (strict) plus the `--help` convention, so each
 * command only declares its options and turns their string values into typed ones.
 *
 * @since 0.1.0
 */
import { parseArgs, type ParseArgsConfig } from "node:util"

type Options = NonNullable<ParseArgsConfig["options"]>
type WithHelp<O extends Options> = O & { help: { type: "boolean"; short: "h" } }
type Values<O extends Options> = ReturnType<typeof parseArgs<{ options: WithHelp<O>; strict: true }>>["values"]

/**
 * Parses `args` against `options` (a `--help`/`-h` flag is added). Returns the values, or the exit code when
 * the command should stop: 0 after printing help, 2 after a usage error (printed with the help text).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseFlags = <const O extends Options>(
  command: string,
  help: string,
  args: ReadonlyArray<string>,
  options: O,
  extra: { readonly allowNegative?: boolean } = {}
): { readonly values: Values<O> } | { readonly exit: number } => {
  let values: Values<O>
  try {
    values = parseArgs({
      args: [...args],
      options: { ...options, help: { type: "boolean", short: "h" } } as WithHelp<O>,
      strict: true,
      ...(extra.allowNegative ? { allowNegative: true } : {})
    }).values as Values<O>
  } catch (error) {
    console.error(`robovla ${command}: ${(error as Error).message}\n\n${help}`)
    return { exit: 2 }
  }
  if ((values as { help?: boolean }).help === true) {
    console.log(help)
    return { exit: 0 }
  }
  return { values }
}
