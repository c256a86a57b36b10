/**
 * Group commit: writers queued for the journal lock together share their git
 * work; each record still gets a commit of its own.
 *
 *   // a holder, after its COMMIT (record-transaction.ts):
 *   if (handOffWanted(session)) intent.handOff();      // then release; hand-off.ts waits
 *   else await commitHandedOff(session, { own });       // every handed-off record, and its own
 *
 * `commitGroup` commits each member's file, oldest record first: a lone member
 * as any record (record-commit.ts); several without git where lore can write
 * the commits itself (git/direct-commit.ts), else with one `git add` and one
 * `git fast-import` (git/batch-commit.ts), or one `git commit --only` each
 * where fast-import does not apply (hooks, signing, detached HEAD). Each
 * commit id is written into the member's intent and its waiting writer woken.
 * Call only while holding the journal lock, in a session with a work tree.
 *
 * Errors: a failed `git add` is every member's outcome (a fast-import that
 * refuses falls back to the one-by-one commits); in those, a lost lock ends the
 * group and another failure is that member's outcome. Intents whose commit
 * failed stay for the next run. `commitHandedOffOn` commits the records handed
 * off on a file before it changes again, so each commit holds only its own.
 * Design: docs/DESIGN.md#group-commit
 */
import { commitEachInOneProcess } from "../git/batch-commit.js";
import { runMaintenance, stagePaths } from "../git/commit.js";
import { commitWithoutGit } from "../git/direct-commit.js";
import { IgnoredByGitError } from "../git/ignore-rules.js";
import { warn } from "../base/warn.js";
import { step } from "../io/fault-points.js";
import { journalAbsolutePath } from "../journal/layout.js";
import { LockLostError } from "../lock/journal-lock.js";
import { currentProcess, ownerLiveness } from "../lock/process-identity.js";
import { freshWaiterQueued, waitQueueOf, wakeWaiter } from "../lock/wait-queue.js";
import type { PendingIntent } from "./pending-intent.js";
import { commitHolding, commitRecordFile, maintenanceDue } from "./record-commit.js";
import { commitOptions, type JournalSession, workTreeOf } from "./session.js";

const handOffAlways = process.env.LORE_HAND_OFF === "always";

/** Whether a holder that has written its record should leave its commit to a later holder. */
export function handOffWanted(session: JournalSession): boolean {
  return session.repo !== undefined && (handOffAlways || freshWaiterQueued(waitQueueOf(session.layout.lockDir)));
}

/**
 * The handed-off intents (their paths) a writer of this process waits for
 * now (hand-off.ts awaitHandedOff adds them for the length of its wait).
 */
export const awaitedHere = new Set<string>();

/**
 * Whether the caller settles the member's intent itself: a record of this
 * process still in flight (`own`: record-transaction.ts commitRecords), or a
 * handed-off record whose writer in this process waits for it (hand-off.ts),
 * and takes the outcome from the group commit it made. A handed-off record
 * this process gave up waiting for (a server that stays up meets it in a
 * later session's recovery) is settled here like a dead writer's
 * (ownerWaits): committed, its intent removed.
 */
function settledByCaller(member: GroupMember): boolean {
  return member.own === true || (member.intent.handedOff && awaitedHere.has(member.intent.path));
}

/**
 * Whether the writer of a handed-off record is alive to collect its commit;
 * when that writer is this process (a server that stays up), only while it
 * waits for it (`awaitedHere`): one that gave up never reads it.
 */
export function ownerWaits(intent: PendingIntent): boolean {
  const owner = intent.record.owner;
  if (owner === undefined) return false;
  const me = currentProcess();
  if (owner.pid === me.pid && owner.startTime === me.startTime && owner.host === me.host) {
    return awaitedHere.has(intent.path);
  }
  return ownerLiveness(owner) === "alive";
}

export interface GroupMember {
  intent: PendingIntent;
  /** The file is known to git already (no `git add` needed when it is committed alone). */
  tracked?: boolean;
  /** A record of this process in flight: its outcome is only noted, the caller settles its intent. */
  own?: boolean;
}

/** What became of each member's commit: the commit id (null: none was needed), or why it failed. */
export type GroupOutcome = Map<PendingIntent, { commit: string | null } | { error: Error }>;

/**
 * After a member's commit (`made` undefined: its file was committed already,
 * by a committer killed before it told the writer, or a commit that landed
 * before lore was told; the commit that holds it is then looked up): the
 * outcome is noted; another writer's handed-off record gets its resolution
 * and a wake-up; an interrupted record of a dead writer loses its intent.
 * The intents the caller settles (settledByCaller) are left to it.
 */
async function settleMember(
  session: JournalSession,
  member: GroupMember,
  file: string,
  made: string | null | undefined,
  outcome: GroupOutcome,
): Promise<void> {
  const { intent } = member;
  // A handed-off record's writer (this process included) waits to be told its commit.
  const owner = intent.handedOff && ownerWaits(intent) ? intent.record.owner : undefined;
  const commit = made === undefined ? await commitHolding(session, file) : made;
  outcome.set(intent, { commit });
  if (settledByCaller(member)) return;
  if (owner) {
    step("group-committed");
    intent.resolve(commit);
    wakeWaiter(waitQueueOf(session.layout.lockDir), owner);
  } else {
    intent.remove();
  }
}

/**
 * A member whose file git ignores: its record stays uncommitted, and no later
 * command could commit it, so its intent promises nothing more. Another
 * writer's handed-off record is resolved with the reason (its writer reports
 * it); an interrupted record of a dead writer loses its intent. The intents
 * the caller settles (settledByCaller) are left to it.
 */
function settleIgnored(
  session: JournalSession,
  member: GroupMember,
  error: IgnoredByGitError,
  outcome: GroupOutcome,
): void {
  const { intent } = member;
  outcome.set(intent, { error });
  if (settledByCaller(member)) return;
  if (intent.handedOff && ownerWaits(intent) && intent.record.owner) {
    intent.resolve(null, error.message);
    wakeWaiter(waitQueueOf(session.layout.lockDir), intent.record.owner);
  } else {
    intent.remove();
  }
}

export async function commitGroup(session: JournalSession, members: GroupMember[]): Promise<GroupOutcome> {
  const outcome: GroupOutcome = new Map();
  const ordered = [...members].sort((a, b) => (a.intent.record.createdAt ?? 0) - (b.intent.record.createdAt ?? 0));
  const files = ordered.map((member) => journalAbsolutePath(session.layout, member.intent.record.file));
  const repo = workTreeOf(session);
  if (ordered.length > 1) {
    try {
      session.lock.assertHeld();
      const commits = ordered.map((member, index) => ({
        file: files[index],
        message: member.intent.record.commitMessage,
      }));
      const options = commitOptions(session);
      const direct = await commitWithoutGit(repo, commits, options);
      if (direct) return settleGroup(session, ordered, files, direct, outcome);
      // Tracked files too: the index must hold what the new commits hold.
      await stagePaths(repo, files, options);
      const imported = await commitEachInOneProcess(repo, commits, options);
      if (imported) return settleGroup(session, ordered, files, imported, outcome);
    } catch (error) {
      const ignored = error instanceof IgnoredByGitError ? ordered.filter((_, i) => error.rules.has(files[i])) : [];
      if (error instanceof IgnoredByGitError && ignored.length > 0) {
        // The others are committed as a group of their own.
        for (const member of ignored) {
          const file = journalAbsolutePath(session.layout, member.intent.record.file);
          settleIgnored(session, member, error.forFile(repo, file) ?? error, outcome);
        }
        const rest = ordered.filter((member) => !ignored.includes(member));
        for (const [intent, result] of await commitGroup(session, rest)) outcome.set(intent, result);
        return outcome;
      }
      for (const member of ordered) outcome.set(member.intent, { error: error as Error });
      return outcome;
    }
  }
  for (const [index, member] of ordered.entries()) {
    const { intent } = member;
    try {
      const tracked = ordered.length === 1 ? member.tracked : true;
      const made = await commitRecordFile(session, intent, { tracked });
      await settleMember(session, member, files[index], made, outcome);
    } catch (error) {
      outcome.set(intent, { error: error as Error });
      if (error instanceof IgnoredByGitError) settleIgnored(session, member, error, outcome);
      if (error instanceof LockLostError) {
        // Not ours to commit any more: the rest stays for the holder that took the lock over.
        for (const rest of ordered) if (!outcome.has(rest.intent)) outcome.set(rest.intent, { error });
        break;
      }
    }
  }
  return outcome;
}

/** After the group's commits (`ids`, each member's in order): git's maintenance when due, then each member settled. */
async function settleGroup(
  session: JournalSession,
  ordered: GroupMember[],
  files: string[],
  ids: Array<string | undefined>,
  outcome: GroupOutcome,
): Promise<GroupOutcome> {
  if (ordered.some((member) => maintenanceDue(member.intent))) await runMaintenance(workTreeOf(session));
  for (const [index, member] of ordered.entries())
    await settleMember(session, member, files[index], ids[index], outcome);
  return outcome;
}

/**
 * Warns about the members whose commit failed and that no caller settles;
 * their intents stay for the next run (those git ignores excepted). A writer
 * told why its record is not committed (its resolution) says so itself.
 */
export function warnFailedCommits(outcome: GroupOutcome, members: GroupMember[]): void {
  for (const member of members) {
    const result = outcome.get(member.intent);
    if (result && "error" in result && !settledByCaller(member) && member.intent.resolution === undefined) {
      warn(`could not commit ${member.intent.record.file} of an earlier record: ${result.error.message}`);
    }
  }
}

/**
 * Commits, as one group, the handed-off records in `session.awaiting` that
 * `which` picks (all by default) together with `own` (this process's records,
 * if any), and takes them out of `session.awaiting`.
 */
export async function commitHandedOff(
  session: JournalSession,
  { own = [], which = () => true }: { own?: GroupMember[]; which?: (intent: PendingIntent) => boolean } = {},
): Promise<GroupOutcome> {
  const picked = session.awaiting.filter(which);
  session.awaiting = session.awaiting.filter((intent) => !picked.includes(intent));
  const members = [...picked.map((intent) => ({ intent })), ...own];
  const outcome = await commitGroup(session, members);
  warnFailedCommits(outcome, members);
  return outcome;
}

/** Commits the handed-off records on file `target` before it changes again. */
export async function commitHandedOffOn(session: JournalSession, target: string): Promise<void> {
  await commitHandedOff(session, {
    which: (intent) => journalAbsolutePath(session.layout, intent.record.file) === target,
  });
}
