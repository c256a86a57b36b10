/**
 * Record rows in ELF's tables, addressed by lore's stable id.
 *
 * `insertRecordRow(db, table, values)` inserts a row (with an explicit `id` when
 * `values.id` is set, as crash recovery does to keep the id already written in
 * the markdown) and returns its id. `findRecordRowId` finds a row by
 * `lore_id`, `findRecordedRow` with the file its record is in.
 * `recordRowBase` notes which file a row's record is in and the record's
 * fingerprint (record-fingerprint.ts): the base `lore sync` compares
 * the two with, so that a later change to the row alone is known as the
 * database's; `forgetRowBase` drops it, for a row taken out of the index
 * (record-archive.ts), whose record is no deletion to repeat when it returns.
 * Column names are checked against the tables' columns, so values read back
 * from a pending intent file can never inject SQL. Call inside a write
 * transaction.
 */
import type Database from "better-sqlite3";
import type { RecordTable } from "../journal/journal-file.js";
import { prepared } from "./prepared.js";

export type RowValues = Record<string, string | number | null>;

const COLUMNS: Record<RecordTable, ReadonlySet<string>> = {
  learnings: new Set(["id", "type", "filepath", "title", "summary", "tags", "domain", "severity", "lore_id"]),
  heuristics: new Set(["id", "domain", "rule", "explanation", "source_type", "confidence", "lore_id"]),
};

export function insertRecordRow(db: Database.Database, table: RecordTable, values: RowValues): number {
  const names = Object.keys(values);
  for (const name of names) {
    if (!COLUMNS[table].has(name)) throw new Error(`unknown column ${table}.${name}`);
  }
  const sql = `INSERT INTO ${table} (${names.join(", ")}) VALUES (${names.map((name) => `@${name}`).join(", ")})`;
  return Number(prepared(db, sql).run(values).lastInsertRowid);
}

export function findRecordRowId(db: Database.Database, table: RecordTable, loreId: string): number | undefined {
  const row = prepared(db, `SELECT id FROM ${table} WHERE lore_id = ?`).get(loreId) as { id: number } | undefined;
  return row?.id;
}

/**
 * The row with this lore id and the file its record is in (lore's base of
 * the row; a failure's `filepath` where there is none), if there is one.
 */
export function findRecordedRow(
  db: Database.Database,
  table: RecordTable,
  loreId: string,
): { id: number; path: string | null } | undefined {
  const fallback = table === "learnings" ? "t.filepath" : "NULL";
  const sql =
    `SELECT t.id AS id, COALESCE(f.path, ${fallback}) AS path FROM ${table} t ` +
    "LEFT JOIN lore_file_rows f ON f.tbl = ? AND f.row_id = t.id WHERE t.lore_id = ?";
  return prepared(db, sql).get(table, loreId) as { id: number; path: string | null } | undefined;
}

export function recordRowBase(db: Database.Database, table: RecordTable, id: number, path: string, base: string): void {
  prepared(db, "INSERT OR REPLACE INTO lore_file_rows(tbl, row_id, path, base) VALUES (?, ?, ?, ?)").run(
    table,
    id,
    path,
    base,
  );
}

/** Forgets a row's base: once the row is out of the index, its record coming back is a record without a row. */
export function forgetRowBase(db: Database.Database, table: RecordTable, id: number): void {
  prepared(db, "DELETE FROM lore_file_rows WHERE tbl = ? AND row_id = ?").run(table, id);
}
