/**
 * What sync verified last time, kept in the journal database (schema.ts,
 * version 2), so that the next sync reads only what may have changed.
 *
 *   const cache = new SyncCache(db);
 *   cache.entry(path)          // the file as verified: stat, content id, when
 *   cache.rowsOf(paths)        // the rows that the records of those files matched
 *   cache.pathOf(row)          // the file a row's record was found in
 *   cache.baseOf(row)          // what the row and its record agreed on then
 *   cache.dirtySeq()           // the latest change's number, taken before reading
 *   cache.dirtyRows()          // rows changed since (triggers fill lore_dirty)
 *   ...
 *   cache.feedbackFiles()      // each feedback file as verified: stat, when
 *   ...
 *   cache.recordVerified(file, rows) / cache.recordVerifiedFiles(files, rowsWithTheirPaths)
 *   cache.recordRecheck(path) / cache.forget(path) / cache.forgetRows(rows)
 *   cache.clearDirty(rows, seenUpTo) / cache.markDirty(rows) / cache.setIndexFingerprint(value)
 *   cache.recordFeedbackFiles(verified, present)
 *
 * Feedback files (`memory/feedback/*.jsonl`) are kept apart, in
 * `lore_feedback_files` (schema version 8): a stat and when, no rows; sync
 * records one only once every event in it is applied (feedback-finding.ts).
 *
 * Lookups stay cheap at any size: `rowsOf` asks for its paths a few hundred
 * at a time, `pathOf` reads the rows' files a block of ids at a time, and the
 * writes for many files or rows go in statements of a few hundred each.
 * The cache only ever lets sync skip work that would find nothing: a file
 * whose entry is missing or marked `recheck` is read again, and a row stays in
 * `lore_dirty` until it has been seen in sync with its file. Reads work
 * without a transaction; writes must run inside the caller's write
 * transaction. The cache holds no record data: losing it (a rebuild, a
 * deleted table) only makes the next sync read everything.
 */
import type Database from "better-sqlite3";
import type { RecordTable } from "../journal/journal-file.js";
import type { FileStat } from "../journal/journal-file.js";
import { fingerprintOf } from "../journal/record-fingerprint.js";

/** What identifies git's index: the file's stat, and the hash of its listing of the record directories. */
export interface IndexFingerprint {
  stamp: string;
  listing: string;
  /** How many record files git's index held. */
  tracked: number;
}

import { prepared } from "../db/prepared.js";

/** A file's stat when sync verified it, and when that was. */
export interface StatVerified {
  stat: FileStat;
  verifiedAtMs: number;
}

export interface CacheEntry extends StatVerified {
  contentId: string;
  /** Examined on every sync: it differed from git's index, or had a finding. */
  recheck: boolean;
}

export interface RowRef {
  table: RecordTable;
  id: number;
}

/** A row matched by a record, with what the two agreed on (record-fingerprint.ts). */
export interface MatchedRow extends RowRef {
  base: string;
}

/** Where a row's record was, and what the two agreed on, at their last verification. */
interface RowVerified {
  path: string;
  base: string | undefined;
}

/** A file as sync verified it. */
export interface VerifiedFile {
  path: string;
  stat: FileStat;
  contentId: string;
  recheck: boolean;
}

interface CacheRow {
  path: string;
  size: number;
  mtime_ms: number;
  ino: string;
  content_id: string;
  verified_at_ms: number;
  worktree_dirty: number;
}

const FINGERPRINT_KEY = "sync_index_fingerprint";

/** Paths or rows per statement: at seven values each, well under SQLite's 32,766 bound values. */
const CHUNK = 500;

/** How many row ids pathOf and baseOf read at once, and how many such blocks are kept per table. */
const PATH_BLOCK = 128;
const PATH_BLOCKS_KEPT = 256;

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}

function placeholders(count: number, each = "?"): string {
  return Array.from({ length: count }, () => each).join(", ");
}

function toEntry(row: CacheRow): CacheEntry {
  return {
    stat: { size: row.size, mtimeMs: row.mtime_ms, ino: row.ino },
    contentId: row.content_id,
    verifiedAtMs: row.verified_at_ms,
    recheck: row.worktree_dirty === 1,
  };
}

export class SyncCache {
  private all: Map<string, CacheEntry> | undefined;
  private readonly one: Database.Statement;
  /** The blocks of lore_file_rows that pathOf and baseOf have read, by table and block; dropped by every write. */
  private readonly pathBlocks: Record<RecordTable, Map<number, Map<number, RowVerified>>> = {
    learnings: new Map(),
    heuristics: new Map(),
  };

  constructor(private readonly db: Database.Database) {
    this.one = prepared(db, "SELECT * FROM lore_files WHERE path = ?");
  }

  entry(file: string): CacheEntry | undefined {
    if (this.all) return this.all.get(file);
    const row = this.one.get(file) as CacheRow | undefined;
    return row ? toEntry(row) : undefined;
  }

  /** Every verified path; loads the whole cache once (for a changed index or a full walk). */
  allPaths(): IterableIterator<string> {
    if (!this.all) {
      this.all = new Map();
      for (const row of prepared(this.db, "SELECT * FROM lore_files").iterate() as Iterable<CacheRow>) {
        this.all.set(row.path, toEntry(row));
      }
    }
    return this.all.keys();
  }

  recheckPaths(): string[] {
    return prepared(this.db, "SELECT path FROM lore_files WHERE worktree_dirty = 1").pluck().all() as string[];
  }

  indexFingerprint(): IndexFingerprint | undefined {
    const row = prepared(this.db, "SELECT value FROM lore_meta WHERE key = ?").pluck().get(FINGERPRINT_KEY);
    if (row === undefined) return undefined;
    try {
      const parsed = JSON.parse(String(row)) as Partial<IndexFingerprint>;
      return typeof parsed.stamp === "string" &&
        typeof parsed.listing === "string" &&
        typeof parsed.tracked === "number"
        ? { stamp: parsed.stamp, listing: parsed.listing, tracked: parsed.tracked }
        : undefined;
    } catch {
      return undefined;
    }
  }

  /** The number of the latest mark in lore_dirty: taken before reading, it tells a mark seen from one made later. */
  dirtySeq(): number {
    return Number(prepared(this.db, "SELECT coalesce(max(seq), 0) FROM lore_dirty").pluck().get());
  }

  dirtyRows(): RowRef[] {
    const rows: RowRef[] = [];
    for (const row of prepared(this.db, "SELECT tbl, row_id FROM lore_dirty").iterate() as Iterable<{
      tbl: RecordTable;
      row_id: number;
    }>) {
      // The table's name as a constant, not a string of its own per row.
      rows.push({ table: row.tbl === "learnings" ? "learnings" : "heuristics", id: row.row_id });
    }
    return rows;
  }

  /**
   * The rows matched by the records of these files at their last
   * verification: for each path in the order given, its rows by table and id.
   */
  rowsOf(paths: Iterable<string>): RowRef[] {
    const wanted = [...paths];
    const found = new Map<string, RowRef[]>();
    for (const chunk of chunks([...new Set(wanted)], CHUNK)) {
      const statement = prepared(
        this.db,
        `SELECT path, tbl, row_id FROM lore_file_rows WHERE path IN (${placeholders(chunk.length)}) ORDER BY path, tbl, row_id`,
      );
      for (const row of statement.iterate(...chunk) as Iterable<{ path: string; tbl: RecordTable; row_id: number }>) {
        const refs = found.get(row.path);
        const ref = { table: row.tbl, id: row.row_id };
        if (refs) refs.push(ref);
        else found.set(row.path, [ref]);
      }
    }
    const rows: RowRef[] = [];
    for (const file of wanted) for (const ref of found.get(file) ?? []) rows.push({ table: ref.table, id: ref.id });
    return rows;
  }

  /**
   * The file a row's record was found in at its last verification. Rows are
   * read a block of ids at a time (sync asks about rows in id order, and
   * often about all of them), so that many lookups cost one pass.
   */
  pathOf(row: RowRef): string | undefined {
    return this.verifiedRow(row)?.path;
  }

  /**
   * What a row and its record agreed on at their last verification
   * (record-fingerprint.ts). Schema 3 first stored the compared columns
   * themselves, a JSON array: such a base is hashed when read.
   */
  baseOf(row: RowRef): string | undefined {
    return this.verifiedRow(row)?.base;
  }

  private verifiedRow(row: RowRef): RowVerified | undefined {
    const block = Math.floor(row.id / PATH_BLOCK);
    const blocks = this.pathBlocks[row.table];
    let verified = blocks.get(block);
    if (!verified) {
      if (blocks.size >= PATH_BLOCKS_KEPT) blocks.clear();
      verified = new Map();
      const rows = prepared(
        this.db,
        "SELECT row_id, path, base FROM lore_file_rows WHERE tbl = ? AND row_id >= ? AND row_id < ?",
      ).iterate(row.table, block * PATH_BLOCK, (block + 1) * PATH_BLOCK) as Iterable<{
        row_id: number;
        path: string;
        base: string | null;
      }>;
      for (const found of rows) {
        const base =
          found.base === null ? undefined : found.base.startsWith("[") ? fingerprintOf(found.base) : found.base;
        verified.set(found.row_id, { path: found.path, base });
      }
      blocks.set(block, verified);
    }
    return verified.get(row.id);
  }

  // Writes: inside the caller's write transaction.

  recordVerified(file: VerifiedFile, rows: readonly MatchedRow[], verifiedAtMs: number): void {
    this.recordVerifiedFiles(
      [file],
      rows.map((row) => ({ ...row, path: file.path })),
      verifiedAtMs,
    );
  }

  /**
   * The same as recordVerified for each file, with `rows` the rows their
   * records matched (each with its file's path), in a few statements per few
   * hundred files or rows. The files' paths must differ.
   */
  recordVerifiedFiles(
    files: readonly VerifiedFile[],
    rows: ReadonlyArray<MatchedRow & { path: string }>,
    verifiedAtMs: number,
  ): void {
    this.forgetAll(files.map((file) => file.path));
    for (const chunk of chunks(files, CHUNK)) {
      const values: Array<string | number> = [];
      for (const file of chunk) {
        values.push(
          file.path,
          file.stat.size,
          file.stat.mtimeMs,
          file.stat.ino,
          file.contentId,
          verifiedAtMs,
          file.recheck ? 1 : 0,
        );
      }
      prepared(
        this.db,
        `INSERT INTO lore_files(path, size, mtime_ms, ino, content_id, verified_at_ms, worktree_dirty) VALUES ${placeholders(chunk.length, "(?, ?, ?, ?, ?, ?, ?)")}`,
      ).run(...values);
    }
    for (const chunk of chunks(rows, CHUNK)) {
      const values: Array<string | number> = [];
      for (const row of chunk) values.push(row.table, row.id, row.path, row.base);
      prepared(
        this.db,
        `INSERT OR REPLACE INTO lore_file_rows(tbl, row_id, path, base) VALUES ${placeholders(chunk.length, "(?, ?, ?, ?)")}`,
      ).run(...values);
    }
  }

  /**
   * Keeps a file on the list to read again (it had a finding). The rows its
   * records matched when last verified stay, with what they agreed on: that is
   * the base the three-way compare needs until the finding is settled.
   */
  recordRecheck(file: string): void {
    prepared(this.db, "DELETE FROM lore_files WHERE path = ?").run(file);
    this.all?.delete(file);
    prepared(
      this.db,
      "INSERT INTO lore_files(path, size, mtime_ms, ino, content_id, verified_at_ms, worktree_dirty) VALUES (?, -1, 0, '', '', 0, 1)",
    ).run(file);
  }

  forget(file: string): void {
    this.forgetAll([file]);
  }

  private forgetAll(files: readonly string[]): void {
    for (const chunk of chunks(files, CHUNK)) {
      prepared(this.db, `DELETE FROM lore_files WHERE path IN (${placeholders(chunk.length)})`).run(...chunk);
      prepared(this.db, `DELETE FROM lore_file_rows WHERE path IN (${placeholders(chunk.length)})`).run(...chunk);
    }
    for (const file of files) this.all?.delete(file);
    this.pathBlocks.learnings.clear();
    this.pathBlocks.heuristics.clear();
  }

  /** Forgets which file these rows' records were in, and what they agreed on. */
  forgetRows(rows: readonly RowRef[]): void {
    this.deleteRows("lore_file_rows", rows);
    this.pathBlocks.learnings.clear();
    this.pathBlocks.heuristics.clear();
  }

  /** Clears these rows' marks, those numbered up to `seenUpTo` (dirtySeq when sync looked): a later change stays marked. */
  clearDirty(rows: readonly RowRef[], seenUpTo: number): void {
    this.deleteRows("lore_dirty", rows, ` AND seq <= ${Math.trunc(seenUpTo)}`);
  }

  private deleteRows(from: "lore_file_rows" | "lore_dirty", rows: readonly RowRef[], where = ""): void {
    for (const [table, ids] of idsByTable(rows)) {
      for (const chunk of chunks(ids, CHUNK)) {
        prepared(
          this.db,
          `DELETE FROM ${from} WHERE tbl = ? AND row_id IN (${placeholders(chunk.length)})${where}`,
        ).run(table, ...chunk);
      }
    }
  }

  /** Each feedback file as sync last verified it, by path. */
  feedbackFiles(): Map<string, StatVerified> {
    const files = new Map<string, StatVerified>();
    for (const row of prepared(this.db, "SELECT * FROM lore_feedback_files").iterate() as Iterable<
      Omit<CacheRow, "content_id" | "worktree_dirty">
    >) {
      files.set(row.path, {
        stat: { size: row.size, mtimeMs: row.mtime_ms, ino: row.ino },
        verifiedAtMs: row.verified_at_ms,
      });
    }
    return files;
  }

  /** Records these feedback files as verified at `verifiedAtMs`, and forgets those no longer `present`. */
  recordFeedbackFiles(
    verified: ReadonlyArray<{ path: string; stat: FileStat }>,
    present: readonly string[],
    verifiedAtMs: number,
  ): void {
    const kept = new Set(present);
    for (const file of this.feedbackFiles().keys()) {
      if (!kept.has(file)) prepared(this.db, "DELETE FROM lore_feedback_files WHERE path = ?").run(file);
    }
    for (const { path, stat } of verified) {
      prepared(
        this.db,
        "INSERT OR REPLACE INTO lore_feedback_files(path, size, mtime_ms, ino, verified_at_ms) VALUES (?, ?, ?, ?, ?)",
      ).run(path, stat.size, stat.mtimeMs, stat.ino, verifiedAtMs);
    }
  }

  markDirty(rows: readonly RowRef[]): void {
    for (const chunk of chunks(rows, CHUNK)) {
      const values: Array<string | number> = [];
      for (const row of chunk) values.push(row.table, row.id);
      prepared(
        this.db,
        `INSERT OR IGNORE INTO lore_dirty(tbl, row_id) VALUES ${placeholders(chunk.length, "(?, ?)")}`,
      ).run(...values);
    }
  }

  setIndexFingerprint(value: IndexFingerprint | undefined): void {
    if (value === undefined) prepared(this.db, "DELETE FROM lore_meta WHERE key = ?").run(FINGERPRINT_KEY);
    else
      prepared(this.db, "INSERT OR REPLACE INTO lore_meta(key, value) VALUES (?, ?)").run(
        FINGERPRINT_KEY,
        JSON.stringify(value),
      );
  }
}

function idsByTable(rows: readonly RowRef[]): Map<RecordTable, number[]> {
  const byTable = new Map<RecordTable, number[]>();
  for (const row of rows) {
    const ids = byTable.get(row.table);
    if (ids) ids.push(row.id);
    else byTable.set(row.table, [row.id]);
  }
  return byTable;
}
