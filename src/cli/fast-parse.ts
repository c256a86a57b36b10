/**
 * The fast path of the command line: parses one command's arguments with
 * yargs-parser (the parser inside yargs), from the command's own yargs option
 * declarations and the shared configuration.
 *
 * A record is a short-lived process started many times a minute, and loading
 * all of yargs (its help renderer, completion, locales) measured about 45 ms
 * here, half again of `node -e 0`; yargs-parser alone about 8 ms. So lore
 * loads yargs only when it has something to show: `--help`, `--version`, an
 * unknown command (yargs-front.ts). `fastParse` returns "show-with-yargs"
 * for `--help` and `--version`, throws `UsageError` for arguments it cannot
 * take, and otherwise returns the parsed arguments.
 */
import parse from "yargs-parser";
import type { LoreCommand } from "./command.js";
import { PARSER_CONFIGURATION } from "./parser-configuration.js";
import { UsageError } from "../base/errors.js";

export function fastParse(command: LoreCommand, argv: string[]): Record<string, unknown> | "show-with-yargs" {
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
  if (result.argv.help === true || result.argv.version === true) return "show-with-yargs";
  const positionals = result.argv._.map(String);
  // A variadic last positional (`[args..]`, as git's hook arguments) takes any number.
  const maximumPositionals = command.command.endsWith("..]")
    ? Number.POSITIVE_INFINITY
    : command.command.split(" ").length - 1;
  if (positionals.length > maximumPositionals) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[maximumPositionals])}`);
  }
  return { ...result.argv, _: positionals };
}
