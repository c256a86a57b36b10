/**
 * The lore command line: `runCli(argv)` runs one command and resolves to its
 * exit code (src/base/errors.ts); `argv` excludes node and the script. How a
 * command line runs, with help, usage errors and the one-line error report:
 * command-line.ts. The read commands (`lore query`, `lore context`) are
 * declared here too, for help and for a caller of `runCli`; bin/run.js starts
 * them from their own bundle without this one (read-commands.ts).
 */
import { initCommand } from "./commands/init.js";
import { recordFailureCommand } from "./commands/record-failure.js";
import { recordHeuristicCommand } from "./commands/record-heuristic.js";
import { syncCommand } from "./commands/sync.js";
import { hookCommand } from "./commands/hook.js";
import { hooksCommand } from "./commands/hooks.js";
import { elfCommand } from "./commands/elf.js";
import { queryCommand } from "./commands/query.js";
import { contextCommand } from "./commands/context.js";
import { searchCommand } from "./commands/search.js";
import { claudeCommand } from "./commands/claude.js";
import { validateCommand } from "./commands/validate.js";
import { violateCommand } from "./commands/violate.js";
import { recordViolationCommand } from "./commands/record-violation.js";
import { goldenCommand } from "./commands/golden.js";
import { mcpCommand } from "./commands/mcp.js";
import type { LoreCommand } from "./command.js";
import { runCommandLine } from "./command-line.js";

/** Set by the bundler (scripts/build.mjs) from package.json. */
declare const LORE_VERSION: string;

const COMMANDS: LoreCommand[] = [
  initCommand,
  recordFailureCommand,
  recordHeuristicCommand,
  validateCommand,
  violateCommand,
  recordViolationCommand,
  goldenCommand,
  queryCommand,
  contextCommand,
  syncCommand,
  searchCommand,
  hooksCommand,
  hookCommand,
  elfCommand,
  claudeCommand,
  mcpCommand,
];

export function runCli(argv: string[]): Promise<number> {
  return runCommandLine(COMMANDS, argv, LORE_VERSION);
}
