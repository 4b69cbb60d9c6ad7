/**
 * Flag parsing shared by every subcommand: node:util `parseArgs` (strict) plus the `--help` convention, so each
 * command only declares its options and turns their string values into typed ones.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
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

/**
 * A flag's JSON: the text itself when it starts with `{` or `[`, else the file it names. `usage` says why not,
 * naming the flag and the value.
 */
export const jsonArg = (flag: string, value: string | undefined): { readonly value: unknown } | { readonly usage: string } => {
  if (value === undefined) return { value: undefined }
  const text = value.trimStart().startsWith("{") || value.trimStart().startsWith("[") ? value : fs.existsSync(value) ? fs.readFileSync(value, "utf8") : value
  try {
    return { value: JSON.parse(text) as unknown }
  } catch (error) {
    return { usage: `${flag} is neither JSON nor a readable JSON file (${value}): ${(error as Error).message}` }
  }
}
