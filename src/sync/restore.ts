/**
 * `lore sync --restore`: markdown written back from database rows whose
 * record is in no file. This is ELF's repair direction; lore takes it only on
 * request.
 *
 *   const plan = planRestore(db, layout, rows);   // in the write transaction
 *   ...commit...
 *   writeRestoredFiles(layout, plan);              // after the commit
 *
 * `planRestore` gives each row a lore id if it has none (so the new markdown
 * and the row match exactly) and, for a failure whose `filepath` is not a
 * usable record path (taken, or not `memory/failures/<name>.md`), a new file
 * name by the record commands' rules; it updates those rows. A failure gets
 * its own file in ELF's template; heuristics are added, as ELF's
 * `## H-<id>` blocks, to their domain's file (created with ELF's header when
 * missing), which is replaced whole. A heuristic whose domain is not a valid
 * domain file name cannot be written back and is reported, not restored.
 * Files are written durably (durable-file.ts), never through a symlink.
 */
import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import type { JournalLayout } from "../journal/layout.js";
import { journalAbsolutePath } from "../journal/layout.js";
import { renderFailure } from "../journal/failure-markdown.js";
import { renderDomainHeader, renderHeuristicBlock } from "../journal/heuristic-markdown.js";
import { domainSlug, failureSlug } from "../journal/slug.js";
import { assertPlainPath, readFileIfPresent, writeFileDurably } from "../io/durable-file.js";
import { FAILURES_DIR, isJournalFilePath } from "../journal/journal-file.js";
import type { Row } from "./row-store.js";
import { prepared } from "../db/prepared.js";

export interface RestorePlan {
  /** File (relative) -> its new content. */
  files: Map<string, string>;
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

function failureTarget(layout: JournalLayout, row: Row, taken: Set<string>): string {
  const stored = text(row.values.filepath);
  const usable =
    isJournalFilePath(stored) &&
    stored.startsWith(`${FAILURES_DIR}/`) &&
    /^[A-Za-z0-9._-]+\.md$/.test(path.posix.basename(stored));
  if (usable && !taken.has(stored) && !fs.existsSync(journalAbsolutePath(layout, stored))) return stored;
  const stem = `${FAILURES_DIR}/${dateOf(row).replace(/-/g, "")}_${failureSlug(text(row.values.title))}`;
  for (let suffix = 1; ; suffix++) {
    const candidate = suffix === 1 ? `${stem}.md` : `${stem}-${suffix}.md`;
    if (!taken.has(candidate) && !fs.existsSync(journalAbsolutePath(layout, candidate))) return candidate;
  }
}

export function planRestore(db: Database.Database, layout: JournalLayout, rows: Row[]): RestorePlan {
  const plan: RestorePlan = { files: new Map(), skipped: [] };
  const assignLoreId = (row: Row) => row.loreId ?? randomUUID();
  for (const row of rows.filter((candidate) => candidate.table === "learnings")) {
    const target = failureTarget(layout, row, new Set(plan.files.keys()));
    const loreId = assignLoreId(row);
    prepared(db, "UPDATE learnings SET lore_id = ?, filepath = ? WHERE id = ?").run(loreId, target, row.id);
    plan.files.set(
      target,
      renderFailure({
        loreId,
        title: text(row.values.title),
        domain: text(row.values.domain),
        severity: Number(row.values.severity ?? 3),
        tags: text(row.values.tags),
        summary: text(row.values.summary),
        date: dateOf(row),
      }),
    );
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
      plan.files.get(target) ??
      readFileIfPresent(journalAbsolutePath(layout, target))?.replace(/\n?$/, "\n") ??
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

/** Writes the planned files; returns their absolute paths. */
export function writeRestoredFiles(layout: JournalLayout, plan: RestorePlan): string[] {
  const written: string[] = [];
  for (const [relative, content] of plan.files) {
    const target = journalAbsolutePath(layout, relative);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    assertPlainPath(layout.base, target);
    writeFileDurably(target, content);
    written.push(target);
  }
  return written;
}
