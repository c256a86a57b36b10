/**
 * The full yargs command line, loaded only when there is something to show:
 * help, the version, or the usage error of a missing or unknown command (see
 * fast-parse.ts for why the common path does without it). It prints what
 * yargs prints and returns the exit code; it never runs a command.
 */
import yargs, { type Argv } from "yargs";
import type { LoreCommand } from "./command.js";
import { ExitCode, type ExitCodeValue } from "../base/errors.js";
import { PARSER_CONFIGURATION } from "./parser-configuration.js";

export async function showWithYargs(commands: LoreCommand[], argv: string[], version: string): Promise<ExitCodeValue> {
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
