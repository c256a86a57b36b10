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
 * The database connection is left open: the command line exits without
 * closing it (bin/run.js says why), and long-running callers close
 * `session.db` themselves.
 *
 * `commitOptions(session)` gives git/commit.ts what every commit made in a
 * session needs: the deadline, the stale age, and the fencing check.
 */
import fs from "node:fs";
import { acquireJournalLock, type JournalLock } from "../lock/journal-lock.js";
import { openJournalDb, type JournalDb } from "../db/journal-db.js";
import { findWorkTree, type GitRepo } from "../git/git-process.js";
import type { CommitOptions } from "../git/commit.js";
import type { JournalLayout } from "../journal/layout.js";
import { step } from "../io/steps.js";
import { recoverPending } from "./recover.js";

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
}

/** The options of a git commit made while `session` holds the journal lock. */
export function commitOptions(session: JournalSession): CommitOptions {
  return {
    deadline: Date.now() + session.options.timeoutMs,
    staleMs: session.options.staleMs,
    assertHeld: () => session.lock.assertHeld(),
  };
}

export async function withJournalSession<T>(
  layout: JournalLayout,
  options: SessionOptions,
  work: (session: JournalSession) => Promise<T>,
): Promise<T> {
  fs.mkdirSync(layout.pendingDir, { recursive: true });
  const journalKey = layout.base;
  // Opening takes no lock: done first, it keeps the native addon's loading out
  // of the time the journal lock is held.
  let db = openJournalDb(layout.dbFile, { busyTimeoutMs: options.timeoutMs });
  const lock = await acquireJournalLock({ lockDir: layout.lockDir, journalKey }, options);
  try {
    step("lock-acquired");
    if (db.replacedOnDisk(layout.dbFile)) {
      // Written now, a row would go into the quarantined old database.
      db.close();
      db = openJournalDb(layout.dbFile, { busyTimeoutMs: options.timeoutMs });
    }
    db.ensureSchema(journalKey);
    const repo = options.noCommit ? undefined : findWorkTree(layout.base);
    const session: JournalSession = { layout, lock, db, repo, options, journalKey };
    await recoverPending(session);
    step("recovery-done");
    return await work(session);
  } finally {
    step("lock-release");
    await lock.release();
  }
}
