/**
 * The wait of a writer that handed its git commit off (group-commit.ts).
 *
 *   const commit = await awaitGroupCommit(layout, options, intent);   // after the session released the lock
 *
 * Waits until a later holder committed the record and wrote the commit id into
 * its intent, or, once this writer gets the lock again first, commits the
 * whole group itself. Returns the commit id, or null when none was needed.
 * Errors: the commit's own error when this writer's attempt failed, or
 * HandOffTimeoutError after `options.timeoutMs`; the intent then stays, and
 * the next lore command commits the record. IgnoredByGitError when git
 * ignores the record's file (found by this writer or by the holder that
 * resolved it): the intent is removed, since no command could commit it.
 */
import { ExitCode, LoreError } from "../base/errors.js";
import { IgnoredByGitError } from "../git/ignore-rules.js";
import type { JournalLayout } from "../journal/layout.js";
import { commitHandedOff } from "./group-commit.js";
import { withJournalSessionUntil } from "./journal-session.js";
import type { PendingIntent } from "./pending-intent.js";
import type { SessionOptions } from "./session.js";

export class HandOffTimeoutError extends LoreError {
  readonly exitCode = ExitCode.Failed;
  constructor(timeoutMs: number) {
    super(`no holder of the journal lock committed it within ${(timeoutMs / 1000).toFixed(1)} s`);
  }
}

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
      if (resolution.notCommitted !== undefined) throw new IgnoredByGitError(resolution.notCommitted);
      return resolution.commit;
    }
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) throw new HandOffTimeoutError(options.timeoutMs);
    const mine = await withJournalSessionUntil(
      layout,
      { ...options, timeoutMs: remainingMs },
      () => intent.readResolution() !== undefined,
      async (session) => {
        const outcome = await commitHandedOff(session);
        const own = [...outcome.keys()].find((other) => other.path === intent.path);
        if (own) return outcome.get(own);
        // Not handed off any more: committed (and told) meanwhile, or its intent is gone.
        return intent.readResolution() ?? { error: new Error(`its pending intent ${intent.path} is gone`) };
      },
    );
    if (mine === undefined) continue;
    if ("error" in mine) {
      // A commit that can never be made leaves nothing for a later command to do.
      if (mine.error instanceof IgnoredByGitError) intent.remove();
      throw mine.error;
    }
    intent.remove();
    return mine.commit;
  }
}
