/**
 * The wait of a writer that handed its git commits off (group-commit.ts).
 *
 *   // after the session that persisted the records released the lock:
 *   await awaitHandedOff(layout, options, records);   // each record gets its commit or commitError
 *   await awaitHandedOff(layout, options, records, kept);   // a writer that stays up (`lore mcp`)
 *
 * Waits until a later holder committed the records and wrote each commit id
 * into its intent, or, once this writer gets the lock again first, commits
 * the whole group itself (in a session on `kept`'s connection, where given)
 * and removes the intents of its records before that session lets the lock
 * go: such an intent carries no resolution, and a holder after it would
 * commit its record again.
 * Only the records with `handedOff` are waited for; each then has its
 * `handedOff` cleared and gets its `commit` (null when none was needed), or
 * its `commitError`: the commit's own error when this writer's attempt
 * failed, or HandOffTimeoutError after `options.timeoutMs`; the intent then
 * stays, and the next lore command commits the record. IgnoredByGitError when git ignores the record's file
 * (found by this writer or by the holder that resolved it): the intent is
 * removed, since no command could commit it. Nothing is thrown: an error
 * of the session (the lock timed out, the database cannot be opened) is
 * every waiting record's `commitError`.
 */
import { ExitCode, LoreError } from "../base/errors.js";
import { IgnoredByGitError } from "../git/ignore-rules.js";
import type { JournalLayout } from "../journal/layout.js";
import { awaitedHere, commitHandedOff, type GroupOutcome } from "./group-commit.js";
import { type KeptDatabase, withJournalSessionUntil } from "./journal-session.js";
import type { PendingIntent } from "./pending-intent.js";
import type { PersistedRecord } from "./record-transaction.js";
import type { SessionOptions } from "./session.js";

export class HandOffTimeoutError extends LoreError {
  readonly exitCode = ExitCode.Failed;
  constructor(timeoutMs: number) {
    super(`no holder of the journal lock committed it within ${(timeoutMs / 1000).toFixed(1)} s`);
  }
}

type CommitResult = { commit: string | null } | { error: Error };

/** The result a resolved intent tells its writer, read and taken; undefined while it has none. */
function takeResolution(intent: PendingIntent): CommitResult | undefined {
  const resolution = intent.readResolution();
  if (resolution === undefined) return undefined;
  intent.remove();
  if (resolution.notCommitted !== undefined) return { error: new IgnoredByGitError(resolution.notCommitted) };
  return { commit: resolution.commit };
}

/** What this writer's own group commit made of `intent`: its outcome, else the resolution another holder wrote meanwhile. */
function ownResult(intent: PendingIntent, outcome: GroupOutcome): CommitResult {
  const own = [...outcome.keys()].find((other) => other.path === intent.path);
  const result = own && outcome.get(own);
  if (result === undefined) {
    // Not handed off any more: committed (and told) meanwhile, or its intent is gone.
    return takeResolution(intent) ?? { error: new Error(`its pending intent ${intent.path} is gone`) };
  }
  // A commit that can never be made leaves nothing for a later command to do; a failed one, its intent.
  if (!("error" in result) || result.error instanceof IgnoredByGitError) intent.remove();
  return result;
}

async function awaitIntents(
  layout: JournalLayout,
  options: SessionOptions,
  intents: PendingIntent[],
  kept: KeptDatabase | undefined,
): Promise<Map<PendingIntent, CommitResult>> {
  const results = new Map<PendingIntent, CommitResult>();
  const waiting = () => intents.filter((intent) => !results.has(intent));
  const collectResolved = () => {
    for (const intent of waiting()) {
      const result = takeResolution(intent);
      if (result) results.set(intent, result);
    }
    return waiting().length === 0;
  };
  const deadline = Date.now() + options.timeoutMs;
  while (!collectResolved()) {
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) {
      for (const intent of waiting()) results.set(intent, { error: new HandOffTimeoutError(options.timeoutMs) });
      break;
    }
    try {
      await withJournalSessionUntil(
        layout,
        { ...options, timeoutMs: remainingMs },
        () => waiting().every((intent) => intent.readResolution() !== undefined),
        async (session) => {
          const outcome = await commitHandedOff(session);
          // Under the lock: an intent this writer committed itself carries no resolution, and the next
          // holder would take one still there for a record to commit.
          for (const intent of waiting()) results.set(intent, ownResult(intent, outcome));
        },
        kept,
      );
    } catch (error) {
      // The lock timed out, or the session failed: the intents stay for the next command.
      for (const intent of waiting()) results.set(intent, { error: error as Error });
      break;
    }
  }
  return results;
}

export async function awaitHandedOff(
  layout: JournalLayout,
  options: SessionOptions,
  records: PersistedRecord[],
  kept?: KeptDatabase,
): Promise<void> {
  const handedOff = records.filter((record) => record.handedOff !== undefined);
  if (handedOff.length === 0) return;
  const intents = handedOff.map((record) => record.handedOff as PendingIntent);
  for (const intent of intents) awaitedHere.add(intent.path);
  let results: Map<PendingIntent, CommitResult>;
  try {
    results = await awaitIntents(layout, options, intents, kept);
  } finally {
    for (const intent of intents) awaitedHere.delete(intent.path);
  }
  for (const record of handedOff) {
    const result = results.get(record.handedOff as PendingIntent);
    record.handedOff = undefined;
    if (result === undefined) continue;
    if ("error" in result) record.commitError = result.error;
    else record.commit = result.commit;
  }
}
