/**
 * The declarations of the read commands, `lore query`, `lore context` and
 * `lore search`
 * (name, description, options in yargs's format, and the arguments they
 * parse to), and the shape of dist/read-commands.js, their bundle.
 *
 * Both the main bundle (commands/query.ts, commands/context.ts,
 * commands/search.ts: help, and a caller of runCli) and the read bundle (read-commands.ts, which bin/run.js
 * starts on its own) declare the commands from here, so they take the same
 * options. Nothing here runs a command.
 */
import type { Options } from "yargs";
import type { ExitCodeValue } from "../base/errors.js";
import type { QueryFlags } from "../read/query-input.js";
import { SEARCH_TYPES } from "../read/search.js";
import { baseOption } from "./journal-options.js";

const modeSwitch = (describe: string) => ({ type: "boolean", describe }) as const;

const queryOptions = {
  context: modeSwitch(
    "print the tiered briefing (golden rules, relevant knowledge, recent); --domain and --tags focus it",
  ),
  "golden-rules": modeSwitch("print memory/golden-rules.md"),
  decisions: modeSwitch("list decisions (ADRs) of --decision-status"),
  spikes: modeSwitch("list spike reports, most useful first"),
  assumptions: modeSwitch("list assumptions of --assumption-status (none: the challenged ones)"),
  invariants: modeSwitch("list invariants of --invariant-status"),
  domain: { type: "string", describe: "a domain's heuristics and learnings; also a filter of the modes above" },
  tags: {
    type: "string",
    describe: "learnings with any of these comma-separated tags; also a filter of --context and --spikes",
  },
  recent: {
    type: "string",
    describe: "the N most recent learnings of the last 2 days (query.py's window; --days changes it)",
  },
  type: { type: "string", describe: "with --recent: only learnings of this type (failure, success, ...)" },
  days: { type: "string", describe: "with --recent: the window in days (default 2)" },
  experiments: modeSwitch("list the active experiments"),
  "ceo-reviews": modeSwitch("list the pending CEO reviews"),
  stats: modeSwitch("counts over the whole journal"),
  violations: modeSwitch("golden-rule violations of the last --violation-days days"),
  "accountability-banner": modeSwitch("the violations box of the last 7 days"),
  limit: { type: "string", describe: "rows per list, 1-1000 (default 10)" },
  format: {
    type: "string",
    describe: "text, json or csv (default text; --context, --golden-rules and the banner ignore it)",
  },
  "max-tokens": {
    type: "string",
    describe: "--context's budget, 4 characters a token (default 5000; above 50000, 50000)",
  },
  color: {
    type: "boolean",
    describe: "colour --context's headings with ANSI codes (default: none, also on a terminal)",
  },
  "violation-days": { type: "string", describe: "--violations' window in days (default 7)" },
  "decision-status": { type: "string", describe: "--decisions' status (default accepted)" },
  "assumption-status": { type: "string", describe: "--assumptions' status (default active)" },
  "min-confidence": { type: "string", describe: "--assumptions' lowest confidence, 0-1 (default 0)" },
  "invariant-status": { type: "string", describe: 'the status of --invariants (default active; "" for any)' },
  "invariant-scope": { type: "string", describe: "--invariants of this scope only" },
  "invariant-severity": { type: "string", describe: "--invariants of this severity only" },
  ...baseOption,
  "base-path": { type: "string", describe: "another name for --base (query.py's)" },
} satisfies Record<string, Options>;

export type QueryArgs = QueryFlags & { base?: string; "base-path"?: string };

const contextOptions = {
  task: { type: "string", describe: "the task to brief for (default: what is piped to stdin; a terminal is not read)" },
  domain: { type: "string", describe: "the domain whose heuristics and learnings to include" },
  tags: { type: "string", describe: "include learnings with any of these comma-separated tags" },
  "max-tokens": { type: "string", describe: "the budget, 4 characters a token (default 5000; above 50000, 50000)" },
  json: { type: "boolean", describe: "print the briefing as JSON: each tier's budget, tokens and entries" },
  color: { type: "boolean", describe: "colour the headings with ANSI codes (default: none, also on a terminal)" },
  ...baseOption,
} satisfies Record<string, Options>;

export interface ContextArgs {
  task?: string;
  domain?: string;
  tags?: string;
  "max-tokens"?: string;
  json?: boolean;
  color?: boolean;
  base?: string;
}

const searchOptions = {
  domain: { type: "string", describe: "only records of this domain (exactly as stored)" },
  type: { type: "string", describe: `only this kind: ${SEARCH_TYPES.join("|")}` },
  limit: { type: "string", describe: "at most this many hits, 1-1000 (default 10)" },
  json: { type: "boolean", describe: "print one JSON object: each hit with its matched fields and snippet" },
  color: { type: "boolean", describe: "show matches in bold (ANSI), for a terminal" },
  ...baseOption,
} satisfies Record<string, Options>;

export interface SearchArgs {
  _: string[];
  domain?: string;
  type?: string;
  limit?: string;
  json?: boolean;
  color?: boolean;
  base?: string;
}

export const queryDeclaration = {
  command: "query",
  describe:
    "read the journal as ELF's query.py does (--domain, --tags, --recent, --context, --stats, ...); writes nothing",
  options: queryOptions,
};

export const contextDeclaration = {
  command: "context",
  describe: "the briefing for an agent starting a task: golden rules, relevant knowledge, recent, within --max-tokens",
  options: contextOptions,
};

export const searchDeclaration = {
  command: "search [text..]",
  describe: 'full-text search: words, "phrases", prefix*, AND/OR/NOT, ( ); best match first; writes nothing',
  options: searchOptions,
};

/** What dist/read-commands.js exports (read-commands.ts). */
export interface ReadCommandsBundle {
  runQuery(args: QueryArgs): Promise<ExitCodeValue>;
  runContext(args: ContextArgs): Promise<ExitCodeValue>;
  runSearch(args: SearchArgs): Promise<ExitCodeValue>;
  /** A whole command line of `lore query`, `lore context` or `lore search`, as bin/run.js starts them. */
  runCli(argv: string[]): Promise<number>;
}
