/**
 * Entry of dist/read-commands.js: `lore query`, `lore context` and
 * `lore search`, which
 * read a journal and write nothing (src/read). bin/run.js starts a command
 * line of either from this bundle alone (`runCli`), without dist/lore.js:
 * a query is a fresh process each time, and loading what a record needs
 * (git, locks, durable files) would be most of its start-up
 * (docs/DESIGN.md#on-demand-bundles). The main bundle declares both
 * commands too and calls `runQuery` and `runContext` here when its `runCli`
 * is given one of them.
 *
 *   runQuery(args)     checks every flag (query-input.ts: exit 2 naming the
 *                      flag), finds the journal (`--base`, or its other name
 *                      `--base-path`, else as every lore command does),
 *                      opens it read-only without the journal lock
 *                      (read-journal.ts), prints the mode's answer
 *                      (query-answer.ts); with no mode, the help, exit 0
 *                      (as query.py)
 *   runContext(args)   the briefing (context.ts) for `--task`, or for what
 *                      is piped to stdin (a terminal is not read), as text
 *                      or `--json`
 *   runSearch(args)    full-text search (search.ts) of the words after the
 *                      command, as text or `--json` (search-output.ts);
 *                      exit 0 with or without hits, 3 without a search index
 *
 * A journal with no database is exit 2 (MissingDatabaseError, NoJournalError).
 * stdin, the answer and the briefing go through fs.readSync and fs.writeSync
 * (base/sync-output.ts), never through process.stdin or process.stdout: a
 * query that makes no stream spares their start-up, and bin/run.js has
 * nothing to flush.
 */
import { ExitCode, InvalidFieldError } from "../base/errors.js";
import { pipedInput, STDERR, STDOUT, writeOutput } from "../base/sync-output.js";
import { locateJournal } from "../journal/layout.js";
import { buildContext } from "../read/context.js";
import { answerQuery } from "../read/query-answer.js";
import { contextInput, queryInput, searchInput, textInput } from "../read/query-input.js";
import { openReadJournal, type ReadJournal } from "../read/read-journal.js";
import { searchJournal } from "../read/search.js";
import { searchJson, searchText } from "../read/search-output.js";
import { defineCommand } from "./command.js";
import { runCommandLine } from "./command-line.js";
import { loadHelpAndUsage } from "./on-demand-parts.js";
import {
  contextDeclaration,
  queryDeclaration,
  type ContextArgs,
  type QueryArgs,
  type ReadCommandsBundle,
  type SearchArgs,
  searchDeclaration,
} from "./read-options.js";

/** Set by the bundler (scripts/build.mjs) from package.json. */
declare const LORE_VERSION: string;

/** --base, or --base-path (query.py's name for it); both only when they agree. */
function baseOf(args: QueryArgs): string | undefined {
  const { base, "base-path": basePath } = args;
  if (base !== undefined && basePath !== undefined && base !== basePath) {
    throw new InvalidFieldError("base-path", "is another name for --base: give one of them");
  }
  return base ?? basePath;
}

/** Runs `work` on the journal, opened read-only, and closes it. */
function withReadJournal<T>(base: string | undefined, work: (journal: ReadJournal) => T): T {
  const journal = openReadJournal(locateJournal({ base, env: process.env, cwd: process.cwd() }));
  try {
    return work(journal);
  } finally {
    journal.close();
  }
}

export const runQuery: ReadCommandsBundle["runQuery"] = async (args) => {
  const input = queryInput(args);
  const base = baseOf(args);
  const mode = input.mode;
  if (mode === undefined) return loadHelpAndUsage().showHelpOrUsage(READ_COMMANDS, ["query", "--help"], LORE_VERSION);
  const answer = withReadJournal(base, (journal) => answerQuery(journal, input, mode, new Date()));
  writeOutput(STDERR, answer.stderr);
  writeOutput(STDOUT, answer.stdout);
  return ExitCode.Ok;
};

/** The task: --task, else what is piped to stdin (none from a terminal; nothing piped: no task). */
function taskOf(args: ContextArgs): string | undefined {
  if (args.task !== undefined) return textInput("task", args.task);
  const piped = pipedInput()?.trim();
  return piped === undefined || piped === "" ? undefined : textInput("task", piped);
}

export const runContext: ReadCommandsBundle["runContext"] = async (args) => {
  const request = contextInput(args, () => taskOf(args));
  const briefing = withReadJournal(args.base, (journal) => buildContext(journal, request));
  writeOutput(STDOUT, args.json === true ? `${JSON.stringify(briefing.json, null, 2)}\n` : briefing.text);
  return ExitCode.Ok;
};

export const runSearch: ReadCommandsBundle["runSearch"] = async (args) => {
  const request = searchInput({ ...args, text: args._.join(" ") });
  const result = withReadJournal(args.base, (journal) => journal.snapshot(() => searchJournal(journal, request)));
  writeOutput(STDOUT, args.json === true ? searchJson(result) : searchText(result, { color: args.color === true }));
  return ExitCode.Ok;
};

const READ_COMMANDS = [
  defineCommand<QueryArgs>({ ...queryDeclaration, run: runQuery }),
  defineCommand<ContextArgs>({ ...contextDeclaration, run: runContext }),
  defineCommand<SearchArgs>({ ...searchDeclaration, run: runSearch }),
];

export const runCli: ReadCommandsBundle["runCli"] = (argv) => runCommandLine(READ_COMMANDS, argv, LORE_VERSION);
