/**
 * A journal session: everything a writing command holds, taken in the one
 * global lock order and repaired before use.
 *
 *   await withJournalSession(layout, options, async (session) => { ... });
 *
 * It opens the database, takes the journal lock (waiting up to `timeoutMs`),
 * opens the database again if a rebuild (lore sync) replaced it meanwhile,
 * migrates the schema if it is behind, and completes or undoes whatever a
 * killed lore left pending (recover.ts) before it runs `work`. The lock is
 * released however `work` ends. SQLite's write lock is taken inside, per
 * transaction, never before the journal lock.
 *
 * Records that other writers handed off for a group commit
 * (group-commit.ts) are left to the work, in `session.awaiting`.
 * `withJournalSessionUnless` is the same for a handed-off writer waiting to
 * see its record committed: it gives up, returning undefined, once
 * `committed()` is true before it got the lock.
 *
 * The database connection is left open: the command line exits without
 * closing it (bin/run.js says why), and long-running callers close
 * `session.db` themselves.
 *
 * `commitOptions(session)` gives git/commit.ts what every commit made in a
 * session needs: the deadline, the stale age, and the fencing check.
 */
import fs from "node:fs";
import {
  acquireJournalLock,
  acquireJournalLockUnless,
  type JournalLock,
  type JournalLockPaths,
} from "../lock/journal-lock.js";
import { openJournalDb, type JournalDb } from "../db/journal-db.js";
import { findWorkTree, type GitRepo } from "../git/git-process.js";
import type { CommitOptions } from "../git/commit.js";
import type { JournalLayout } from "../journal/layout.js";
import { step } from "../io/steps.js";
import { recoverPending } from "./recover.js";
import type { PendingIntent } from "./pending-intent.js";

export interface SessionOptions {
  /** How long to wait for the journal lock, and for git's own locks. */
  timeoutMs: number;
  /** A lock heartbeat older than this is stale. */
  staleMs: number;
  /** Write no git commit even inside a work tree. */
  noCommit: boolean;
}

export interface JournalSession {
  layout: JournalLayout;
  lock: JournalLock;
  db: JournalDb;
  /** The work tree to commit to; undefined outside one or with noCommit. */
  repo: GitRepo | undefined;
  options: SessionOptions;
  /** The key that ties SQLite's write lock to this journal lock. */
  journalKey: string;
  /** Records handed off by writers that wait for their commit (group-commit.ts). */
  awaiting: PendingIntent[];
}

/** The options of a git commit made while `session` holds the journal lock. */
export function commitOptions(session: JournalSession): CommitOptions {
  return {
    deadline: Date.now() + session.options.timeoutMs,
    staleMs: session.options.staleMs,
    assertHeld: () => session.lock.assertHeld(),
  };
}

export function withJournalSession<T>(
  layout: JournalLayout,
  options: SessionOptions,
  work: (session: JournalSession) => Promise<T>,
): Promise<T> {
  return runSession(layout, options, (paths) => acquireJournalLock(paths, options), work) as Promise<T>;
}

export function withJournalSessionUnless<T>(
  layout: JournalLayout,
  options: SessionOptions,
  committed: () => boolean,
  work: (session: JournalSession) => Promise<T>,
): Promise<T | undefined> {
  return runSession(layout, options, (paths) => acquireJournalLockUnless(paths, options, committed), work);
}

async function runSession<T>(
  layout: JournalLayout,
  options: SessionOptions,
  acquire: (paths: JournalLockPaths) => Promise<JournalLock | undefined>,
  work: (session: JournalSession) => Promise<T>,
): Promise<T | undefined> {
  fs.mkdirSync(layout.pendingDir, { recursive: true });
  const journalKey = layout.base;
  // Opening takes no lock: done first, it keeps the native addon's loading out
  // of the time the journal lock is held.
  let db = openJournalDb(layout.dbFile, { busyTimeoutMs: options.timeoutMs });
  const lock = await acquire({ lockDir: layout.lockDir, journalKey });
  if (lock === undefined) return undefined;
  try {
    step("lock-acquired");
    if (db.replacedOnDisk(layout.dbFile)) {
      // Written now, a row would go into the quarantined old database.
      db.close();
      db = openJournalDb(layout.dbFile, { busyTimeoutMs: options.timeoutMs });
    }
    db.ensureSchema(journalKey);
    const repo = options.noCommit ? undefined : findWorkTree(layout.base);
    const session: JournalSession = { layout, lock, db, repo, options, journalKey, awaiting: [] };
    session.awaiting = await recoverPending(session, { leaveHandedOff: true });
    step("recovery-done");
    return await work(session);
  } finally {
    step("lock-release");
    await lock.release();
  }
}
