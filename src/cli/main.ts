/**
 * The lore command line: `runCli(argv)` runs one command and resolves to its
 * exit code (exit-codes.ts); `argv` excludes node and the script.
 *
 * A known command is parsed by fast-parse.ts and run at once; its usage
 * errors are reported there. Help, the version and a missing or unknown
 * command go to yargs-front.ts, loaded on demand (bundle-parts.ts). A
 * command's error, also one thrown in an on-demand bundle, is printed here as
 * one line on stderr, `lore <command>: <message>`, and its exit code is the
 * one the error carries (exitCodeFor). Unknown flags are skipped with a
 * warning (unknown-options.ts), where ELF skipped them silently.
 */
import { initCommand } from "./commands/init.js";
import { recordFailureCommand } from "./commands/record-failure.js";
import { recordHeuristicCommand } from "./commands/record-heuristic.js";
import { syncCommand } from "./commands/sync.js";
import { hookCommand } from "./commands/hook.js";
import { hooksCommand } from "./commands/hooks.js";
import type { LoreCommand } from "./command.js";
import { exitCodeFor, messageFor } from "../base/errors.js";
import { fastParse } from "./fast-parse.js";
import { warnUnknownOptions } from "./unknown-options.js";
import { loadYargsFront } from "./bundle-parts.js";

/** Set by the bundler (scripts/build.mjs) from package.json. */
declare const LORE_VERSION: string;

const COMMANDS: LoreCommand[] = [
  initCommand,
  recordFailureCommand,
  recordHeuristicCommand,
  syncCommand,
  hooksCommand,
  hookCommand,
];

function showWithYargs(argv: string[]): Promise<number> {
  return loadYargsFront().showWithYargs(COMMANDS, argv, LORE_VERSION);
}

export async function runCli(argv: string[]): Promise<number> {
  const command = COMMANDS.find((candidate) => candidate.command.split(" ")[0] === argv[0]);
  if (!command) return showWithYargs(argv);
  try {
    const args = fastParse(command, argv.slice(1));
    if (args === "show-with-yargs") return showWithYargs(argv);
    warnUnknownOptions(args, command.options);
    return await command.run(args);
  } catch (error) {
    process.stderr.write(`lore ${argv[0]}: ${messageFor(error)}\n`);
    return exitCodeFor(error);
  }
}
