/**
 * One record's git commit: its own file, its own message, nothing else.
 *
 *   const id = await commitRecordFile(session, intent, { tracked });
 *   const id = await commitHolding(session, file);   // the commit that last changed `file`
 *
 * Call while holding the journal lock, in a session with a work tree. The
 * lock is checked first (fencing). Returns the id of the commit that holds
 * the record: the new one, or, when the file did not differ from HEAD, the
 * commit that last changed it (a killed writer's git child, an earlier
 * attempt whose commit landed, or a git outside lore committed it already:
 * the record is committed, which is no failure); null only when HEAD never
 * held the file. Throws GitError when git fails, LockLostError when the lock
 * was taken over.
 */
import { commitPaths } from "../git/commit.js";
import { runGit } from "../git/git-process.js";
import { journalAbsolutePath } from "../journal/layout.js";
import type { PendingIntent } from "./pending-intent.js";
import { commitOptions, type JournalSession, workTreeOf } from "./session.js";

/** One record commit in this many lets git run its automatic maintenance. */
const MAINTENANCE_EVERY = 64;

/** Whether the commit of `intent`'s record lets git run its automatic maintenance. */
export function maintenanceDue(intent: PendingIntent): boolean {
  return Number(intent.record.row.id) % MAINTENANCE_EVERY === 0;
}

/** The commit that last changed `file` (absolute), for a record committed before lore was told; null when none did. */
export async function commitHolding(session: JournalSession, file: string): Promise<string | null> {
  const { stdout } = await runGit(workTreeOf(session), ["rev-list", "-1", "HEAD", "--", file]);
  return stdout.trim() || null;
}

export async function commitRecordFile(
  session: JournalSession,
  intent: PendingIntent,
  how: {
    /** The file is known to git already (no `git add` needed). */
    tracked?: boolean;
  },
): Promise<string | null> {
  session.lock.assertHeld();
  const file = journalAbsolutePath(session.layout, intent.record.file);
  const made = await commitPaths(
    workTreeOf(session),
    {
      files: [file],
      message: intent.record.commitMessage,
      tracked: how.tracked,
      maintenance: maintenanceDue(intent),
    },
    commitOptions(session),
  );
  return made ?? commitHolding(session, file);
}
