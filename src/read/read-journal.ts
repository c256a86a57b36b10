/**
 * A journal opened for reading: no lock taken, nothing written, every read of
 * a command from one consistent snapshot.
 *
 *   const journal = openReadJournal(layout);
 *   try {
 *     const rows = journal.snapshot(() => journal.sqlite.prepare(sql).all());
 *   } finally {
 *     journal.close();
 *   }
 *
 * Guarantees:
 *   - Nothing is migrated, chmodded or written: the database is opened
 *     read-only (SQLITE_OPEN_READONLY), so a reader works on a journal it may
 *     not write, and never takes the journal lock. The one thing a reader may
 *     create is what SQLite itself makes beside a WAL database in a writable
 *     directory when they are missing, as any reader of it does: an empty
 *     `-wal` file and the `-shm` index. A missing database is
 *     `MissingDatabaseError` (exit 2), as for a record.
 *   - `snapshot(work)` runs `work` in one read transaction: every query in it
 *     sees the database as of one commit, whatever writers commit meanwhile
 *     (a WAL reader never waits for them, nor they for it).
 *   - A read-only journal (a read-only mount, a directory not writable) is
 *     read too. SQLite opens a WAL database read-only only when its `-wal`
 *     and `-shm` files exist or can be made; where they cannot, and the WAL
 *     holds no commit (it is absent or empty), the file is read into memory
 *     and opened from there, its header switched from WAL to rollback mode in
 *     that copy only. A WAL with commits that SQLite cannot open is
 *     `UnreadableJournalError` (exit 1), naming the file and why.
 *     (better-sqlite3 builds SQLite without URI filenames, so `immutable=1`
 *     is not available: docs/DESIGN.md#better-sqlite3.)
 *   - `hasColumns(table, columns)` tells whether a table exists with the
 *     columns a query needs: a database ELF's `query.py` never touched has no
 *     `decisions` or `invariants`, and a table an older ELF made may lack a
 *     column (lore's migrations keep an existing table as it is).
 */
import fs from "node:fs";
import type BetterSqlite3 from "better-sqlite3";
import { ExitCode, LoreError } from "../base/errors.js";
import { MissingDatabaseError, openSqlite } from "../db/journal-db.js";
import type { JournalLayout } from "../journal/layout.js";

/** How long a reader waits for SQLite's brief locks (a WAL being recovered, a rollback-mode commit). */
const READ_BUSY_TIMEOUT_MS = 10_000;

/** Bytes 18 and 19 of an SQLite file: the file format's write and read versions, 2 in WAL mode, 1 in rollback mode. */
const FORMAT_VERSION_OFFSETS = [18, 19] as const;

export class UnreadableJournalError extends LoreError {
  readonly exitCode = ExitCode.Failed;
}

export class ReadJournal {
  private readonly columns = new Map<string, Set<string>>();

  constructor(
    readonly layout: JournalLayout,
    readonly sqlite: BetterSqlite3.Database,
  ) {}

  /** Runs `work` in one read transaction, so all its queries see one commit. */
  snapshot<T>(work: () => T): T {
    if (this.sqlite.inTransaction) return work();
    this.sqlite.exec("BEGIN");
    try {
      return work();
    } finally {
      if (this.sqlite.inTransaction) this.sqlite.exec("COMMIT");
    }
  }

  /** Whether the database has a table (or view) `table` with every one of `columns` (none: the table alone). */
  hasColumns(table: string, columns: readonly string[] = []): boolean {
    let names = this.columns.get(table);
    if (names === undefined) {
      const rows = this.sqlite.prepare("SELECT name FROM pragma_table_info(?)").pluck().all(table) as string[];
      names = new Set(rows);
      this.columns.set(table, names);
    }
    return names.size > 0 && columns.every((column) => names.has(column));
  }

  close(): void {
    if (this.sqlite.open) this.sqlite.close();
  }
}

export function openReadJournal(layout: JournalLayout): ReadJournal {
  const file = layout.dbFile;
  if (!fs.existsSync(file)) throw new MissingDatabaseError(file);
  let sqlite: BetterSqlite3.Database;
  try {
    sqlite = openSqlite(file, { readonly: true, fileMustExist: true, timeout: READ_BUSY_TIMEOUT_MS });
    // Opening is lazy: the first read is where a WAL database that cannot get its -shm fails.
    sqlite.prepare("SELECT count(*) FROM sqlite_master").get();
  } catch (error) {
    if ((error as { code?: unknown }).code !== "SQLITE_CANTOPEN") throw error;
    sqlite = openCopyInMemory(file);
  }
  return new ReadJournal(layout, sqlite);
}

/** A WAL database SQLite cannot open in place (no -shm, none can be made), read from a copy in memory. */
function openCopyInMemory(file: string): BetterSqlite3.Database {
  const walBytes = fs.statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0;
  if (walBytes > 0) {
    throw new UnreadableJournalError(
      `cannot read ${file}: its WAL (${file}-wal) holds commits, and SQLite cannot open it read-only without its -shm file; ` +
        "open the journal once where it is writable",
    );
  }
  const bytes = fs.readFileSync(file);
  for (const offset of FORMAT_VERSION_OFFSETS) if (bytes[offset] === 2) bytes[offset] = 1;
  return openSqlite(bytes, { readonly: true });
}
