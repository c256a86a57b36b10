/**
 * What each mode of `lore query` selects: ELF's query.py's selections, with
 * its columns, filters, orders and limits (docs/DESIGN.md#reading-a-journal),
 * so that on the same journal each mode lists the same rows in the same
 * order. Every function reads; call them inside `journal.snapshot` so that a
 * command's reads see one commit.
 *
 *   const list = recentLearnings(journal, { limit: 5, days: 2, now });
 *   list.columns, list.rows          // the statement's columns, its rows
 *
 * A `SELECT *` mode lists every column of its table, lore's `lore_id`
 * included where it exists. The tables of ELF's other recorders (decisions,
 * invariants, spikes, assumptions, experiments, CEO reviews, violations) may
 * be missing, or (made by an older ELF) lack a column a mode filters on: such
 * a mode lists nothing, as query.py does for its lazily made tables.
 * `learnings` and `heuristics` are always there (lore's schema, ELF's too).
 * Windows of time (--recent, violations) are on one clock, UTC
 * (journal-time.ts). Ties in an order are left to SQLite, as query.py leaves
 * them, with the same statement.
 */
import type { ReadJournal } from "./read-journal.js";
import { utcTimeBefore, withinWindow } from "./journal-time.js";

export type Row = Record<string, unknown>;

/** A statement's columns (also when it found no row) and its rows. */
export interface RowList {
  columns: string[];
  rows: Row[];
}

export interface DomainResult {
  domain: string;
  heuristics: Row[];
  learnings: Row[];
  count: { heuristics: number; learnings: number };
}

type Parameters = Record<string, unknown>;

function select(journal: ReadJournal, sql: string, parameters: Parameters = {}): RowList {
  const statement = journal.sqlite.prepare(sql);
  return {
    columns: statement.columns().map((column) => column.name),
    rows: statement.all(parameters) as Row[],
  };
}

/** The rows of an optional table, or none (with the listed columns) when it lacks the table or a needed column. */
function selectFromOptional(
  journal: ReadJournal,
  table: string,
  needed: readonly string[],
  columns: readonly string[],
  sql: () => string,
  parameters: Parameters,
): RowList {
  if (!journal.hasColumns(table, [...needed, ...columns])) return { columns: [...columns], rows: [] };
  return select(journal, sql(), parameters);
}

/** `LIKE` on a substring, with `%`, `_` and `\` in it matched as themselves (query.py's escaping). */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** SQL: `column` contains any of the tags; binds @tag0, @tag1, ... into `parameters`. */
function anyTag(column: string, tags: readonly string[], parameters: Parameters): string {
  tags.forEach((tag, index) => {
    parameters[`tag${index}`] = containsPattern(tag);
  });
  return `(${tags.map((_, index) => `${column} LIKE @tag${index} ESCAPE '\\'`).join(" OR ")})`;
}

/** The domain's heuristics, most confident first, then most validated. */
export function domainHeuristics(journal: ReadJournal, domain: string, limit: number): RowList {
  return select(
    journal,
    "SELECT * FROM heuristics WHERE domain = @domain ORDER BY confidence DESC, times_validated DESC LIMIT @limit",
    { domain, limit },
  );
}

/** The domain's learnings, newest first. */
export function domainLearnings(journal: ReadJournal, domain: string, limit: number): RowList {
  return select(journal, "SELECT * FROM learnings WHERE domain = @domain ORDER BY created_at DESC LIMIT @limit", {
    domain,
    limit,
  });
}

/** `--domain D`: both lists, and their counts. */
export function knowledgeOfDomain(journal: ReadJournal, domain: string, limit: number): DomainResult {
  const heuristics = domainHeuristics(journal, domain, limit).rows;
  const learnings = domainLearnings(journal, domain, limit).rows;
  return { domain, heuristics, learnings, count: { heuristics: heuristics.length, learnings: learnings.length } };
}

/** `--tags a,b`: learnings whose tags contain any of the tags, newest first. */
export function learningsWithTags(journal: ReadJournal, tags: readonly string[], limit: number): RowList {
  const parameters: Parameters = { limit };
  const condition = anyTag("tags", tags, parameters);
  return select(
    journal,
    `SELECT * FROM learnings WHERE ${condition} ORDER BY created_at DESC LIMIT @limit`,
    parameters,
  );
}

/** `--recent N [--type T]`: learnings of the last `days` days, newest first. */
export function recentLearnings(
  journal: ReadJournal,
  options: { limit: number; days: number; now: Date; type?: string },
): RowList {
  const parameters: Parameters = { limit: options.limit, since: utcTimeBefore(options.now, options.days) };
  let where = withinWindow("created_at");
  if (options.type !== undefined) {
    where += " AND type = @type";
    parameters.type = options.type;
  }
  return select(journal, `SELECT * FROM learnings WHERE ${where} ORDER BY created_at DESC LIMIT @limit`, parameters);
}

/** `--experiments`: the active ones, most recently updated first. */
export function activeExperiments(journal: ReadJournal): RowList {
  return selectFromOptional(
    journal,
    "experiments",
    ["status", "updated_at"],
    [],
    () => "SELECT * FROM experiments WHERE status = 'active' ORDER BY updated_at DESC",
    {},
  );
}

/** `--ceo-reviews`: the pending ones, oldest first. */
export function pendingCeoReviews(journal: ReadJournal): RowList {
  return selectFromOptional(
    journal,
    "ceo_reviews",
    ["status", "created_at"],
    [],
    () => "SELECT * FROM ceo_reviews WHERE status = 'pending' ORDER BY created_at ASC",
    {},
  );
}

/** SQL: the row's domain is `domain` or unset (query.py's filter of decisions, spikes, assumptions, invariants). */
function domainOrUnset(domain: string | undefined, parameters: Parameters): string {
  if (domain === undefined) return "";
  parameters.domain = domain;
  return " AND (domain = @domain OR domain IS NULL)";
}

const DECISION_COLUMNS = ["id", "title", "context", "decision", "rationale", "domain", "status", "created_at"];

/** `--decisions`: decisions of a status, newest first. */
export function decisionsWith(
  journal: ReadJournal,
  options: { status: string; domain?: string; limit: number },
): RowList {
  const parameters: Parameters = { status: options.status, limit: options.limit };
  const domain = domainOrUnset(options.domain, parameters);
  return selectFromOptional(
    journal,
    "decisions",
    [],
    DECISION_COLUMNS,
    () =>
      `SELECT ${DECISION_COLUMNS.join(", ")} FROM decisions WHERE status = @status${domain} ` +
      "ORDER BY created_at DESC LIMIT @limit",
    parameters,
  );
}

const SPIKE_COLUMNS = [
  "id",
  "title",
  "topic",
  "question",
  "findings",
  "gotchas",
  "resources",
  "time_invested_minutes",
  "domain",
  "tags",
  "usefulness_score",
  "access_count",
  "created_at",
  "updated_at",
];

/** `--spikes`: spike reports, most useful first, then newest. */
export function spikeReports(
  journal: ReadJournal,
  options: { domain?: string; tags?: readonly string[]; limit: number },
): RowList {
  const parameters: Parameters = { limit: options.limit };
  let where = `1 = 1${domainOrUnset(options.domain, parameters)}`;
  if (options.tags !== undefined) where += ` AND ${anyTag("tags", options.tags, parameters)}`;
  return selectFromOptional(
    journal,
    "spike_reports",
    [],
    SPIKE_COLUMNS,
    () =>
      `SELECT ${SPIKE_COLUMNS.join(", ")} FROM spike_reports WHERE ${where} ` +
      "ORDER BY usefulness_score DESC, created_at DESC LIMIT @limit",
    parameters,
  );
}

const ASSUMPTION_COLUMNS = [
  "id",
  "assumption",
  "context",
  "source",
  "confidence",
  "status",
  "domain",
  "verified_count",
  "challenged_count",
  "last_verified_at",
  "created_at",
];

const CHALLENGED_ASSUMPTION_COLUMNS = ASSUMPTION_COLUMNS.filter((column) => column !== "last_verified_at");

/** `--assumptions`: assumptions of a status at or above a confidence, most confident first, then newest. */
export function assumptionsWith(
  journal: ReadJournal,
  options: { status: string; minConfidence: number; domain?: string; limit: number },
): RowList {
  const parameters: Parameters = { status: options.status, minConfidence: options.minConfidence, limit: options.limit };
  const domain = domainOrUnset(options.domain, parameters);
  return selectFromOptional(
    journal,
    "assumptions",
    [],
    ASSUMPTION_COLUMNS,
    () =>
      `SELECT ${ASSUMPTION_COLUMNS.join(", ")} FROM assumptions ` +
      `WHERE status = @status AND confidence >= @minConfidence${domain} ` +
      "ORDER BY confidence DESC, created_at DESC LIMIT @limit",
    parameters,
  );
}

/** The challenged and invalidated assumptions, most challenged first, then newest. */
export function challengedAssumptions(journal: ReadJournal, options: { domain?: string; limit: number }): RowList {
  const parameters: Parameters = { limit: options.limit };
  const domain = domainOrUnset(options.domain, parameters);
  return selectFromOptional(
    journal,
    "assumptions",
    [],
    CHALLENGED_ASSUMPTION_COLUMNS,
    () =>
      `SELECT ${CHALLENGED_ASSUMPTION_COLUMNS.join(", ")} FROM assumptions ` +
      `WHERE status IN ('challenged', 'invalidated')${domain} ` +
      "ORDER BY challenged_count DESC, created_at DESC LIMIT @limit",
    parameters,
  );
}

/** Whether `--assumptions` falls back to the challenged list: it found none, and did not ask for those. */
export function fallsBackToChallenged(status: string, found: RowList): boolean {
  return found.rows.length === 0 && status !== "challenged" && status !== "invalidated";
}

const INVARIANT_COLUMNS = [
  "id",
  "statement",
  "rationale",
  "domain",
  "scope",
  "validation_type",
  "validation_code",
  "severity",
  "status",
  "violation_count",
  "last_validated_at",
  "last_violated_at",
  "created_at",
];

/** `--invariants`: invariants, newest first; status "" is any status. */
export function invariantsWith(
  journal: ReadJournal,
  options: { status: string; domain?: string; scope?: string; severity?: string; limit: number },
): RowList {
  const parameters: Parameters = { limit: options.limit };
  let where = "1 = 1";
  if (options.status !== "") {
    where += " AND status = @status";
    parameters.status = options.status;
  }
  where += domainOrUnset(options.domain, parameters);
  for (const column of ["scope", "severity"] as const) {
    if (options[column] === undefined) continue;
    where += ` AND ${column} = @${column}`;
    parameters[column] = options[column];
  }
  return selectFromOptional(
    journal,
    "invariants",
    [],
    INVARIANT_COLUMNS,
    () => `SELECT ${INVARIANT_COLUMNS.join(", ")} FROM invariants WHERE ${where} ORDER BY created_at DESC LIMIT @limit`,
    parameters,
  );
}

/** The golden heuristics (is_golden = 1), most confident first, then most validated. */
export function goldenHeuristics(journal: ReadJournal): RowList {
  return select(journal, "SELECT * FROM heuristics WHERE is_golden = 1 ORDER BY confidence DESC, times_validated DESC");
}

export interface ViolationSummary {
  total: number;
  acknowledged: number;
  unacknowledged: number;
  by_rule: Array<{ rule_id: unknown; rule_name: unknown; count: number }>;
  recent: Array<{ rule_id: unknown; rule_name: unknown; description: unknown; date: unknown }>;
  days: number;
}

const VIOLATION_COLUMNS = ["rule_id", "rule_name", "violation_date", "description", "acknowledged"];

/** `--violations`: the golden-rule violations of the last `days` days. */
export function violationSummary(journal: ReadJournal, days: number, now: Date): ViolationSummary {
  if (!journal.hasColumns("violations", VIOLATION_COLUMNS)) {
    return { total: 0, acknowledged: 0, unacknowledged: 0, by_rule: [], recent: [], days };
  }
  const window = { since: utcTimeBefore(now, days) };
  const within = `FROM violations WHERE ${withinWindow("violation_date")}`;
  const counts = journal.sqlite
    .prepare(`SELECT COUNT(*) AS total, COALESCE(SUM(acknowledged = 1), 0) AS acknowledged ${within}`)
    .get(window) as { total: number; acknowledged: number };
  const byRule = select(
    journal,
    `SELECT rule_id, rule_name, COUNT(*) AS count ${within} GROUP BY rule_id, rule_name ORDER BY count DESC`,
    window,
  ).rows as ViolationSummary["by_rule"];
  const recent = select(
    journal,
    `SELECT rule_id, rule_name, description, violation_date AS date ${within} ORDER BY violation_date DESC LIMIT 5`,
    window,
  ).rows as ViolationSummary["recent"];
  return {
    total: counts.total,
    acknowledged: counts.acknowledged,
    unacknowledged: counts.total - counts.acknowledged,
    by_rule: byRule,
    recent,
    days,
  };
}

export interface JournalStats {
  learnings_by_type: Record<string, number>;
  learnings_by_domain: Record<string, number>;
  heuristics_by_domain: Record<string, number>;
  golden_heuristics: number;
  experiments_by_status: Record<string, number>;
  ceo_reviews_by_status: Record<string, number>;
  total_learnings: number;
  total_heuristics: number;
  total_experiments: number;
  total_ceo_reviews: number;
  violations_7d: number;
  violations_by_rule_7d: Record<string, number>;
}

/** Rows counted by the values of a column ({value: count}; NULL counts as "null", as query.py's JSON has it). */
function countsBy(journal: ReadJournal, table: string, column: string): Record<string, number> {
  if (!journal.hasColumns(table, [column])) return {};
  const rows = journal.sqlite
    .prepare(`SELECT ${column} AS value, COUNT(*) AS count FROM ${table} GROUP BY ${column}`)
    .all() as Array<{ value: unknown; count: number }>;
  return Object.fromEntries(rows.map((row) => [String(row.value), row.count]));
}

function countOf(journal: ReadJournal, table: string, where = ""): number {
  if (!journal.hasColumns(table)) return 0;
  return journal.sqlite.prepare(`SELECT COUNT(*) FROM ${table}${where}`).pluck().get() as number;
}

/** `--stats`: counts over the whole journal, in query.py's keys and order. */
export function journalStats(journal: ReadJournal, now: Date): JournalStats {
  const violations = violationSummary(journal, 7, now);
  return {
    learnings_by_type: countsBy(journal, "learnings", "type"),
    learnings_by_domain: countsBy(journal, "learnings", "domain"),
    heuristics_by_domain: countsBy(journal, "heuristics", "domain"),
    golden_heuristics: countOf(journal, "heuristics", " WHERE is_golden = 1"),
    experiments_by_status: countsBy(journal, "experiments", "status"),
    ceo_reviews_by_status: countsBy(journal, "ceo_reviews", "status"),
    total_learnings: countOf(journal, "learnings"),
    total_heuristics: countOf(journal, "heuristics"),
    total_experiments: countOf(journal, "experiments"),
    total_ceo_reviews: countOf(journal, "ceo_reviews"),
    violations_7d: violations.total,
    violations_by_rule_7d: Object.fromEntries(
      violations.by_rule.map((rule) => [`Rule ${rule.rule_id}: ${rule.rule_name}`, rule.count]),
    ),
  };
}
