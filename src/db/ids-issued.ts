/**
 * The ids issued: the highest row id lore has given out in each record table
 * (`learnings`, `heuristics`), kept beside the database in
 * `memory/.lore/ids-issued`, so that a database that lost commits (its WAL
 * deleted, cut short or garbled; `index.db` emptied or replaced by an older
 * copy) is known to be behind (txn/database-behind.ts) instead of giving an
 * id a second time.
 *
 *   const before = raiseIdsIssued(layout, sqlite);   // in a record's transaction, after its INSERT, before its file
 *   restoreIdsIssued(layout, before, sqlite);        // that record rolled back
 *   alignIdsIssued(layout, sqlite);                  // a sync's fix: the sequences and the file each raised to the other
 *   readIdsIssued(layout);                           // undefined: unknown (missing, cut short, garbled)
 *   idSequences(sqlite); raiseIdSequence(sqlite, table, id);
 *
 * The sequences are SQLite's own (`sqlite_sequence`): the tables are
 * AUTOINCREMENT, so a sequence is the highest id ever given in its table, and
 * a deleted row does not lower it; only a lost commit does.
 *
 * The file is one block of BLOCK_SIZE bytes, the two numbers and a checksum
 * of them, overwritten in place at offset 0 and made durable with fsync:
 * no temp file, no rename, no directory fsync, so it costs one small write
 * and one flush. The block lies in one disk sector, and a block that is cut
 * short or garbled fails its checksum and reads as unknown, never as a wrong
 * number. The first time it is created, and its directory fsynced, so that
 * its name is durable too. It is written through the file-system seam
 * (io/file-system.ts), as every durable operation of lore's. Only the
 * journal lock's holder writes it, and only upward, but for `restoreIdsIssued`,
 * which puts back what a rolled-back record raised.
 * Errors: the file system's, from writing; reading never throws.
 * Design: docs/DESIGN.md#a-database-behind-its-journal
 */
import fs from "node:fs";
import path from "node:path";
import type Database from "better-sqlite3";
import type { JournalLayout } from "../journal/layout.js";
import type { RecordTable } from "../journal/journal-file.js";
import { prepared } from "./prepared.js";
import { closeFile, openForWriting, syncDirectory, syncFile, writeToFile } from "../io/file-system.js";

export type IdsIssued = Record<RecordTable, number>;

const TABLES: readonly RecordTable[] = ["learnings", "heuristics"];

/** The file's size: far below a disk sector (512 bytes), so that one write puts it all. */
const BLOCK_SIZE = 128;

const BLOCK = /^lore ids issued\n(learnings (\d+)\nheuristics (\d+)\n)check ([0-9a-f]{8})\n *\n$/;

export function idsIssuedFile(layout: JournalLayout): string {
  return path.join(layout.loreDir, "ids-issued");
}

/** FNV-1a (32 bits) of `text`, in hex: enough to tell a torn or garbled block. */
function checksum(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

function block(ids: IdsIssued): Buffer {
  const numbers = `learnings ${ids.learnings}\nheuristics ${ids.heuristics}\n`;
  const text = `lore ids issued\n${numbers}check ${checksum(numbers)}\n`;
  return Buffer.from(`${text.padEnd(BLOCK_SIZE - 1, " ")}\n`, "latin1");
}

/** The ids issued as the file says; undefined when it is missing, cut short or garbled. */
export function readIdsIssued(layout: JournalLayout): IdsIssued | undefined {
  let text: string;
  try {
    text = fs.readFileSync(idsIssuedFile(layout), "latin1").slice(0, BLOCK_SIZE);
  } catch {
    return undefined;
  }
  const match = BLOCK.exec(text);
  if (!match || text.length !== BLOCK_SIZE || checksum(match[1]) !== match[4]) return undefined;
  const ids = { learnings: Number(match[2]), heuristics: Number(match[3]) };
  return Number.isSafeInteger(ids.learnings) && Number.isSafeInteger(ids.heuristics) ? ids : undefined;
}

function writeIdsIssued(layout: JournalLayout, ids: IdsIssued): void {
  const file = idsIssuedFile(layout);
  const created = !fs.existsSync(file);
  // In place once it exists: one write at offset 0 and one fsync, no rename.
  const fd = openForWriting(file, created ? "wx" : "r+", 0o644);
  try {
    writeToFile(fd, block(ids));
    syncFile(fd);
  } finally {
    closeFile(fd);
  }
  if (created) syncDirectory(path.dirname(file));
}

/** The highest id each record table has given (0 for one that never gave any). */
export function idSequences(sqlite: Database.Database): IdsIssued {
  const ids: IdsIssued = { learnings: 0, heuristics: 0 };
  const rows = prepared(
    sqlite,
    "SELECT name, seq FROM sqlite_sequence WHERE name IN ('learnings', 'heuristics')",
  ).all() as Array<{ name: RecordTable; seq: number }>;
  for (const row of rows) ids[row.name] = Math.max(ids[row.name], Number(row.seq));
  return ids;
}

/** Makes `table`'s next id at least `id + 1`. Call inside a write transaction. */
export function raiseIdSequence(sqlite: Database.Database, table: RecordTable, id: number): void {
  if (id <= 0) return;
  const raised = prepared(sqlite, "UPDATE sqlite_sequence SET seq = ? WHERE name = ? AND seq < ?").run(id, table, id);
  if (raised.changes > 0) return;
  prepared(
    sqlite,
    "INSERT INTO sqlite_sequence(name, seq) SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)",
  ).run(table, id, table);
}

/**
 * Raises the file to the database's sequences (as the open transaction sees
 * them); returns what the file held before, for restoreIdsIssued. Writes only
 * when a number goes up.
 */
export function raiseIdsIssued(layout: JournalLayout, sqlite: Database.Database): IdsIssued | undefined {
  const before = readIdsIssued(layout);
  const sequences = idSequences(sqlite);
  if (before && TABLES.every((table) => before[table] >= sequences[table])) return before;
  const raised = { ...sequences };
  for (const table of TABLES) raised[table] = Math.max(before?.[table] ?? 0, sequences[table]);
  writeIdsIssued(layout, raised);
  return before;
}

/** Puts the file back as it was before raiseIdsIssued (as the database's sequences, when it was unknown). */
export function restoreIdsIssued(
  layout: JournalLayout,
  before: IdsIssued | undefined,
  sqlite: Database.Database,
): void {
  writeIdsIssued(layout, before ?? idSequences(sqlite));
}

/**
 * Raises each sequence to the ids the file says were issued, then the file to
 * the sequences: after it, neither gives an id the other knows was given.
 * Call inside a write transaction.
 */
export function alignIdsIssued(layout: JournalLayout, sqlite: Database.Database): void {
  const issued = readIdsIssued(layout);
  if (issued) for (const table of TABLES) raiseIdSequence(sqlite, table, issued[table]);
  raiseIdsIssued(layout, sqlite);
}
