/**
 * lore's archive of record rows, `lore_archive`: where every row lore takes
 * out of the index goes, whole, DB-only data included, so that nothing is
 * ever lost; when its record comes back, the row comes back from it.
 *
 *   archiveRow(db, row, "missing-file");                 // copy into the archive, then delete
 *   archiveValues(db, row, "rebuild");                   // copy only (the row is not in this database)
 *   archiveRecordRow(db, table, loreId, "recovery");     // the row with that lore id, if any
 *   const archived = findArchived(db, table, loreId, columns);
 *   removeFromArchive(db, archived.id);                  // its row is back in its table
 *
 * A row is kept as JSON with its table, id, lore id and the key an ELF record
 * (no lore id) is found again by: a failure's `filepath`, a heuristic's domain
 * and rule. `findArchived` gives the latest archived row of a record: by lore
 * id, else, for a record without one, by that key. Call inside a write
 * transaction (lock order: journal lock, then SQLite). Throws SQLite's errors.
 */
import type Database from "better-sqlite3";
import type { RecordTable } from "../journal/journal-file.js";
import { prepared } from "./prepared.js";

/** A row as read back whole: its table, id, lore id and every column's value. */
export interface ArchivableRow {
  table: RecordTable;
  id: number;
  loreId: string | null;
  values: Record<string, unknown>;
}

export interface ArchivedRow {
  id: number;
  row_id: number;
  row_json: string;
}

/** How an ELF record (no lore id) is recognised in the archive. */
function archiveKey(table: RecordTable, values: Record<string, unknown>): string {
  return table === "learnings" ? String(values.filepath) : `${String(values.domain)}\n${String(values.rule)}`;
}

/** Keeps a row's values in the archive, whether or not the row still exists. */
export function archiveValues(db: Database.Database, row: ArchivableRow, reason: string): void {
  prepared(
    db,
    "INSERT INTO lore_archive(tbl, row_id, lore_id, match_key, row_json, reason) VALUES (?, ?, ?, ?, ?, ?)",
  ).run(row.table, row.id, row.loreId ?? null, archiveKey(row.table, row.values), JSON.stringify(row.values), reason);
}

/** Moves a row into the archive: kept there, then deleted from its table. */
export function archiveRow(db: Database.Database, row: ArchivableRow, reason: string): void {
  archiveValues(db, row, reason);
  prepared(db, `DELETE FROM ${row.table} WHERE id = ?`).run(row.id);
}

/** Moves the row with `loreId` into the archive; returns its id, undefined when there is none. */
export function archiveRecordRow(
  db: Database.Database,
  table: RecordTable,
  loreId: string,
  reason: string,
): number | undefined {
  const values = prepared(db, `SELECT * FROM ${table} WHERE lore_id = ?`).get(loreId) as
    | Record<string, unknown>
    | undefined;
  if (values === undefined) return undefined;
  const id = Number(values.id);
  archiveRow(db, { table, id, loreId, values }, reason);
  return id;
}

/** The latest archived row of a record: by its lore id, else (a record without one) by its key. */
export function findArchived(
  db: Database.Database,
  table: RecordTable,
  loreId: string | undefined,
  columns: Record<string, unknown>,
): ArchivedRow | undefined {
  if (loreId !== undefined) {
    const byLoreId = prepared(
      db,
      "SELECT id, row_id, row_json FROM lore_archive WHERE tbl = ? AND lore_id = ? ORDER BY id DESC LIMIT 1",
    ).get(table, loreId) as ArchivedRow | undefined;
    if (byLoreId) return byLoreId;
  }
  return prepared(
    db,
    "SELECT id, row_id, row_json FROM lore_archive WHERE tbl = ? AND match_key = ? AND lore_id IS NULL ORDER BY id DESC LIMIT 1",
  ).get(table, archiveKey(table, columns)) as ArchivedRow | undefined;
}

/** Removes an archived row, once a row was made from it again. */
export function removeFromArchive(db: Database.Database, archiveId: number): void {
  prepared(db, "DELETE FROM lore_archive WHERE id = ?").run(archiveId);
}
