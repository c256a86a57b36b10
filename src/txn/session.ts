/**
 * What a writer holds inside the journal transaction (journal-session.ts).
 *
 * A JournalSession exists only while its journal lock is held: the database
 * connection, the lock, the work tree to commit to, the records other
 * writers handed off for a group commit (group-commit.ts), and what its
 * recovery did. `commitOptions` gives git/commit.ts what every commit made
 * under the lock needs: the deadline, the stale age, the fencing check, and
 * the hooks directory.
 */
import type { JournalDb } from "../db/journal-db.js";
import type { CommitOptions } from "../git/commit-request.js";
import type { GitRepo } from "../git/git-process.js";
import type { JournalLayout } from "../journal/layout.js";
import type { JournalLock } from "../lock/journal-lock.js";
import type { PendingIntent, RecoveryStep } from "./pending-intent.js";

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
  /** The hooks directory lore's commits run (git/hook-state.ts); undefined: the repository's own. */
  hooksDir: string | undefined;
  options: SessionOptions;
  /** The key that ties SQLite's write lock to this journal lock. */
  journalKey: string;
  /** Records handed off by writers that wait for their commit (group-commit.ts). */
  awaiting: PendingIntent[];
  /** What this session's recovery found and did (recover.ts), for lore sync to report. */
  recovered: RecoveryStep[];
}

/** The options of a git commit made while `session` holds the journal lock. */
export function commitOptions(session: JournalSession): CommitOptions {
  return {
    deadline: Date.now() + session.options.timeoutMs,
    staleMs: session.options.staleMs,
    assertHeld: () => session.lock.assertHeld(),
    hooksDir: session.hooksDir,
  };
}

/** The session's work tree, for code that runs only where a commit is due. */
export function workTreeOf(session: JournalSession): GitRepo {
  if (session.repo === undefined) throw new Error("no git work tree to commit to in this session");
  return session.repo;
}
