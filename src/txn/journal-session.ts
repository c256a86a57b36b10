/**
 * The journal transaction: the one sequence every writer of a journal follows
 * (records, `lore sync`, `lore init`, and every writer to come).
 *
 *   await withJournalSession(layout, options, async (session) => {
 *     session.db.write(session.journalKey, () => { ... });  // BEGIN IMMEDIATE, rows and files, COMMIT
 *     ... the git commit (record-transaction.ts)
 *   });
 *
 *   1. refuse a symbolic link where lore keeps its database, lock, intents or
 *      records (plain-journal-paths.ts); open the database (no lock yet:
 *      loading SQLite stays out of the hold);
 *   2. take the journal lock (it also guards git), waiting up to timeoutMs;
 *   3. reopen the database if a rebuild replaced the file meanwhile;
 *   4. migrate the schema if it is behind;
 *   5. recover what a killed writer left pending (recover.ts);
 *   6. the writer's work: BEGIN IMMEDIATE, its rows, its files through the
 *      pending intent, COMMIT, then its git commit (or the group commit);
 *   7. release the lock, however the work ended; the connection stays open.
 *
 * `withJournalSession` is a record's: its step 1 (and 3) first checks that
 * `index.db` is a database (database-behind.ts: an empty or headerless one
 * in a journal with records is DatabaseBehindError, damaged). Given a
 * `KeptDatabase` (a writer that stays up, `lore mcp`), step 1 uses the
 * connection kept there while it is to the file `index.db` names, and steps 1
 * and 3 keep there the one they open instead, so that a connection opened
 * once serves every session, and one to a file a rebuild replaced is never
 * written through. A session that ends without the lock leaves the kept
 * connection open (a server's wait for a record another holder committed).
 * `withJournalSessionUntil`: the same for a writer waiting for its handed-off
 * commit (on `kept`'s connection, where given); undefined, with no session,
 * once `done()` is true before it got the lock. `withJournalHeld`: steps 1-3
 * and 7, for `lore sync`, which checks (and may rebuild) the database, then
 * calls `startSession` (steps 4 and 5).
 * `withJournalCreated`: `lore init`'s steps 1-4 and 7, creating a missing
 * database under the lock, then init's own writes (its files, and a commit
 * that untracks the database) under the same lock. Errors: UnsafePathError
 * (exit 6) and MissingDatabaseError (exit 2), before any lock;
 * DatabaseBehindError (exit 1), LockTimeoutError (exit 75), or what a step
 * threw, after the release.
 * Design: docs/DESIGN.md#the-journal-transaction
 */
import fs from "node:fs";
import {
  createJournalDb,
  databaseFileIdentity,
  type JournalDb,
  MissingDatabaseError,
  openJournalDb,
} from "../db/journal-db.js";
import { findWorkTree, type GitRepo } from "../git/git-process.js";
import { installedHooks } from "../git/hook-state.js";
import { step } from "../io/fault-points.js";
import type { JournalLayout } from "../journal/layout.js";
import {
  acquireJournalLock,
  acquireJournalLockAfterHandOff,
  type JournalLock,
  type JournalLockPaths,
} from "../lock/journal-lock.js";
import { assertJournalPathsPlain } from "./plain-journal-paths.js";
import { recoverPending } from "./recover.js";
import { assertDatabaseFileSound } from "./database-behind.js";
import type { JournalSession, SessionOptions } from "./session.js";
import { makeDirectory } from "../io/file-system.js";

/**
 * A connection that outlives its sessions, for a writer that stays up: its
 * owner may close it (and set `db` undefined) between sessions, never in one.
 */
export interface KeptDatabase {
  db: JournalDb | undefined;
}

/** The database as step 1 or 3 found it: open, or why it is not. */
export interface FoundDatabase {
  db: JournalDb | undefined;
  problem: string | undefined;
  /** The file's identity when it was looked at (step 3 compares it). */
  identity: number | undefined;
  /** The connection is a KeptDatabase's: it outlives the session, even one that never got the lock. */
  kept?: boolean;
}

/** Steps 1 to 3 done: the lock held, the database as found. */
export interface HeldJournal {
  layout: JournalLayout;
  lock: JournalLock;
  journalKey: string;
  /** The work tree the journal is in, whether or not commits are wanted. */
  workTree: GitRepo | undefined;
  database: FoundDatabase;
}

type Opener = (layout: JournalLayout, options: SessionOptions) => FoundDatabase;

/** Step 1 for a writer that needs the database: a missing one is MissingDatabaseError (exit 2, before any lock). */
const openRequired: Opener = (layout, options) => {
  const db = openJournalDb(layout.dbFile, { busyTimeoutMs: options.timeoutMs });
  return { db, problem: undefined, identity: db.identity };
};

/** Step 1 for `lore sync`: a database that is missing, empty or cannot be opened is a problem to report, not an error. */
const openAsFound: Opener = (layout, options) => {
  const identity = databaseFileIdentity(layout.dbFile);
  try {
    if (identity !== undefined && fs.statSync(layout.dbFile).size === 0) {
      return { db: undefined, problem: "index.db is empty", identity };
    }
    return { db: openJournalDb(layout.dbFile, { busyTimeoutMs: options.timeoutMs }), problem: undefined, identity };
  } catch (error) {
    const problem =
      error instanceof MissingDatabaseError
        ? "index.db does not exist"
        : `index.db cannot be opened: ${(error as Error).message}`;
    return { db: undefined, problem, identity };
  }
};

async function holdJournal<T>(
  layout: JournalLayout,
  options: SessionOptions,
  open: Opener,
  acquire: (paths: JournalLockPaths) => Promise<JournalLock | undefined>,
  work: (held: HeldJournal) => Promise<T>,
): Promise<T | undefined> {
  assertJournalPathsPlain(layout);
  makeDirectory(layout.pendingDir, { recursive: true });
  const journalKey = layout.base;
  let database = open(layout, options);
  const lock = await acquire({ lockDir: layout.lockDir, journalKey });
  if (lock === undefined) {
    if (!database.kept) database.db?.close();
    return undefined;
  }
  try {
    step("lock-acquired");
    if (databaseFileIdentity(layout.dbFile) !== database.identity) {
      // Written now, a row would go into the quarantined old database.
      database.db?.close();
      database = open(layout, options);
    }
    return await work({ layout, lock, journalKey, workTree: findWorkTree(layout.base), database });
  } finally {
    step("lock-release");
    await lock.release();
  }
}

/**
 * Steps 4 and 5 on an open database: the session a writer works in. `lore
 * sync` passes `leaveHandedOff: false` (it commits every handed-off record
 * itself), and without --fix `migrate: false` and `recover: false`: it
 * compares inside a rolled back migration and recovery (recover.ts
 * rehearseRecovery) instead, changing nothing.
 */
export async function startSession(
  held: HeldJournal,
  db: JournalDb,
  options: SessionOptions,
  {
    migrate = true,
    recover = true,
    leaveHandedOff = true,
  }: { migrate?: boolean; recover?: boolean; leaveHandedOff?: boolean } = {},
): Promise<JournalSession> {
  if (migrate) db.ensureSchema(held.journalKey);
  const repo = options.noCommit ? undefined : held.workTree;
  const session: JournalSession = {
    layout: held.layout,
    lock: held.lock,
    db,
    repo,
    hooksDir: repo && installedHooks(repo.gitDir)?.chainedDir,
    options,
    journalKey: held.journalKey,
    awaiting: [],
    recovered: [],
  };
  if (recover) {
    const recovery = await recoverPending(session, { leaveHandedOff });
    session.awaiting = recovery.awaiting;
    session.recovered = recovery.steps;
  }
  step("recovery-done");
  return session;
}

function sessionWork<T>(options: SessionOptions, work: (session: JournalSession) => Promise<T>) {
  // openRequired always gives a database.
  return async (held: HeldJournal) => work(await startSession(held, held.database.db as JournalDb, options));
}

/** Step 1 for a record: openRequired, once the file is known to be a database (database-behind.ts). */
const openForRecord: Opener = (layout, options) => {
  assertDatabaseFileSound(layout);
  return openRequired(layout, options);
};

/**
 * openForRecord through `kept`: its connection while it is open and to the
 * file `index.db` names now; else the old one closed and a new one kept.
 */
function keptOpener(kept: KeptDatabase): Opener {
  return (layout, options) => {
    assertDatabaseFileSound(layout);
    const identity = databaseFileIdentity(layout.dbFile);
    const db = kept.db;
    if (db?.sqlite.open && identity !== undefined && db.identity === identity)
      return { db, problem: undefined, identity, kept: true };
    db?.close();
    kept.db = undefined;
    const found = openRequired(layout, options);
    kept.db = found.db;
    return { ...found, kept: true };
  };
}

/** Step 1 ahead of any session, for a writer that stays up: `kept` holds an open connection (no lock is taken). */
export function openKeptDatabase(layout: JournalLayout, options: SessionOptions, kept: KeptDatabase): void {
  keptOpener(kept)(layout, options);
}

export async function withJournalSession<T>(
  layout: JournalLayout,
  options: SessionOptions,
  work: (session: JournalSession) => Promise<T>,
  kept?: KeptDatabase,
): Promise<T> {
  const acquire = (paths: JournalLockPaths) => acquireJournalLock(paths, options);
  const open = kept === undefined ? openForRecord : keptOpener(kept);
  return (await holdJournal(layout, options, open, acquire, sessionWork(options, work))) as T;
}

export function withJournalSessionUntil<T>(
  layout: JournalLayout,
  options: SessionOptions,
  done: () => boolean,
  work: (session: JournalSession) => Promise<T>,
  kept?: KeptDatabase,
): Promise<T | undefined> {
  const acquire = (paths: JournalLockPaths) => acquireJournalLockAfterHandOff(paths, options, done);
  const open = kept === undefined ? openRequired : keptOpener(kept);
  return holdJournal(layout, options, open, acquire, sessionWork(options, work));
}

export async function withJournalHeld<T>(
  layout: JournalLayout,
  options: SessionOptions,
  work: (held: HeldJournal) => Promise<T>,
): Promise<T> {
  const acquire = (paths: JournalLockPaths) => acquireJournalLock(paths, options);
  return (await holdJournal(layout, options, openAsFound, acquire, work)) as T;
}

/**
 * Steps 1 to 4 and 7 for `lore init`: the database is created when missing,
 * then migrated; `work` gets it and the held journal (its lock, its work
 * tree), for init's own writes under the lock.
 */
export async function withJournalCreated<T>(
  layout: JournalLayout,
  options: SessionOptions,
  work: (db: JournalDb, held: HeldJournal) => Promise<T>,
): Promise<T> {
  // A missing database is created only once the lock is held, never before it.
  const openIfPresent: Opener = () =>
    databaseFileIdentity(layout.dbFile) === undefined
      ? { db: undefined, problem: "index.db does not exist", identity: undefined }
      : openRequired(layout, options);
  const acquire = (paths: JournalLockPaths) => acquireJournalLock(paths, options);
  return (await holdJournal(layout, options, openIfPresent, acquire, async (held) => {
    const db = held.database.db ?? createJournalDb(layout.dbFile, { busyTimeoutMs: options.timeoutMs });
    db.ensureSchema(held.journalKey);
    return work(db, held);
  })) as T;
}
