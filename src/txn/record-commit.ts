/**
 * One record's git commit: its own file, its own message, nothing else.
 *
 *   const id = await commitRecordFile(session, intent, { tracked });
 *
 * Call while holding the journal lock, in a session with a work tree. The
 * lock is checked first (fencing). Returns the new commit's id, or undefined
 * when there was nothing to commit (with `mayBeCommitted`: a killed writer's
 * git child may have committed the file already). Throws GitError when git
 * fails, LockLostError when the lock was taken over.
 */
import { commitPaths } from "../git/commit.js";
import { journalAbsolutePath } from "../journal/layout.js";
import type { PendingIntent } from "./pending-intent.js";
import { commitOptions, type JournalSession, workTreeOf } from "./session.js";

/** One record commit in this many lets git run its automatic maintenance. */
const MAINTENANCE_EVERY = 64;

/** Whether the commit of `intent`'s record lets git run its automatic maintenance. */
export function maintenanceDue(intent: PendingIntent): boolean {
  return Number(intent.record.row.id) % MAINTENANCE_EVERY === 0;
}

export function commitRecordFile(
  session: JournalSession,
  intent: PendingIntent,
  how: {
    /** The file is known to git already (no `git add` needed). */
    tracked?: boolean;
    /** A commit may already hold the file. */
    mayBeCommitted?: boolean;
  },
): Promise<string | undefined> {
  session.lock.assertHeld();
  return commitPaths(
    workTreeOf(session),
    {
      files: [journalAbsolutePath(session.layout, intent.record.file)],
      message: intent.record.commitMessage,
      tracked: how.tracked,
      maintenance: maintenanceDue(intent),
      skipIfCommitted: how.mayBeCommitted,
    },
    commitOptions(session),
  );
}
