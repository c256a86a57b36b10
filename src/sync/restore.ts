/**
 * Markdown written from database rows: sync's write-backs.
 *
 *   // inside writeRowsAndFiles (txn/files-transaction.ts), in the write transaction:
 *   const plan = planWriteBacks(db, layout, findings);   // plan.files: path -> new text (null: remove)
 *
 * `planWriteBacks` rewrites a `db-edited` record (or a conflict settled by
 * the database) from its row, removes a `db-deleted` record (what its row
 * held goes to lore's archive), then writes `restore-file` rows (`db-only`
 * rows, and `--restore`'s) with `planRestore`: a failure gets its own file in
 * ELF's template, an observation its own in ELF's pattern format (each a new
 * name when its `filepath` is taken or unusable, learning-file-names.ts); a
 * heuristic an `## H-<id>` block appended to its domain file. Rows without a
 * lore id get one, so that record and row match exactly. A heuristic whose
 * domain is not a domain file name is skipped and reported. Nothing is
 * written here: the files transaction writes the plan, durably, never
 * through a symlink. Design: docs/DESIGN.md#three-way-sync-and-write-backs
 */
import fs from "node:fs";
import path from "node:path";
import type Database from "better-sqlite3";
import type { JournalLayout } from "../journal/layout.js";
import { journalAbsolutePath } from "../journal/layout.js";
import { parseFailure, renderFailure } from "../journal/failure-markdown.js";
import { firstFreeFile, learningFileStem, learningPathStart } from "../journal/learning-file-names.js";
import { OBSERVATION_SEVERITY, OBSERVATION_TYPE, renderObservation } from "../journal/observation-markdown.js";
import {
  heuristicBlockEnd,
  parseHeuristicFile,
  renderDomainHeader,
  renderHeuristicBlock,
} from "../journal/heuristic-markdown.js";
import { domainSlug } from "../journal/slug.js";
import { readFileIfPresent } from "../io/durable-file.js";
import { isJournalFilePath } from "../journal/journal-file.js";
import type { Row } from "./row-store.js";
import type { Finding } from "./match.js";
import type { FileRecord } from "../journal/journal-file.js";
import { archiveValues } from "../db/record-archive.js";
import { prepared } from "../db/prepared.js";
import { randomUuidInBulk } from "../base/random.js";

export interface RestorePlan {
  /** File (relative) -> its new content; null: the file is removed. */
  files: Map<string, string | null>;
  /** Rows that cannot be written back, with why. */
  skipped: Array<{ row: Row; reason: string }>;
}

/** The YYYY-MM-DD of a row's `created_at` (UTC, as SQLite stores it), or today. */
function dateOf(row: Row): string {
  const created = String(row.values.created_at ?? "");
  return /^\d{4}-\d{2}-\d{2}/.test(created) ? created.slice(0, 10) : new Date().toISOString().slice(0, 10);
}

function text(value: string | number | null | undefined): string {
  return value === null || value === undefined ? "" : String(value);
}

/** Whether a learnings row is an observation (an observation file's), else a failure. */
function isObservation(row: Row): boolean {
  return row.values.type === OBSERVATION_TYPE;
}

/** The file a failure's or an observation's row is written back to: its `filepath`, else a name of its own. */
function learningTarget(layout: JournalLayout, row: Row, taken: Set<string>): string {
  const type = isObservation(row) ? OBSERVATION_TYPE : "failure";
  const stored = text(row.values.filepath);
  const free = (relative: string) => !taken.has(relative) && !fs.existsSync(journalAbsolutePath(layout, relative));
  const usable =
    isJournalFilePath(stored) &&
    stored.startsWith(learningPathStart(type)) &&
    /^[A-Za-z0-9._-]+\.md$/.test(path.posix.basename(stored));
  if (usable && free(stored)) return stored;
  return firstFreeFile(
    learningFileStem(type, dateOf(row).replace(/-/g, ""), text(row.values.title)),
    (candidate) => !free(candidate),
  );
}

/** A failure's or an observation's file, rendered from its row. */
function renderLearning(row: Row, loreId: string, date: string): string {
  const record = {
    loreId,
    title: text(row.values.title),
    domain: text(row.values.domain),
    tags: text(row.values.tags),
    summary: text(row.values.summary),
    date,
  };
  return isObservation(row)
    ? renderObservation({ ...record, severity: Number(row.values.severity ?? OBSERVATION_SEVERITY) })
    : renderFailure({ ...record, severity: Number(row.values.severity ?? 3) });
}

export function planRestore(
  db: Database.Database,
  layout: JournalLayout,
  rows: Row[],
  plan: RestorePlan = { files: new Map(), skipped: [] },
): RestorePlan {
  const assignLoreId = (row: Row) => row.loreId ?? randomUuidInBulk();
  for (const row of rows.filter((candidate) => candidate.table === "learnings")) {
    const target = learningTarget(layout, row, new Set(plan.files.keys()));
    const loreId = assignLoreId(row);
    prepared(db, "UPDATE learnings SET lore_id = ?, filepath = ? WHERE id = ?").run(loreId, target, row.id);
    plan.files.set(target, renderLearning(row, loreId, dateOf(row)));
  }
  const heuristics = rows.filter((candidate) => candidate.table === "heuristics").sort((a, b) => a.id - b.id);
  for (const row of heuristics) {
    const domain = text(row.values.domain);
    if (domain === "" || domainSlug(domain) !== domain) {
      plan.skipped.push({ row, reason: `domain "${domain}" is not a domain file name` });
      continue;
    }
    const target = `memory/heuristics/${domain}.md`;
    const before =
      (plan.files.get(target) ?? readFileIfPresent(journalAbsolutePath(layout, target)))?.replace(/\n?$/, "\n") ??
      renderDomainHeader(domain);
    const loreId = assignLoreId(row);
    prepared(db, "UPDATE heuristics SET lore_id = ? WHERE id = ?").run(loreId, row.id);
    plan.files.set(
      target,
      before +
        renderHeuristicBlock({
          id: row.id,
          loreId,
          rule: text(row.values.rule),
          confidence: Number(row.values.confidence ?? 0.5),
          source: text(row.values.source_type) || "observation",
          explanation: text(row.values.explanation),
          created: dateOf(row),
        }),
    );
  }
  return plan;
}

/**
 * The three-way write-backs of `findings` (match.ts), added to `plan`: a
 * record rewritten from its row (`rewrite-record`), a record removed because
 * its row was deleted (`remove-record`, whose last values go to lore's
 * archive), then rows written to markdown (`restore-file`: db-only rows, and
 * --restore's). Blocks in one domain file are edited from the last to the
 * first, so earlier line numbers stay true. Rows without a lore id get one, so
 * that each written record and its row match. Call inside the write
 * transaction (files-transaction.ts writes the plan).
 */
export function planWriteBacks(db: Database.Database, layout: JournalLayout, findings: Finding[]): RestorePlan {
  const plan: RestorePlan = { files: new Map(), skipped: [] };
  const edits = findings
    .map((finding) => finding.action)
    .filter((action) => action.kind === "rewrite-record" || action.kind === "remove-record")
    .sort((a, b) =>
      a.record.path === b.record.path ? b.record.line - a.record.line : a.record.path < b.record.path ? -1 : 1,
    );
  for (const action of edits) {
    const { record } = action;
    const current = plan.files.has(record.path)
      ? plan.files.get(record.path)
      : readFileIfPresent(journalAbsolutePath(layout, record.path));
    if (current === undefined || current === null) continue;
    if (action.kind === "remove-record") {
      archiveValues(
        db,
        {
          table: record.table,
          id: action.row.id,
          loreId: record.loreId ?? null,
          values: { id: action.row.id, ...record.columns },
        },
        "db-deleted",
      );
    }
    if (record.table === "learnings") {
      plan.files.set(
        record.path,
        action.kind === "remove-record" ? null : learningFromRow(db, action.row, current, record),
      );
      continue;
    }
    const lines = current.split("\n");
    const start = record.line - 1;
    const end = heuristicBlockEnd(lines, start);
    const block = action.kind === "remove-record" ? [] : heuristicFromRow(db, action.row, current, record);
    lines.splice(start, end - start, ...block);
    plan.files.set(record.path, lines.join("\n"));
  }
  const rows = findings.flatMap((finding) => (finding.action.kind === "restore-file" ? [finding.action.row] : []));
  return rows.length > 0 ? planRestore(db, layout, rows, plan) : plan;
}

function loreIdFor(db: Database.Database, row: Row, record: FileRecord): string {
  const loreId = record.loreId ?? row.loreId ?? randomUuidInBulk();
  if (row.loreId !== loreId) prepared(db, `UPDATE ${row.table} SET lore_id = ? WHERE id = ?`).run(loreId, row.id);
  return loreId;
}

function learningFromRow(db: Database.Database, row: Row, current: string, record: FileRecord): string {
  let date = "";
  try {
    // An observation file is read as a failure file is (observation-markdown.ts): its date line is the same.
    date = parseFailure(current).date;
  } catch {
    // Unreadable now: the row's date stands in.
  }
  if (String(row.values.filepath) !== record.path) {
    prepared(db, "UPDATE learnings SET filepath = ? WHERE id = ?").run(record.path, row.id);
  }
  return renderLearning(row, loreIdFor(db, row, record), date || dateOf(row));
}

function heuristicFromRow(db: Database.Database, row: Row, current: string, record: FileRecord): string[] {
  const parsed = parseHeuristicFile(current).find((block) => block.line === record.line);
  const rendered = renderHeuristicBlock({
    id: record.headingId ?? row.id,
    loreId: loreIdFor(db, row, record),
    rule: text(row.values.rule),
    confidence: Number(row.values.confidence ?? 0.5),
    source: text(row.values.source_type) || "observation",
    explanation: text(row.values.explanation),
    created: parsed?.created || dateOf(row),
  });
  return rendered.split("\n").slice(0, -1);
}
