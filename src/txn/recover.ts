/**
 * Crash recovery: resolves the pending intents a killed lore left behind.
 *
 *   session.awaiting = await recoverPending(session, { leaveHandedOff });
 *
 * Runs at the start of every journal session (journal-session.ts), under the
 * journal lock, before the command's own work. For each intent:
 *   - its temp files are removed;
 *   - if the markdown file holds the record (its lore id line is there), the
 *     record is completed: its row inserted if the transaction never committed
 *     (with the id the markdown shows), its file committed to git if not yet;
 *   - otherwise the record never reached its file, and any row is removed;
 *   - then the intent is removed.
 * A handed-off record (complete but for git) whose writer is alive and waits
 * is returned untouched with `leaveHandedOff`; otherwise it is committed here
 * and its writer told. A resolved intent stays until its writer has read it,
 * or is removed once the writer is dead. The commits are made as one group
 * (group-commit.ts).
 *
 * Cost: one readdir when nothing is pending; otherwise only the interrupted
 * records' files (and, for one killed before its temp file was reported, that
 * file's directory), never the rest of the journal. Errors: a database error
 * is thrown; a git commit that fails again is a warning, and its intent stays
 * for the next session.
 */
import { deleteRecordRow, findRecordRowId, insertRecordRow, recordRowBase } from "../db/record-rows.js";
import { recordsOf } from "../journal/journal-file.js";
import { recordFingerprint } from "../journal/record-fingerprint.js";
import { journalAbsolutePath } from "../journal/layout.js";
import { readFileIfPresent, removeIfPresent } from "../io/durable-file.js";
import { loreIdLine } from "../journal/failure-markdown.js";
import { PendingIntent, pendingNames } from "./pending-intent.js";
import { recoverFileWrites } from "./files-transaction.js";
import type { JournalSession } from "./session.js";
import { commitGroup, ownerWaits, warnFailedCommits, type GroupMember } from "./group-commit.js";

function fileHoldsRecord(file: string, loreId: string): boolean {
  return readFileIfPresent(file)?.split("\n").includes(loreIdLine(loreId)) ?? false;
}

function settleRow(session: JournalSession, intent: PendingIntent, present: boolean): void {
  const { table, loreId, row, file } = intent.record;
  session.db.write(session.journalKey, () => {
    const existing = findRecordRowId(session.db.sqlite, table, loreId);
    if (present && existing === undefined) {
      let id: number;
      try {
        id = insertRecordRow(session.db.sqlite, table, row);
      } catch {
        // The id was taken meanwhile by a writer outside lore: keep the record under a new id.
        const { id: _taken, ...withoutId } = row;
        id = insertRecordRow(session.db.sqlite, table, withoutId);
      }
      const text = readFileIfPresent(journalAbsolutePath(session.layout, file)) ?? "";
      const record = recordsOf(file, text).find((found) => found.loreId === loreId);
      if (record) recordRowBase(session.db.sqlite, table, id, file, recordFingerprint(record));
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
  const names = pendingNames(session.layout);
  if (names.length === 0) return awaiting;
  await recoverFileWrites(session, names);
  for (const intent of PendingIntent.list(session.layout, names)) {
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
      else toCommit.push({ intent });
      continue;
    }
    const file = journalAbsolutePath(session.layout, intent.record.file);
    intent.removeTempFiles(file);
    const present = fileHoldsRecord(file, intent.record.loreId);
    settleRow(session, intent, present);
    if (present && session.repo) toCommit.push({ intent });
    else intent.remove();
  }
  if (toCommit.length > 0) warnFailedCommits(await commitGroup(session, toCommit));
  return awaiting;
}
