/**
 * The lore command line: `runCli(argv)` parses `argv` (without node and the
 * script), runs the command and resolves to its exit code (exit-codes.ts).
 * Errors are printed as one line on stderr, `lore <command>: <message>`.
 *
 * Every option is parsed as a string (yargs would turn `--severity 3` into a
 * number and `--title 007` into 7); a flag given twice keeps its last value.
 * Unknown flags are skipped with a warning (unknown-options.ts), where ELF
 * skipped them silently.
 */
import yargs from "yargs";
import { initCommand } from "./commands/init.js";
import { recordFailureCommand } from "./commands/record-failure.js";
import { recordHeuristicCommand } from "./commands/record-heuristic.js";
import { ExitCode, exitCodeFor, messageFor } from "./exit-codes.js";

export async function runCli(argv: string[]): Promise<number> {
  const commandName = argv.find((arg) => !arg.startsWith("-")) ?? "";
  process.exitCode = undefined;
  let usageError: string | undefined;
  const parser = yargs(argv)
    .scriptName("lore")
    .parserConfiguration({
      "parse-numbers": false,
      "parse-positional-numbers": false,
      "duplicate-arguments-array": false,
      "dot-notation": false,
      "camel-case-expansion": false,
    })
    .command(initCommand)
    .command(recordFailureCommand)
    .command(recordHeuristicCommand)
    .demandCommand(1, "name a command: init, record-failure or record-heuristic")
    .strictCommands()
    .help()
    .version()
    .exitProcess(false)
    .fail((message, error) => {
      if (error) throw error;
      usageError = message;
    });
  try {
    await parser.parseAsync();
  } catch (error) {
    process.stderr.write(`lore${commandName ? ` ${commandName}` : ""}: ${messageFor(error)}\n`);
    return exitCodeFor(error);
  }
  if (usageError !== undefined) {
    process.stderr.write(`lore${commandName ? ` ${commandName}` : ""}: ${usageError}\n`);
    return ExitCode.Invalid;
  }
  return Number(process.exitCode ?? ExitCode.Ok);
}
