/**
 * Crash recovery: resolves the pending intents a killed lore left behind.
 *
 * Runs at the start of every journal session, under the journal lock, before
 * the command's own work. Its cost is one readdir when nothing is pending, and
 * otherwise proportional to the number of interrupted records: it reads only
 * their files (and, for a record killed before its temp file was reported, the
 * directory listing of that file), never the rest of the journal. Its git
 * commits cost what any commit costs in that repository. For each intent:
 *   - its temp files are removed;
 *   - if the markdown file holds the record (its lore id line is there), the
 *     record is completed: the row is inserted if the transaction never
 *     committed (with the id already written in the markdown), and the file is
 *     committed to git if it is not yet;
 *   - otherwise the record never reached its file: any row is removed;
 *   - then the intent is removed.
 * The commits are made as one group (group-commit.ts). A git commit that fails
 * again leaves the intent for the next run, with a warning; the rest of the
 * session goes on.
 *
 * Records handed off for a group commit are complete but for git. Those whose
 * writer is alive and waits for the commit are returned untouched with
 * `leaveHandedOff` (a record session commits them with its own, or leaves them
 * to a later holder); otherwise they are committed here and their writers
 * told. An intent whose commit was written down for its writer stays until
 * that writer has read it, or is removed once the writer is dead.
 */
import { deleteRecordRow, findRecordRowId, insertRecordRow } from "../db/record-rows.js";
import { journalAbsolutePath } from "../journal/layout.js";
import { readFileIfPresent, removeIfPresent } from "../io/durable-file.js";
import { loreIdLine } from "../journal/failure-markdown.js";
import { PendingIntent } from "./pending-intent.js";
import type { JournalSession } from "./session.js";
import { commitGroup, ownerWaits, warnFailedCommits, type GroupMember } from "./group-commit.js";

function fileHoldsRecord(file: string, loreId: string): boolean {
  return readFileIfPresent(file)?.split("\n").includes(loreIdLine(loreId)) ?? false;
}

function settleRow(session: JournalSession, intent: PendingIntent, present: boolean): void {
  const { table, loreId, row } = intent.record;
  session.db.write(session.journalKey, () => {
    const existing = findRecordRowId(session.db.sqlite, table, loreId);
    if (present && existing === undefined) {
      try {
        insertRecordRow(session.db.sqlite, table, row);
      } catch {
        // The id was taken meanwhile by a writer outside lore: keep the record under a new id.
        const { id: _taken, ...withoutId } = row;
        insertRecordRow(session.db.sqlite, table, withoutId);
      }
    } else if (!present && existing !== undefined) {
      deleteRecordRow(session.db.sqlite, table, loreId);
    }
  });
}

/**
 * Resolves every intent left in the journal; returns, with `leaveHandedOff`,
 * the handed-off records whose writers wait for their commit.
 */
export async function recoverPending(
  session: JournalSession,
  options: { leaveHandedOff: boolean },
): Promise<PendingIntent[]> {
  const awaiting: PendingIntent[] = [];
  const toCommit: GroupMember[] = [];
  for (const intent of PendingIntent.list(session.layout)) {
    if (!(intent instanceof PendingIntent)) {
      // Cut short while being written: the record never reached its file.
      removeIfPresent(intent.path);
      continue;
    }
    if (intent.resolution) {
      if (!ownerWaits(intent)) intent.remove();
      continue;
    }
    if (intent.handedOff) {
      // Complete in its file and the DB (the hand-off comes after the COMMIT): only git is left.
      if (!session.repo) continue;
      if (options.leaveHandedOff && ownerWaits(intent)) awaiting.push(intent);
      else toCommit.push({ intent, mayBeCommitted: true });
      continue;
    }
    const file = journalAbsolutePath(session.layout, intent.record.file);
    intent.removeTempFiles(file);
    const present = fileHoldsRecord(file, intent.record.loreId);
    settleRow(session, intent, present);
    if (present && session.repo) toCommit.push({ intent, mayBeCommitted: true });
    else intent.remove();
  }
  if (toCommit.length > 0) warnFailedCommits(await commitGroup(session, toCommit));
  return awaiting;
}
