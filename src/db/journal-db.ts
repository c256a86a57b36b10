/**
 * The journal's SQLite index (`memory/index.db`).
 *
 *   const db = openJournalDb(layout.dbFile, { busyTimeoutMs });   // no lock taken
 *   db.ensureSchema(journalKey);                                  // under the journal lock
 *   const id = db.write(journalKey, () => insertRecordRow(db.sqlite, table, row));
 *   const ids = await db.writeAwaiting(journalKey, async () => { ...rows, then files fsynced together... });
 *
 * `openJournalDb` opens an existing database with a busy timeout,
 * `synchronous = FULL` (a committed row survives power loss, not only a
 * crash) and a WAL folded into the file every 64 pages (a few records), so
 * that a lost WAL takes few commits with it. Opening takes no lock, so it may happen before the journal lock. It
 * never creates the file: a missing database is `MissingDatabaseError` (exit
 * 2), and `lore init` is the one place that creates it (`createJournalDb`).
 * Where SQLite cannot open it because its directory is not writable (a
 * read-only mount: a WAL database needs its `-wal` and `-shm` files), the
 * error is the file system's, which says so, not SQLite's "unable to open
 * database file".
 * `ensureSchema` puts it in WAL mode and migrates it when it is behind.
 *
 * Every write goes through `write(journalKey, work)`: SQLite's write lock with
 * `BEGIN IMMEDIATE` (so the transaction cannot fail to upgrade later),
 * registered in the lock order (the caller must hold the journal lock, else
 * LockOrderError), then COMMIT, or ROLLBACK and rethrow when anything throws.
 * After a COMMIT, a WAL past 64 pages is folded in and truncated.
 * `rehearse` is the same for asynchronous work, always rolled back.
 * Design: docs/DESIGN.md#better-sqlite3
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import Database from "better-sqlite3";
import type BetterSqlite3 from "better-sqlite3";
import { LockLevel, noteAcquired, noteReleased } from "../lock/lock-order.js";
import { step } from "../io/fault-points.js";
import { noteDatabaseCommit } from "../io/file-system.js";
import { CURRENT_SCHEMA_VERSION, migrate, schemaVersion } from "./schema.js";
import { ExitCode, LoreError } from "../base/errors.js";

const requireHere = createRequire(import.meta.filename);

/**
 * The addon's path, handed to better-sqlite3 so that it does not search for it
 * with the `bindings` package (docs/PERFORMANCE.md); undefined, and the search
 * is used, where the addon lives elsewhere.
 */
function addonPath(): string | undefined {
  // The package's main file (lib/index.js) was resolved when it was loaded, and
  // Node caches that resolution; its package.json would be resolved anew.
  const candidate = path.join(
    path.dirname(requireHere.resolve("better-sqlite3")),
    "..",
    "build",
    "Release",
    "better_sqlite3.node",
  );
  return fs.existsSync(candidate) ? candidate : undefined;
}

export class MissingDatabaseError extends LoreError {
  readonly exitCode = ExitCode.Invalid;
  constructor(readonly file: string) {
    super(`no journal database at ${file}`);
  }
}

interface WriteTransaction {
  commit(): void;
  rollback(): void;
}

/**
 * Which file a path names now (its inode), or undefined when there is none.
 * A rebuild (lore sync) renames a new database over `index.db`, so a
 * connection opened before the journal lock was taken may be to the old file.
 */
export function databaseFileIdentity(file: string): number | undefined {
  return fs.statSync(file, { throwIfNoEntry: false })?.ino;
}

export class JournalDb {
  /**
   * @param identity the file's identity when it was opened; compare it with
   *   databaseFileIdentity() once the journal lock is held.
   */
  constructor(
    readonly sqlite: BetterSqlite3.Database,
    readonly identity: number | undefined,
  ) {}

  /**
   * Runs `work` in a write transaction, BEGIN IMMEDIATE to COMMIT, and returns
   * what it returns; when `work` or the COMMIT throws, rolls back and rethrows.
   * The journal lock of `journalKey` must be held (lock-order.ts).
   */
  write<T>(journalKey: string, work: () => T): T {
    const transaction = this.beginWrite(journalKey);
    let result: T;
    try {
      result = work();
    } catch (error) {
      transaction.rollback();
      throw error;
    }
    return this.commitWrite(transaction, result);
  }

  /**
   * `write` for work that awaits (files fsynced side by side): the
   * transaction stays open across its awaits, so the caller lets no other
   * work use this connection meanwhile (one journal session at a time).
   */
  async writeAwaiting<T>(journalKey: string, work: () => Promise<T>): Promise<T> {
    const transaction = this.beginWrite(journalKey);
    let result: T;
    try {
      result = await work();
    } catch (error) {
      transaction.rollback();
      throw error;
    }
    return this.commitWrite(transaction, result);
  }

  /** COMMIT (rolled back and rethrown when it fails), then the WAL bounded. */
  private commitWrite<T>(transaction: WriteTransaction, result: T): T {
    try {
      transaction.commit();
    } catch (error) {
      transaction.rollback();
      throw error;
    }
    this.boundWal();
    return result;
  }

  private walLimitBytes: number | undefined;

  /**
   * Folds the WAL into the database file and truncates it, once it holds more
   * than WAL_PAGES pages. SQLite's automatic checkpoint alone does not bound
   * it for lore: each record is a new process, which rebuilds the WAL's index
   * from the file and so never finds it folded in, and never starts it over.
   * A reader (ELF's tools) in the way is not waited for: the WAL stays until
   * a later commit. Never throws: a WAL that stays long is only slower.
   */
  private boundWal(): void {
    try {
      this.walLimitBytes ??= WAL_HEADER_BYTES + WAL_PAGES * (WAL_FRAME_HEADER_BYTES + this.pageSize());
      const walBytes = fs.statSync(`${this.sqlite.name}-wal`, { throwIfNoEntry: false })?.size ?? 0;
      if (walBytes <= this.walLimitBytes) return;
      const busyTimeout = this.sqlite.pragma("busy_timeout", { simple: true });
      this.sqlite.pragma("busy_timeout = 0");
      try {
        this.sqlite.pragma("wal_checkpoint(TRUNCATE)");
      } finally {
        this.sqlite.pragma(`busy_timeout = ${Number(busyTimeout)}`);
      }
    } catch {
      // Left for a later commit.
    }
  }

  private pageSize(): number {
    return Number(this.sqlite.pragma("page_size", { simple: true }));
  }

  /** Runs `work` in a write transaction that is always rolled back: a rehearsal that changes nothing. */
  async rehearse<T>(journalKey: string, work: () => Promise<T>): Promise<T> {
    const transaction = this.beginWrite(journalKey);
    try {
      return await work();
    } finally {
      transaction.rollback();
    }
  }

  private beginWrite(journalKey: string): WriteTransaction {
    noteAcquired(LockLevel.SqliteWrite, journalKey);
    try {
      step("db-begin");
      this.sqlite.exec("BEGIN IMMEDIATE");
    } catch (error) {
      noteReleased(LockLevel.SqliteWrite, journalKey);
      throw error;
    }
    let open = true;
    const end = (sql: "COMMIT" | "ROLLBACK") => {
      if (!open) return;
      try {
        if (this.sqlite.inTransaction) this.sqlite.exec(sql);
      } finally {
        // A failed COMMIT may leave the transaction open (SQLITE_BUSY): it stays ours to roll back.
        if (!this.sqlite.inTransaction) {
          open = false;
          noteReleased(LockLevel.SqliteWrite, journalKey);
        }
      }
    };
    return {
      commit: () => {
        step("db-commit");
        end("COMMIT");
        noteDatabaseCommit(this.sqlite.name, () => this.sqlite.serialize());
        step("db-committed");
      },
      rollback: () => end("ROLLBACK"),
    };
  }

  /**
   * Switches the database to WAL if it is not (a fresh ELF database is in
   * rollback-journal mode) and migrates the schema when it is behind; the
   * journal lock must be held. Costs two reads when nothing is to do.
   */
  ensureSchema(journalKey: string): void {
    if (this.sqlite.pragma("journal_mode", { simple: true }) !== "wal") this.sqlite.pragma("journal_mode = WAL");
    if (schemaVersion(this.sqlite) >= CURRENT_SCHEMA_VERSION) return;
    this.write(journalKey, () => migrate(this.sqlite));
  }

  close(): void {
    if (this.sqlite.open) this.sqlite.close();
  }
}

/**
 * Opens a SQLite file, or a database serialized in a buffer, with lore's copy
 * of the addon (no pragmas set; `timeout`, the busy timeout in ms, is set
 * without one: better-sqlite3's default is 5000).
 */
export function openSqlite(
  file: string | Buffer,
  options: { readonly?: boolean; fileMustExist?: boolean; timeout?: number },
): BetterSqlite3.Database {
  return new Database(file, { ...options, nativeBinding: addonPath() });
}

/**
 * The WAL is folded into the database file once it holds this many pages
 * (SQLite's automatic checkpoint, whose default is 1000, and JournalDb's
 * truncation): a record writes about 13, so a WAL lost, cut short or garbled
 * takes at most a few records with it
 * (docs/DESIGN.md#better-sqlite3).
 */
const WAL_PAGES = 64;
const WAL_HEADER_BYTES = 32;
const WAL_FRAME_HEADER_BYTES = 24;

function configure(sqlite: BetterSqlite3.Database, busyTimeoutMs: number): void {
  sqlite.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma(`wal_autocheckpoint = ${WAL_PAGES}`);
}

export function openJournalDb(file: string, options: { busyTimeoutMs: number }): JournalDb {
  const identity = databaseFileIdentity(file);
  if (identity === undefined) throw new MissingDatabaseError(file);
  const sqlite = openSqlite(file, { fileMustExist: true });
  try {
    configure(sqlite, options.busyTimeoutMs);
  } catch (error) {
    sqlite.close();
    if ((error as { code?: unknown }).code === "SQLITE_CANTOPEN") fs.accessSync(path.dirname(file), fs.constants.W_OK);
    throw error;
  }
  return new JournalDb(sqlite, identity);
}

/** Opens or creates the database file (for `lore init` only). */
export function createJournalDb(file: string, options: { busyTimeoutMs: number }): JournalDb {
  const sqlite = openSqlite(file, {});
  configure(sqlite, options.busyTimeoutMs);
  return new JournalDb(sqlite, databaseFileIdentity(file));
}
