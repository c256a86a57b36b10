/**
 * Runs one command line against a list of commands, the one way every lore
 * entry does (main.ts for all commands, read-commands.ts for the read
 * commands started on their own):
 *
 *   const code = await runCommandLine(commands, argv, version);   // argv excludes node and the script
 *
 * A known command's arguments are parsed by parse-arguments.ts, and the
 * command's `run` is called at once (command.ts). Help, the version and a
 * missing or unknown command go to help-and-usage.ts, loaded on demand
 * (on-demand-parts.ts), which shows what `commands` declare. A command's
 * error, also one thrown in an on-demand bundle, is printed here as one line
 * on stderr, `lore <command>: <message>`, and its exit code is the one the
 * error carries (exitCodeFor). Unknown flags are skipped with a warning
 * (unknown-options.ts), where ELF skipped them silently.
 */
import type { LoreCommand } from "./command.js";
import { exitCodeFor, messageFor } from "../base/errors.js";
import { parseArguments } from "./parse-arguments.js";
import { warnUnknownOptions } from "./unknown-options.js";
import { loadHelpAndUsage } from "./on-demand-parts.js";

export async function runCommandLine(commands: LoreCommand[], argv: string[], version: string): Promise<number> {
  const showHelpOrUsage = () => loadHelpAndUsage().showHelpOrUsage(commands, argv, version);
  const command = commands.find((candidate) => candidate.command.split(" ")[0] === argv[0]);
  if (!command) return showHelpOrUsage();
  try {
    const args = parseArguments(command, argv.slice(1));
    if (args === "help-or-version") return showHelpOrUsage();
    warnUnknownOptions(args, command.options);
    return await command.run(args);
  } catch (error) {
    process.stderr.write(`lore ${argv[0]}: ${messageFor(error)}\n`);
    return exitCodeFor(error);
  }
}
