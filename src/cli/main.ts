/**
 * The lore command line: `runCli(argv)` runs one command and resolves to its
 * exit code (src/base/errors.ts); `argv` excludes node and the script.
 *
 * A known command's arguments are parsed by parse-arguments.ts, and the
 * command's `run` is called at once (command.ts). Help, the version and a
 * missing or unknown command go to help-and-usage.ts, loaded on demand
 * (on-demand-parts.ts). A command's error, also one thrown in an on-demand
 * bundle, is printed here as one line on stderr, `lore <command>: <message>`,
 * and its exit code is the one the error carries (exitCodeFor). Unknown flags
 * are skipped with a warning (unknown-options.ts), where ELF skipped them
 * silently.
 */
import { initCommand } from "./commands/init.js";
import { recordFailureCommand } from "./commands/record-failure.js";
import { recordHeuristicCommand } from "./commands/record-heuristic.js";
import { syncCommand } from "./commands/sync.js";
import { hookCommand } from "./commands/hook.js";
import { hooksCommand } from "./commands/hooks.js";
import { elfCommand } from "./commands/elf.js";
import { claudeCommand } from "./commands/claude.js";
import type { LoreCommand } from "./command.js";
import { exitCodeFor, messageFor } from "../base/errors.js";
import { parseArguments } from "./parse-arguments.js";
import { warnUnknownOptions } from "./unknown-options.js";
import { loadHelpAndUsage } from "./on-demand-parts.js";

/** Set by the bundler (scripts/build.mjs) from package.json. */
declare const LORE_VERSION: string;

const COMMANDS: LoreCommand[] = [
  initCommand,
  recordFailureCommand,
  recordHeuristicCommand,
  syncCommand,
  hooksCommand,
  hookCommand,
  elfCommand,
  claudeCommand,
];

function showHelpOrUsage(argv: string[]): Promise<number> {
  return loadHelpAndUsage().showHelpOrUsage(COMMANDS, argv, LORE_VERSION);
}

export async function runCli(argv: string[]): Promise<number> {
  const command = COMMANDS.find((candidate) => candidate.command.split(" ")[0] === argv[0]);
  if (!command) return showHelpOrUsage(argv);
  try {
    const args = parseArguments(command, argv.slice(1));
    if (args === "help-or-version") return showHelpOrUsage(argv);
    warnUnknownOptions(args, command.options);
    return await command.run(args);
  } catch (error) {
    process.stderr.write(`lore ${argv[0]}: ${messageFor(error)}\n`);
    return exitCodeFor(error);
  }
}
