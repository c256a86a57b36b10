/**
 * Parses one command's arguments with yargs-parser (the parser inside yargs),
 * from the command's own option declarations and the shared configuration
 * (parser-configuration.ts), without loading the rest of yargs.
 *
 *   const args = parseArguments(command, argv);   // argv after the command name
 *
 * Returns the parsed arguments (positionals as strings in `_`), or
 * "help-or-version" when `--help` or `--version` was given, which
 * help-and-usage.ts shows. Throws UsageError for arguments the command cannot
 * take: a missing value, too many positionals. Why a record does without full
 * yargs: docs/DESIGN.md#parsing-without-yargs.
 */
import parse from "yargs-parser";
import type { LoreCommand } from "./command.js";
import { PARSER_CONFIGURATION } from "./parser-configuration.js";
import { UsageError } from "../base/errors.js";

export function parseArguments(command: LoreCommand, argv: string[]): Record<string, unknown> | "help-or-version" {
  const strings: string[] = [];
  const booleans: string[] = ["help", "version"];
  const defaults: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(command.options)) {
    (option.type === "boolean" ? booleans : strings).push(name);
    if (option.default !== undefined) defaults[name] = option.default;
  }
  const result = parse.detailed(argv, {
    string: strings,
    boolean: booleans,
    // Each string option takes exactly the next argument, even one that
    // starts with "-" (a summary "- step one", a title "--- x"), as ELF does.
    narg: Object.fromEntries(strings.map((name) => [name, 1])),
    default: defaults,
    configuration: PARSER_CONFIGURATION,
  });
  if (result.error) throw new UsageError(result.error.message);
  if (result.argv.help === true || result.argv.version === true) return "help-or-version";
  const positionals = result.argv._.map(String);
  // A variadic last positional (`[args..]`, as git's hook arguments, or `<id..>`) takes any number.
  const maximumPositionals = /\.\.[\]>]$/.test(command.command)
    ? Number.POSITIVE_INFINITY
    : command.command.split(" ").length - 1;
  if (positionals.length > maximumPositionals) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[maximumPositionals])}`);
  }
  return { ...result.argv, _: positionals };
}
