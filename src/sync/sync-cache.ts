/**
 * What sync verified last time, kept in the journal database (schema.ts,
 * version 2), so that the next sync reads only what may have changed.
 *
 *   const cache = new SyncCache(db);
 *   cache.entry(path)          // the file as verified: stat, content id, when
 *   cache.rowsOf(paths)        // the rows that the records of those files matched
 *   cache.dirtyRows()          // rows changed since (triggers fill lore_dirty)
 *   ...
 *   cache.recordVerified(file, rows) / cache.recordRecheck(path) / cache.forget(path)
 *   cache.clearDirty(rows) / cache.setIndexFingerprint(value)
 *
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

/** What identifies git's index: the file's stat, and the hash of its listing of the record directories. */
export interface IndexFingerprint {
  stamp: string;
  listing: string;
  /** How many record files git's index held. */
  tracked: number;
}

import { prepared } from "../db/prepared.js";

export interface CacheEntry {
  stat: FileStat;
  contentId: string;
  verifiedAtMs: number;
  /** Examined on every sync: it differed from git's index, or had a finding. */
  recheck: boolean;
}

export interface RowRef {
  table: RecordTable;
  id: number;
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

  dirtyRows(): RowRef[] {
    return (
      prepared(this.db, "SELECT tbl, row_id FROM lore_dirty").all() as Array<{ tbl: RecordTable; row_id: number }>
    ).map((row) => ({ table: row.tbl, id: row.row_id }));
  }

  /** The rows matched by the records of these files at their last verification. */
  rowsOf(paths: Iterable<string>): RowRef[] {
    const statement = prepared(this.db, "SELECT tbl, row_id FROM lore_file_rows WHERE path = ?");
    const rows: RowRef[] = [];
    for (const file of paths) {
      for (const row of statement.all(file) as Array<{ tbl: RecordTable; row_id: number }>) {
        rows.push({ table: row.tbl, id: row.row_id });
      }
    }
    return rows;
  }

  /** What a row and its record agreed on at their last verification (match.ts recordFingerprint). */
  baseOf(row: RowRef): string | undefined {
    const found = prepared(this.db, "SELECT base FROM lore_file_rows WHERE tbl = ? AND row_id = ?")
      .pluck()
      .get(row.table, row.id);
    return found === undefined || found === null ? undefined : String(found);
  }

  /** The file a row's record was found in at its last verification. */
  pathOf(row: RowRef): string | undefined {
    const found = prepared(this.db, "SELECT path FROM lore_file_rows WHERE tbl = ? AND row_id = ?")
      .pluck()
      .get(row.table, row.id);
    return found === undefined ? undefined : String(found);
  }

  // Writes: inside the caller's write transaction.

  recordVerified(
    file: { path: string; stat: FileStat; contentId: string; recheck: boolean },
    rows: Array<RowRef & { base: string }>,
    verifiedAtMs: number,
  ): void {
    this.forget(file.path);
    prepared(
      this.db,
      "INSERT INTO lore_files(path, size, mtime_ms, ino, content_id, verified_at_ms, worktree_dirty) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).run(
      file.path,
      file.stat.size,
      file.stat.mtimeMs,
      file.stat.ino,
      file.contentId,
      verifiedAtMs,
      file.recheck ? 1 : 0,
    );
    const map = prepared(this.db, "INSERT OR REPLACE INTO lore_file_rows(tbl, row_id, path, base) VALUES (?, ?, ?, ?)");
    for (const row of rows) map.run(row.table, row.id, file.path, row.base);
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
    prepared(this.db, "DELETE FROM lore_files WHERE path = ?").run(file);
    prepared(this.db, "DELETE FROM lore_file_rows WHERE path = ?").run(file);
    this.all?.delete(file);
  }

  clearDirty(rows: RowRef[]): void {
    const statement = prepared(this.db, "DELETE FROM lore_dirty WHERE tbl = ? AND row_id = ?");
    for (const row of rows) statement.run(row.table, row.id);
  }

  markDirty(rows: RowRef[]): void {
    const statement = prepared(this.db, "INSERT OR IGNORE INTO lore_dirty(tbl, row_id) VALUES (?, ?)");
    for (const row of rows) statement.run(row.table, row.id);
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
