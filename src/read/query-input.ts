/**
 * The input rules of `lore query`, `lore context` and `lore search`: ELF's
 * query.py rules (its `validate_*` checks), plus lore's for the flags
 * query.py took without a check. Every rule broken is `InvalidFieldError`
 * (exit 2), one line naming the flag and the rule; nothing here reads the
 * journal. The command line and `lore mcp`'s tools both check through these.
 *
 *   const input = queryInput(flags);        // lore query's flags, as parsed
 *   input.mode                             // the mode that runs, or undefined
 *   const request = contextInput(flags, () => task);   // lore context's
 *   const request = searchInput(flags);          // lore search's
 *
 * Rules (query.py's, with its limits):
 *   - domain: 1-100 characters of A-Z, a-z, 0-9, `.`, `_`, `-`;
 *   - tags: a comma list; each tag trimmed, empty ones dropped, each 1-50
 *     such characters, at most 50 tags, at least one left;
 *   - limit and `--recent N`: an integer from 1 to 1000;
 *   - type and task: not empty, at most 10,000 characters.
 * lore's own:
 *   - format: text, json or csv (query.py: an argparse error);
 *   - search's type: one of SEARCH_TYPES;
 *   - max-tokens: an integer, at least 1; above 50,000 it is taken as 50,000,
 *     as query.py does (--help says so);
 *   - days, violation-days: an integer from 1 to 36,500;
 *   - min-confidence: a number from 0 to 1;
 *   - type and days only with --recent (query.py ignored --type without it,
 *     and had no --days: its window was always 2 days).
 *
 * The mode is the first flag given in query.py's order (MODE_PRECEDENCE);
 * --domain and --tags also filter the modes before them. With no mode,
 * `mode` is undefined (the command prints its help, as query.py does).
 */
import { InvalidFieldError, quoted } from "../base/errors.js";
import type { ContextRequest } from "./context.js";
import { SEARCH_TYPES, type SearchRequest, type SearchType } from "./search.js";

export type OutputFormat = "text" | "json" | "csv";

/** query.py's dispatch order: the first mode given runs. */
export const MODE_PRECEDENCE = [
  "context",
  "golden-rules",
  "decisions",
  "spikes",
  "assumptions",
  "invariants",
  "domain",
  "tags",
  "recent",
  "experiments",
  "ceo-reviews",
  "stats",
  "violations",
  "accountability-banner",
] as const;

export type QueryMode = (typeof MODE_PRECEDENCE)[number];

/** The flags of `lore query` as the command line gives them: switches as booleans, values as strings. */
export interface QueryFlags {
  context?: boolean;
  "golden-rules"?: boolean;
  decisions?: boolean;
  spikes?: boolean;
  assumptions?: boolean;
  invariants?: boolean;
  experiments?: boolean;
  "ceo-reviews"?: boolean;
  stats?: boolean;
  violations?: boolean;
  "accountability-banner"?: boolean;
  color?: boolean;
  domain?: string;
  tags?: string;
  recent?: string;
  type?: string;
  days?: string;
  limit?: string;
  format?: string;
  "max-tokens"?: string;
  "violation-days"?: string;
  "decision-status"?: string;
  "assumption-status"?: string;
  "min-confidence"?: string;
  "invariant-status"?: string;
  "invariant-scope"?: string;
  "invariant-severity"?: string;
}

export interface QueryInput {
  mode: QueryMode | undefined;
  domain: string | undefined;
  tags: string[] | undefined;
  /** --limit: rows per list (default 10). */
  limit: number;
  /** --recent N: the number of learnings. */
  recent: number | undefined;
  type: string | undefined;
  /** --days: the window of --recent (default 2, query.py's). */
  days: number;
  format: OutputFormat;
  maxTokens: number;
  color: boolean;
  violationDays: number;
  decisionStatus: string;
  assumptionStatus: string;
  minConfidence: number;
  /** The empty string: any status. */
  invariantStatus: string;
  invariantScope: string | undefined;
  invariantSeverity: string | undefined;
}

const DEFAULT_LIMIT = 10;
const DEFAULT_MAX_TOKENS = 5000;
/** query.py takes a larger --max-tokens as this many. */
const MAX_TOKENS_CAP = 50_000;
/** --recent's window, in days, when --days is not given: query.py's fixed window. */
const DEFAULT_RECENT_DAYS = 2;
const DEFAULT_VIOLATION_DAYS = 7;
const MAX_DAYS = 36_500;
const MAX_LIMIT = 1000;
const MAX_DOMAIN = 100;
const MAX_TAG = 50;
const MAX_TAGS = 50;
const MAX_TEXT = 10_000;
const NAME_CHARACTERS = /^[A-Za-z0-9._-]+$/;
const FORMATS: readonly OutputFormat[] = ["text", "json", "csv"];

/** An integer written in decimal digits, from `min` to `max`. */
function integerIn(field: string, value: string, min: number, max: number): number {
  const trimmed = value.trim();
  const number = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || number < min || number > max) {
    throw new InvalidFieldError(field, `must be an integer from ${min} to ${max} (got ${quoted(value)})`);
  }
  return number;
}

/** `--limit`: an integer from 1 to 1000, 10 when not given (`lore query` and `lore search`). */
export function limitInput(value: string | undefined): number {
  return value === undefined ? DEFAULT_LIMIT : integerIn("limit", value, 1, MAX_LIMIT);
}

/** A domain as query.py accepts it. */
export function domainInput(field: string, value: string): string {
  if (value.length === 0 || value.length > MAX_DOMAIN || !NAME_CHARACTERS.test(value)) {
    throw new InvalidFieldError(
      field,
      `must be 1-${MAX_DOMAIN} characters of A-Z, a-z, 0-9, ".", "_" or "-" (got ${quoted(value)})`,
    );
  }
  return value;
}

/** A comma list of tags as query.py accepts it: trimmed, empty ones dropped. */
export function tagsInput(field: string, value: string): string[] {
  const tags = value
    .split(",")
    .map((tag) => tag.trim())
    .filter((tag) => tag !== "");
  if (tags.length === 0) throw new InvalidFieldError(field, `must name at least one tag (got ${quoted(value)})`);
  if (tags.length > MAX_TAGS)
    throw new InvalidFieldError(field, `must be at most ${MAX_TAGS} tags (got ${tags.length})`);
  for (const tag of tags) {
    if (tag.length > MAX_TAG || !NAME_CHARACTERS.test(tag)) {
      throw new InvalidFieldError(
        field,
        `each tag must be 1-${MAX_TAG} characters of A-Z, a-z, 0-9, ".", "_" or "-" (got ${quoted(tag)})`,
      );
    }
  }
  return tags;
}

/** A free text (a type, a task) as query.py accepts it: not empty, at most 10,000 characters. */
export function textInput(field: string, value: string): string {
  if (value.trim() === "") throw new InvalidFieldError(field, "must not be empty");
  if (value.length > MAX_TEXT) {
    throw new InvalidFieldError(field, `must be at most ${MAX_TEXT} characters (got ${value.length})`);
  }
  return value;
}

/** --max-tokens: an integer of at least 1; above the cap, the cap (as query.py). */
export function maxTokensInput(field: string, value: string | undefined): number {
  if (value === undefined) return DEFAULT_MAX_TOKENS;
  return Math.min(integerIn(field, value, 1, Number.MAX_SAFE_INTEGER), MAX_TOKENS_CAP);
}

function formatInput(value: string | undefined): OutputFormat {
  if (value === undefined) return "text";
  if (!(FORMATS as readonly string[]).includes(value)) {
    throw new InvalidFieldError("format", `must be text, json or csv (got ${quoted(value)})`);
  }
  return value as OutputFormat;
}

function confidenceInput(field: string, value: string | undefined): number {
  if (value === undefined) return 0;
  const trimmed = value.trim();
  const number = Number(trimmed);
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(trimmed) || number > 1) {
    throw new InvalidFieldError(field, `must be a number from 0 to 1 (got ${quoted(value)})`);
  }
  return number;
}

/** Checks lore query's flags against every rule, and names the mode that runs. */
export function queryInput(flags: QueryFlags): QueryInput {
  const given = (name: keyof QueryFlags) => flags[name] !== undefined;
  for (const name of ["type", "days"] as const) {
    if (given(name) && !given("recent")) throw new InvalidFieldError(name, "is used only with --recent N");
  }
  const mode = MODE_PRECEDENCE.find((name) =>
    typeof flags[name] === "boolean" ? flags[name] === true : flags[name] !== undefined,
  );
  return {
    mode,
    domain: flags.domain === undefined ? undefined : domainInput("domain", flags.domain),
    tags: flags.tags === undefined ? undefined : tagsInput("tags", flags.tags),
    limit: limitInput(flags.limit),
    recent: flags.recent === undefined ? undefined : integerIn("recent", flags.recent, 1, MAX_LIMIT),
    type: flags.type === undefined ? undefined : textInput("type", flags.type),
    days: flags.days === undefined ? DEFAULT_RECENT_DAYS : integerIn("days", flags.days, 1, MAX_DAYS),
    format: formatInput(flags.format),
    maxTokens: maxTokensInput("max-tokens", flags["max-tokens"]),
    color: flags.color === true,
    violationDays:
      flags["violation-days"] === undefined
        ? DEFAULT_VIOLATION_DAYS
        : integerIn("violation-days", flags["violation-days"], 1, MAX_DAYS),
    decisionStatus: flags["decision-status"] ?? "accepted",
    assumptionStatus: flags["assumption-status"] ?? "active",
    minConfidence: confidenceInput("min-confidence", flags["min-confidence"]),
    invariantStatus: flags["invariant-status"] ?? "active",
    invariantScope: flags["invariant-scope"],
    invariantSeverity: flags["invariant-severity"],
  };
}

/** `lore context`'s flags (the task comes apart: from --task or stdin, checked with textInput). */
export interface ContextFlags {
  domain?: string;
  tags?: string;
  "max-tokens"?: string;
  color?: boolean;
}

/** Checks lore context's flags, then gets the task (`taskOf`, called only once the flags are sound); the briefing's request. */
export function contextInput(flags: ContextFlags, taskOf: () => string | undefined): ContextRequest {
  const domain = flags.domain === undefined ? undefined : domainInput("domain", flags.domain);
  const tags = flags.tags === undefined ? undefined : tagsInput("tags", flags.tags);
  const maxTokens = maxTokensInput("max-tokens", flags["max-tokens"]);
  return { task: taskOf(), domain, tags, maxTokens, color: flags.color === true };
}

/** `lore search`'s words and flags. */
export interface SearchFlags {
  text: string;
  domain?: string;
  type?: string;
  limit?: string;
}

function searchTypeInput(value: string | undefined): SearchType | undefined {
  if (value === undefined) return undefined;
  if (!(SEARCH_TYPES as readonly string[]).includes(value)) {
    throw new InvalidFieldError("type", `must be one of ${SEARCH_TYPES.join(", ")} (got ${quoted(value)})`);
  }
  return value as SearchType;
}

/** Checks lore search's flags; the search's request. */
export function searchInput(flags: SearchFlags): SearchRequest {
  return { text: flags.text, domain: flags.domain, type: searchTypeInput(flags.type), limit: limitInput(flags.limit) };
}
