/**
 * Applying sync's row actions (match.ts) to the database, and lore's archive,
 * where every row sync takes out of the index goes, DB-only data included.
 *
 *   db.write(journalKey, () => applyRowActions(db.sqlite, findings));   // archives, updates, inserts, the search index
 *
 * - `insert-row` inserts the record's row. If lore's archive holds the row
 *   the record had before (same lore id, or for ELF's records the same failure
 *   path or heuristic domain and rule), the DB-only data comes back with it:
 *   confidence, validation counts, golden flag, source id, dates, and the old
 *   id when it is free. A heuristic takes the id its heading shows (`H-<id>`)
 *   when that id is free, so the markdown and the database agree.
 * - `update-row` sets the compared columns from the file; nothing else.
 * - `archive-row` copies the whole row, as JSON, into `lore_archive`, then
 *   deletes it (db/record-archive.ts, which crash recovery uses too).
 * - `rebuild-search-index` makes the search index anew from the rows, last,
 *   so that it holds every row the other actions wrote, whatever triggers
 *   were missing when they wrote it (db/search-index.ts).
 * Other actions touch no row. Call inside a write transaction (lock order:
 * journal lock, then SQLite).
 */
import type Database from "better-sqlite3";
import type { RecordTable } from "../journal/journal-file.js";
import type { FileRecord } from "../journal/journal-file.js";
import type { Finding } from "./match.js";
import type { Row } from "./row-store.js";
import { prepared } from "../db/prepared.js";
import { type ArchivedRow, archiveRow, findArchived, removeFromArchive } from "../db/record-archive.js";
import { rebuildSearchIndex } from "../db/search-index.js";

/** Columns only the database holds, restored from the archive with a returning record. */
const DB_ONLY_COLUMNS: Record<RecordTable, string[]> = {
  learnings: ["created_at", "updated_at"],
  heuristics: ["confidence", "times_validated", "times_violated", "is_golden", "source_id", "created_at", "updated_at"],
};

function loreIdTaken(db: Database.Database, table: RecordTable, loreId: string): boolean {
  return prepared(db, `SELECT 1 FROM ${table} WHERE lore_id = ?`).get(loreId) !== undefined;
}

function idIsFree(db: Database.Database, table: RecordTable, id: number): boolean {
  return prepared(db, `SELECT 1 FROM ${table} WHERE id = ?`).get(id) === undefined;
}

/** The id a new row for `record` should get, if it is free: its `H-<id>`, else the id it had before. */
function preferredId(db: Database.Database, record: FileRecord, archived: ArchivedRow | undefined): number | undefined {
  const candidates: number[] = [];
  if (record.table === "heuristics" && record.headingId !== undefined && record.headingId > 0) {
    candidates.push(record.headingId);
  }
  if (archived) candidates.push(archived.row_id);
  return candidates.find((candidate) => idIsFree(db, record.table, candidate));
}

/**
 * Inserts the row of a record; returns its id. With `explicitIdOnly`, a record
 * that cannot take an id of its own is left for later (returns undefined).
 */
export function insertRecordRowFor(
  db: Database.Database,
  record: FileRecord,
  withLoreId: boolean,
  options: { explicitIdOnly?: boolean } = {},
): number | undefined {
  const values: Record<string, string | number | null> = { ...record.columns, ...record.insertOnly };
  if (withLoreId && record.loreId !== undefined && !loreIdTaken(db, record.table, record.loreId))
    values.lore_id = record.loreId;
  const archived = findArchived(db, record.table, record.loreId, record.columns);
  const id = preferredId(db, record, archived);
  if (options.explicitIdOnly && id === undefined) return undefined;
  if (archived) {
    const old = JSON.parse(archived.row_json) as Record<string, string | number | null>;
    for (const column of DB_ONLY_COLUMNS[record.table]) if (old[column] !== undefined) values[column] = old[column];
  }
  if (id !== undefined) values.id = id;
  const names = Object.keys(values);
  const result = prepared(
    db,
    `INSERT INTO ${record.table} (${names.join(", ")}) VALUES (${names.map((name) => `@${name}`).join(", ")})`,
  ).run(values);
  if (archived) removeFromArchive(db, archived.id);
  return Number(result.lastInsertRowid);
}

export function updateRowFrom(db: Database.Database, row: Row, record: FileRecord, columns: string[]): void {
  const values: Record<string, string | number | null> = { id: row.id };
  for (const column of columns)
    values[column] = column === "lore_id" ? (record.loreId ?? null) : record.columns[column];
  const assignments = columns.map((column) => `${column} = @${column}`).join(", ");
  prepared(db, `UPDATE ${row.table} SET ${assignments}, updated_at = CURRENT_TIMESTAMP WHERE id = @id`).run(values);
}

/**
 * Applies the row actions of `findings`: archives first (they free ids and
 * lore ids), then updates, then inserts: first those that can take an id of
 * their own, then the rest with new ids, so that a new id never takes the one
 * a later record wanted; then the search index, when it is to be rebuilt.
 */
export function applyRowActions(db: Database.Database, findings: Finding[]): void {
  for (const finding of findings) {
    if (finding.action.kind === "archive-row") archiveRow(db, finding.action.row, finding.type);
  }
  for (const { action } of findings) {
    if (action.kind === "update-row") updateRowFrom(db, action.row, action.record, action.columns);
  }
  const later: Array<{ record: FileRecord; withLoreId: boolean }> = [];
  for (const { action } of findings) {
    if (action.kind !== "insert-row") continue;
    const id = insertRecordRowFor(db, action.record, action.withLoreId, { explicitIdOnly: true });
    if (id === undefined) later.push(action);
  }
  for (const action of later) insertRecordRowFor(db, action.record, action.withLoreId);
  if (findings.some(({ action }) => action.kind === "rebuild-search-index")) rebuildSearchIndex(db);
}
