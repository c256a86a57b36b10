/**
 * `lore record-violation RULE DESCRIPTION [SESSION_ID]`: a violation of a
 * golden rule, as ELF's record-violation.sh records it, with its escalation
 * to `ceo-inbox/`, as one journal transaction.
 *
 *   const request = violationRequest(["3", "Skipped the query"], now);   // InvalidFieldError (exit 2)
 *   const result = await recordViolation(session, request, now);
 *   // result.violation, result.count, result.level, result.escalation, result.commit / result.commitError
 *
 * Input (violationRequest): RULE is a whole number, 1 or more (digits only,
 * as ELF's `^[0-9]+$`; `007` is rule 7); DESCRIPTION must not be empty or
 * blank; SESSION_ID, when missing or empty, is ELF's `YYYYMMDD-HHMMSS` in
 * local time. A bad value throws InvalidFieldError naming RULE or
 * DESCRIPTION, before the journal is opened.
 *
 * Inside the journal lock, in txn/files-transaction.ts's writeRowsAndFiles:
 *   1. the rule name as record-violation.sh reads it from
 *      `memory/golden-rules.md` (journal/golden-rules-file.ts goldenRuleName:
 *      the `> ` line under `## <N>.`), else `Unknown Rule` (a format A file,
 *      no such rule, no file): `ruleFound` false, the caller warns;
 *   2. the `violations` row: rule_id, rule_name, description, session_id,
 *      violation_date now (UTC, CURRENT_TIMESTAMP's form);
 *   3. the violations of the last 7 days, this one included: 3 or more is
 *      WARNING, 5 PROBATION, 10 CRITICAL;
 *   4. at CRITICAL, one escalation per crossing (the fix of ELF's bug, whose
 *      every violation past 10 wrote another file and row): unless a
 *      `ceo_reviews` row titled `Golden Rule Violations Threshold Exceeded`
 *      is still pending and was made within the last 7 days (then
 *      `pendingReview` names it), the file
 *      `ceo-inbox/VIOLATION_THRESHOLD_<YYYYMMDD_HHMMSS>.md` (local time; `_2`,
 *      `_3`, ... when that name is taken) with ELF's sections, and its
 *      `ceo_reviews` row (pending, its recommendation naming the file). A
 *      review decided (its status changed) or older than the window lets the
 *      next violation at 10 or more escalate again;
 *   5. COMMIT; with an escalation, its file written durably through the
 *      transaction's intent and one git commit, `violation: rule <N> <name>`.
 *      Without one there is no file, so no intent and no commit: the row is
 *      the database's alone, as ELF's (a rebuild carries it over).
 * Errors and a kill at any point are writeRowsAndFiles's: before COMMIT
 * neither the row nor the file stays; after it both do, and a failed git
 * commit is `commitError` (exit 5), the next lore command commits the file.
 * The tables of the CEO file are sqlite3's `-header -column` layout, in a
 * code block: a line break in a description shows as a space, and the fence
 * is longer than any run of backticks inside.
 */
import { InvalidFieldError, quoted } from "../base/errors.js";
import { prepared } from "../db/prepared.js";
import { readFileIfPresent } from "../io/durable-file.js";
import { goldenRuleName } from "../journal/golden-rules-file.js";
import { journalAbsolutePath } from "../journal/layout.js";
import { utcTimeBefore, withinWindow } from "../read/journal-time.js";
import { localDate, localTime } from "../record/local-date.js";
import { writeRowsAndFiles } from "../txn/files-transaction.js";
import type { JournalSession } from "../txn/session.js";
import fs from "node:fs";

export const UNKNOWN_RULE = "Unknown Rule";
export const VIOLATION_WINDOW_DAYS = 7;
export const ESCALATION_TITLE = "Golden Rule Violations Threshold Exceeded";
export const CEO_INBOX = "ceo-inbox";

export type ViolationLevel = "none" | "warning" | "probation" | "critical";

/** The lowest 7-day count of each level, highest first. */
export const VIOLATION_LEVELS: ReadonlyArray<{ level: Exclude<ViolationLevel, "none">; from: number }> = [
  { level: "critical", from: 10 },
  { level: "probation", from: 5 },
  { level: "warning", from: 3 },
];

export interface ViolationRequest {
  rule: number;
  description: string;
  sessionId: string;
}

export interface ViolationRow {
  id: number;
  ruleId: number;
  ruleName: string;
  description: string;
  sessionId: string;
  violationDate: string;
}

export interface ViolationResult {
  violation: ViolationRow;
  /** golden-rules.md names the rule; false: recorded as `Unknown Rule`. */
  ruleFound: boolean;
  /** Violations of the last 7 days, this one included. */
  count: number;
  level: ViolationLevel;
  /** The escalation this violation made: its file (relative) and its ceo_reviews row. */
  escalation: { file: string; reviewId: number } | undefined;
  /** At CRITICAL without a new escalation: the pending ceo_reviews row that stands for this crossing. */
  pendingReview: { id: number; createdAt: string } | undefined;
  commit: string | null;
  commitError?: Error;
}

export function violationLevel(count: number): ViolationLevel {
  return VIOLATION_LEVELS.find((each) => count >= each.from)?.level ?? "none";
}

/** The request of `RULE DESCRIPTION [SESSION_ID]`; InvalidFieldError for a bad RULE or DESCRIPTION. */
export function violationRequest(args: readonly string[], now: Date): ViolationRequest {
  const [rule = "", description = "", sessionId = ""] = args;
  const number = Number(rule);
  if (!/^[0-9]+$/.test(rule) || !Number.isSafeInteger(number) || number < 1) {
    throw new InvalidFieldError(
      "RULE",
      `must be a golden rule's number, a whole number 1 or more (got ${quoted(rule)})`,
    );
  }
  if (description.trim() === "") throw new InvalidFieldError("DESCRIPTION", "must not be empty");
  return {
    rule: number,
    description,
    sessionId: sessionId === "" ? `${localDate(now).compact}-${localTime(now).compact}` : sessionId,
  };
}

/** The pending escalation made within the window, if any: it stands for the crossing still under way. */
function pendingEscalation(session: JournalSession, since: string): { id: number; createdAt: string } | undefined {
  const row = prepared(
    session.db.sqlite,
    `SELECT id, created_at AS createdAt FROM ceo_reviews
     WHERE title = @title AND status = 'pending' AND ${withinWindow("created_at")} ORDER BY id DESC LIMIT 1`,
  ).get({ title: ESCALATION_TITLE, since }) as { id: number; createdAt: string } | undefined;
  return row;
}

/** `ceo-inbox/VIOLATION_THRESHOLD_<stamp>.md`, or with `_2`, `_3`, ... where that name is taken. */
function escalationFile(session: JournalSession, now: Date): string {
  const stamp = `${localDate(now).compact}_${localTime(now).compact}`;
  for (let suffix = 1; ; suffix++) {
    const file = `${CEO_INBOX}/VIOLATION_THRESHOLD_${stamp}${suffix === 1 ? "" : `_${suffix}`}.md`;
    if (!fs.existsSync(journalAbsolutePath(session.layout, file))) return file;
  }
}

/** Rows as sqlite3's `-header -column` prints them: each column as wide as its widest cell, two spaces apart. */
function columnTable(columns: readonly string[], rows: ReadonlyArray<Record<string, unknown>>): string {
  const cells = rows.map((row) => columns.map((column) => String(row[column] ?? "").replace(/\r\n|[\r\n]/g, " ")));
  const widths = columns.map((column, at) => Math.max(column.length, ...cells.map((row) => row[at].length)));
  const line = (values: string[]) =>
    values
      .map((value, at) => value.padEnd(widths[at]))
      .join("  ")
      .trimEnd();
  return [line([...columns]), line(widths.map((width) => "-".repeat(width))), ...cells.map(line)].join("\n");
}

/** `text` in a code block whose fence no run of backticks inside can close. */
function codeBlock(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}\n${text}\n${fence}`;
}

/** The CEO file, with ELF's sections; its tables read the rows of the window, this violation's included. */
function escalationText(session: JournalSession, count: number, since: string, now: Date): string {
  const within = `FROM violations WHERE ${withinWindow("violation_date")}`;
  const recent = prepared(
    session.db.sqlite,
    `SELECT rule_id, rule_name, description, violation_date ${within} ORDER BY violation_date DESC, id DESC LIMIT 10`,
  ).all({ since }) as Array<Record<string, unknown>>;
  const byRule = prepared(
    session.db.sqlite,
    `SELECT rule_id, rule_name, COUNT(*) AS count ${within} GROUP BY rule_id ORDER BY count DESC, rule_id`,
  ).all({ since }) as Array<Record<string, unknown>>;
  return [
    "# Golden Rule Violations - Threshold Exceeded",
    "",
    "**Status:** Urgent Review Required",
    `**Date:** ${localDate(now).iso} ${localTime(now).iso}`,
    `**Total Violations (7 days):** ${count}`,
    "",
    "## Context",
    "",
    `The system has recorded ${count} Golden Rule violations in the past 7 days, exceeding the critical ` +
      "threshold of 10. This indicates systematic issues with following established best practices.",
    "",
    "## Recent Violations",
    "",
    codeBlock(columnTable(["rule_id", "rule_name", "description", "violation_date"], recent)),
    "",
    "## Violations by Rule",
    "",
    codeBlock(columnTable(["rule_id", "rule_name", "count"], byRule)),
    "",
    "## Options",
    "",
    "1. **Review and Reset** - Acknowledge violations, reset counter, implement corrective measures",
    "2. **System Adjustment** - Modify golden rules if they're not practical",
    "3. **Enhanced Monitoring** - Add automated checks to prevent violations",
    "4. **Training** - Additional context/examples for problematic rules",
    "",
    "## Recommendation",
    "",
    "Review violation patterns to identify if this is:",
    "- A training issue (rules not clear)",
    "- A workflow issue (rules not practical)",
    "- An accountability issue (rules being ignored)",
    "",
    "Take corrective action and reset acknowledgment status.",
    "",
  ].join("\n");
}

function commitMessage(violation: ViolationRow, count: number, file: string): string {
  return [
    `violation: rule ${violation.ruleId} ${violation.ruleName}`,
    "",
    `${count} violations in ${VIOLATION_WINDOW_DAYS} days: escalated to the CEO in ${file}.`,
    "",
    `Description: ${violation.description}`,
    `Session: ${violation.sessionId}`,
  ].join("\n");
}

export async function recordViolation(
  session: JournalSession,
  request: ViolationRequest,
  now: Date,
): Promise<ViolationResult> {
  const { sqlite } = session.db;
  const violationDate = utcTimeBefore(now, 0);
  const since = utcTimeBefore(now, VIOLATION_WINDOW_DAYS);
  let result: Omit<ViolationResult, "commit" | "commitError"> | undefined;
  const written = await writeRowsAndFiles(session, () => {
    const rules = readFileIfPresent(session.layout.goldenRulesFile);
    const name = rules === undefined ? undefined : goldenRuleName(rules, request.rule);
    const violation: ViolationRow = {
      id: 0,
      ruleId: request.rule,
      ruleName: name ?? UNKNOWN_RULE,
      description: request.description,
      sessionId: request.sessionId,
      violationDate,
    };
    violation.id = Number(
      prepared(
        sqlite,
        "INSERT INTO violations (rule_id, rule_name, description, session_id, violation_date) VALUES (?, ?, ?, ?, ?)",
      ).run(violation.ruleId, violation.ruleName, violation.description, violation.sessionId, violationDate)
        .lastInsertRowid,
    );
    const count = (
      prepared(sqlite, `SELECT COUNT(*) AS count FROM violations WHERE ${withinWindow("violation_date")}`).get({
        since,
      }) as { count: number }
    ).count;
    const level = violationLevel(count);
    const pendingReview = level === "critical" ? pendingEscalation(session, since) : undefined;
    const files = new Map<string, string>();
    let escalation: ViolationResult["escalation"];
    if (level === "critical" && pendingReview === undefined) {
      const file = escalationFile(session, now);
      files.set(file, escalationText(session, count, since, now));
      const reviewId = Number(
        prepared(
          sqlite,
          "INSERT INTO ceo_reviews (title, context, recommendation, status, created_at) VALUES (?, ?, ?, 'pending', ?)",
        ).run(
          ESCALATION_TITLE,
          `System recorded ${count} violations in ${VIOLATION_WINDOW_DAYS} days, exceeding critical threshold.`,
          `Review violation patterns and take corrective action. See ${file} for details.`,
          violationDate,
        ).lastInsertRowid,
      );
      escalation = { file, reviewId };
    }
    result = { violation, ruleFound: name !== undefined, count, level, escalation, pendingReview };
    return { files, message: escalation ? commitMessage(violation, count, escalation.file) : "" };
  });
  return {
    ...(result as Omit<ViolationResult, "commit" | "commitError">),
    commit: written.commit,
    ...(written.commitError ? { commitError: written.commitError } : {}),
  };
}
