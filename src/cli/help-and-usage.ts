/**
 * Help, the version and the usage error of a missing or unknown command, with
 * the full yargs: the command declarations are registered without handlers,
 * and yargs prints what it prints.
 *
 *   const code = await showHelpOrUsage(commands, argv, version);
 *
 * Resolves to 0 after help or the version, 2 after a usage error (printed as
 * `lore: <message>`); never runs a command, never throws for bad input. Part
 * of the on-demand bundle dist/help-and-usage.js (on-demand-parts.ts).
 */
import yargs, { type Argv } from "yargs";
import type { LoreCommand } from "./command.js";
import { ExitCode, type ExitCodeValue } from "../base/errors.js";
import { PARSER_CONFIGURATION } from "./parser-configuration.js";

export async function showHelpOrUsage(
  commands: LoreCommand[],
  argv: string[],
  version: string,
): Promise<ExitCodeValue> {
  let usageError: string | undefined;
  let parser: Argv = yargs(argv)
    .scriptName("lore")
    .parserConfiguration(PARSER_CONFIGURATION)
    .usage("$0 <command> [options]")
    .demandCommand(1, "name a command: init, record-failure or record-heuristic")
    .strictCommands()
    .strictOptions(false)
    .help()
    .version(version)
    .wrap(null)
    .exitProcess(false)
    .fail((message, error) => {
      usageError = message ?? error?.message;
    });
  for (const command of commands) {
    parser = parser.command(command.command, command.describe, (builder) =>
      builder.options(command.options).strict(false),
    );
  }
  await parser.parseAsync();
  if (usageError !== undefined) {
    process.stderr.write(`lore: ${usageError}\n`);
    return ExitCode.Invalid;
  }
  return ExitCode.Ok;
}
