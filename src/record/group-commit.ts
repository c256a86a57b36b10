/**
 * Group commit: writers that queue for the journal lock at the same time share
 * their git work instead of each running two git processes while the others
 * wait.
 *
 * A record's git commit is the longest part of its hold on the journal lock
 * (two git processes, each a fork of the Node process). So a holder that has
 * written its record (file and DB, COMMIT done) and finds another writer
 * queued behind it (`handOffWanted`) does not commit: it marks its pending
 * intent as handed off (pending-intent.ts), releases the lock, and waits
 * (`awaitGroupCommit`). The holder that finds nobody with a record still to
 * write commits every handed-off record and its own (`commitGroup`): one
 * `git add` for all their files, then one `git fast-import` that makes one
 * commit per record (git/batch-commit.ts), or, where that does not apply
 * (commit hooks, signing), one `git commit --only` per record. Each record
 * still gets a commit of its own, with its own message, holding only its own
 * paths. It writes each commit id into the record's intent and
 * wakes the waiting writer, which reads it, removes the intent and reports
 * the commit. Git still runs only while the journal lock is held.
 *
 *   // holder, after its COMMIT:
 *   if (handOffWanted(session)) intent.handOff();                  // then release
 *   else await commitGroup(session, [...awaiting, own]);
 *   // handed-off writer, after releasing:
 *   const commit = await awaitGroupCommit(layout, options, intent);
 *
 * Nothing waits on a particular process. A handed-off writer queues for the
 * lock again (behind the fresh writers that were queued: the wait queue is
 * mostly first come first served), and if it gets the lock before its record
 * was committed, it commits the group itself. A handed-off writer that is
 * killed leaves an intent whose owner is dead, which the next holder's
 * recovery commits like any interrupted record. A holder killed in the middle
 * of a group leaves the rest of the group handed off, to the next holder. A
 * writer that has waited `timeoutMs` without its commit gives up as a failed
 * commit does: its record is safe in the file and the DB, and the next run
 * commits it.
 *
 * A handed-off file is committed before anyone changes it again
 * (`commitAwaitingOn`): a heuristic domain file holds several records, and
 * each commit must hold only its own record's change.
 *
 * Tests force the hand-off of every record with LORE_HAND_OFF=always (read
 * once at start-up); the hand-off and the group's commits pass the named
 * steps `commit-handed-off` and `group-committed`.
 */
import { commitPaths, stagePaths } from "../git/commit.js";
import { commitEachInOneProcess } from "../git/batch-commit.js";
import { runGit } from "../git/git-process.js";
import { LockLostError } from "../lock/journal-lock.js";
import { currentProcess, ownerLiveness } from "../lock/process-identity.js";
import { freshWaiterQueued, waitQueueOf, wakeWaiter } from "../lock/wait-queue.js";
import { journalAbsolutePath, type JournalLayout } from "../journal/layout.js";
import { step } from "../io/steps.js";
import { warn } from "../io/warn.js";
import type { PendingIntent } from "./pending-intent.js";
import { commitOptions, withJournalSessionUnless, type JournalSession, type SessionOptions } from "./session.js";

const MAINTENANCE_EVERY = 64;

const handOffAlways = process.env.LORE_HAND_OFF === "always";

/** Whether a holder that has written its record should leave its commit to a later holder. */
export function handOffWanted(session: JournalSession): boolean {
  return session.repo !== undefined && (handOffAlways || freshWaiterQueued(waitQueueOf(session.layout.lockDir)));
}

/** Whether `intent` is this process's own. */
function isOwn(intent: PendingIntent): boolean {
  const owner = intent.record.owner;
  const me = currentProcess();
  return owner?.pid === me.pid && owner.startTime === me.startTime && owner.host === me.host;
}

/** Whether the writer of a handed-off record is alive to collect its commit. */
export function ownerWaits(intent: PendingIntent): boolean {
  return intent.record.owner !== undefined && ownerLiveness(intent.record.owner) === "alive";
}

export interface GroupMember {
  intent: PendingIntent;
  /** The file is known to git already (no `git add` needed when it is committed alone). */
  tracked?: boolean;
  /** A commit may already hold the file (a committer killed before it wrote the resolution). */
  mayBeCommitted?: boolean;
}

/** What became of each member's commit: the commit id (null: none was needed), or why it failed. */
export type GroupOutcome = Map<PendingIntent, { commit: string | null } | { error: Error }>;

/** The commit that last changed `file`, for a record whose commit was made but not written down. */
async function lastCommitOf(session: JournalSession, file: string): Promise<string | null> {
  const { stdout } = await runGit(session.repo!, ["rev-list", "-1", "HEAD", "--", file]);
  return stdout.trim() || null;
}

/** One record commit in this many lets git run its automatic maintenance. */
function maintenanceDue(intent: PendingIntent): boolean {
  return Number(intent.record.row.id) % MAINTENANCE_EVERY === 0;
}

/**
 * After a member's commit (`made` undefined: its file was committed already,
 * by a committer killed before it told the writer, whose commit is then
 * looked up): the outcome is noted; another writer's handed-off record gets
 * its resolution and a wake-up; an interrupted record of a dead writer loses
 * its intent. This process's own intents are left to the caller.
 */
async function settleMember(
  session: JournalSession,
  intent: PendingIntent,
  file: string,
  made: string | undefined,
  outcome: GroupOutcome,
): Promise<void> {
  // A handed-off record's writer (this process included) waits to be told its commit.
  const waiting = intent.handedOff && ownerWaits(intent);
  const commit = made ?? (waiting ? await lastCommitOf(session, file) : null);
  outcome.set(intent, { commit });
  if (isOwn(intent)) return;
  if (waiting) {
    step("group-committed");
    intent.resolve(commit);
    wakeWaiter(waitQueueOf(session.layout.lockDir), intent.record.owner!);
  } else {
    intent.remove();
  }
}

/**
 * Commits each member's file with a commit of its own, oldest record first:
 * a lone member as any record is committed (its `git add` beside the commit),
 * several with one `git add` for all and then one `git fast-import`, or one
 * `git commit --only` each where fast-import does not apply. Call while
 * holding the journal lock, with a work tree. A failure of the `git add` or
 * of the fast-import is every member's outcome (their intents stay for the
 * next run); in the one-by-one commits a lost lock ends the group, and
 * another failure is that member's outcome while the group goes on.
 */
export async function commitGroup(session: JournalSession, members: GroupMember[]): Promise<GroupOutcome> {
  const outcome: GroupOutcome = new Map();
  if (members.length === 0) return outcome;
  const ordered = [...members].sort((a, b) => (a.intent.record.createdAt ?? 0) - (b.intent.record.createdAt ?? 0));
  const files = ordered.map((member) => journalAbsolutePath(session.layout, member.intent.record.file));
  const alone = ordered.length === 1;
  if (!alone) {
    try {
      session.lock.assertHeld();
      // Tracked files too: the index must hold what the new commits hold.
      await stagePaths(session.repo!, files, commitOptions(session));
      if (await commitInOneProcess(session, ordered, files, outcome)) return outcome;
    } catch (error) {
      for (const member of ordered) outcome.set(member.intent, { error: error as Error });
      return outcome;
    }
  }
  for (const [index, member] of ordered.entries()) {
    const { intent } = member;
    try {
      session.lock.assertHeld();
      const made = await commitPaths(
        session.repo!,
        {
          files: [files[index]],
          message: intent.record.commitMessage,
          tracked: alone ? member.tracked : true,
          maintenance: maintenanceDue(intent),
          skipIfCommitted: member.mayBeCommitted,
        },
        commitOptions(session),
      );
      await settleMember(session, intent, files[index], made, outcome);
    } catch (error) {
      outcome.set(intent, { error: error as Error });
      if (error instanceof LockLostError) {
        // Not ours to commit any more: the rest stays for the holder that took the lock over.
        for (const rest of ordered) if (!outcome.has(rest.intent)) outcome.set(rest.intent, { error });
        break;
      }
    }
  }
  return outcome;
}

/**
 * Commits the (staged) members with one `git fast-import` (batch-commit.ts),
 * each in its own commit; false, having committed nothing, where that does
 * not apply and they must be committed one by one.
 */
async function commitInOneProcess(
  session: JournalSession,
  ordered: GroupMember[],
  files: string[],
  outcome: GroupOutcome,
): Promise<boolean> {
  const repo = session.repo!;
  const commits = ordered.map((member, index) => ({ file: files[index], message: member.intent.record.commitMessage }));
  const ids = await commitEachInOneProcess(repo, commits, commitOptions(session));
  if (ids === undefined) return false;
  if (ordered.some((member) => maintenanceDue(member.intent))) {
    await runGit(repo, ["maintenance", "run", "--auto", "--quiet"]).catch((error: Error) =>
      warn(`git maintenance failed: ${error.message}`),
    );
  }
  for (const [index, { intent, mayBeCommitted }] of ordered.entries()) {
    if (ids[index] === undefined && !mayBeCommitted) {
      outcome.set(intent, { error: new Error(`${files[index]} does not differ from HEAD: nothing to commit`) });
    } else {
      await settleMember(session, intent, files[index], ids[index], outcome);
    }
  }
  return true;
}

/** Warns about the members of other writers whose commit failed; their intents stay for the next run. */
export function warnFailedCommits(outcome: GroupOutcome): void {
  for (const [intent, result] of outcome) {
    if ("error" in result && !isOwn(intent))
      warn(`could not commit ${intent.record.file} of an earlier record: ${result.error.message}`);
  }
}

/**
 * Commits, as one group, the handed-off records in `session.awaiting` that
 * `which` picks (all by default) together with `own` (this process's record,
 * if any), and takes them out of `session.awaiting`. Warns about other
 * writers' records whose commit failed; their intents stay for the next run.
 */
export async function commitAwaiting(
  session: JournalSession,
  { own, which = () => true }: { own?: GroupMember; which?: (intent: PendingIntent) => boolean } = {},
): Promise<GroupOutcome> {
  const picked = session.awaiting.filter(which);
  session.awaiting = session.awaiting.filter((intent) => !picked.includes(intent));
  const outcome = await commitGroup(session, [
    ...picked.map((intent) => ({ intent, mayBeCommitted: true })),
    ...(own ? [own] : []),
  ]);
  warnFailedCommits(outcome);
  return outcome;
}

/** Commits the handed-off records on file `target` before it changes again. */
export async function commitAwaitingOn(session: JournalSession, target: string): Promise<void> {
  await commitAwaiting(session, {
    which: (intent) => journalAbsolutePath(session.layout, intent.record.file) === target,
  });
}

export class HandOffTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no holder of the journal lock committed it within ${(timeoutMs / 1000).toFixed(1)} s`);
  }
}

/**
 * Waits, after a hand-off, until the record's commit is made, by a later
 * holder or (once this writer gets the lock again first) by this one for the
 * whole group. Returns the commit id, or null when none was needed. Throws
 * the commit's error when this writer's own attempt failed, or
 * HandOffTimeoutError after `options.timeoutMs`; the intent then stays, and
 * the next run commits the record.
 */
export async function awaitGroupCommit(
  layout: JournalLayout,
  options: SessionOptions,
  intent: PendingIntent,
): Promise<string | null> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const resolution = intent.readResolution();
    if (resolution) {
      intent.remove();
      return resolution.commit;
    }
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) throw new HandOffTimeoutError(options.timeoutMs);
    const mine = await withJournalSessionUnless(
      layout,
      { ...options, timeoutMs: remainingMs },
      () => intent.readResolution() !== undefined,
      async (session) => {
        const outcome = await commitAwaiting(session);
        const own = [...outcome.keys()].find((other) => other.path === intent.path);
        if (own) return outcome.get(own);
        // Not handed off any more: committed (and told) meanwhile, or its intent is gone.
        return intent.readResolution() ?? { error: new Error(`its pending intent ${intent.path} is gone`) };
      },
    );
    if (mine === undefined) continue;
    if ("error" in mine) throw mine.error;
    intent.remove();
    return mine.commit;
  }
}
