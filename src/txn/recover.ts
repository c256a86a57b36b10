/**
 * Crash recovery: resolves the pending intents a killed lore left behind.
 *
 *   session.awaiting = await recoverPending(session, { leaveHandedOff });
 *
 * Runs at the start of every journal session (journal-session.ts), under the
 * journal lock, before the command's own work. For each intent:
 *   - its temp files are removed;
 *   - if its row was never committed, the record is taken back out of its
 *     file (record-transaction.ts takeBackRecord: the kept previous version
 *     renamed back, or the new file removed), and that is all: a record whose
 *     COMMIT did not take effect never appears, so a retry of a record that
 *     failed (exit 1) or was killed never makes a duplicate;
 *   - otherwise the kept version, if any, goes, and the record is completed:
 *     its file committed to git if not yet;
 *   - an intent of an older lore version (which says nothing of how to take
 *     the record back) is completed when the markdown file holds the record
 *     (its lore id line is there): its row inserted if the transaction never
 *     committed (with the id the markdown shows); otherwise any row is
 *     removed;
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
 * for the next session; a record that cannot be taken back yet is a
 * warning, and its intent stays for the next session.
 */
import { deleteRecordRow, findRecordRowId, insertRecordRow, recordRowBase } from "../db/record-rows.js";
import { recordsOf } from "../journal/journal-file.js";
import { recordFingerprint } from "../journal/record-fingerprint.js";
import { journalAbsolutePath } from "../journal/layout.js";
import { readFileIfPresent, removeIfPresent } from "../io/durable-file.js";
import { warn } from "../base/warn.js";
import { PendingIntent, pendingNames } from "./pending-intent.js";
import { recoverFileWrites } from "./files-transaction.js";
import { fileHoldsRecord, type Rollback, takeBackRecord } from "./record-transaction.js";
import type { JournalSession } from "./session.js";
import { commitGroup, ownerWaits, warnFailedCommits, type GroupMember } from "./group-commit.js";

/**
 * Resolves a record whose intent says how to take it back: taken back when
 * its row was never committed (true: nothing is left to commit), else its
 * kept version removed (false: the record is complete, but perhaps for git).
 */
function takeBackUncommitted(session: JournalSession, intent: PendingIntent, rollback: Rollback): boolean {
  const { table, loreId } = intent.record;
  // In a write transaction: a writer that lost the lock may still hold SQLite's, and rolls back first.
  const committed = session.db.write(session.journalKey, () => findRecordRowId(session.db.sqlite, table, loreId));
  if (committed !== undefined) {
    if ("keptVersion" in rollback) removeIfPresent(journalAbsolutePath(session.layout, rollback.keptVersion));
    return false;
  }
  if (takeBackRecord(session.layout, intent.record, rollback)) intent.remove();
  else warn(`could not take the unfinished record out of ${intent.record.file} yet; the next lore command tries again`);
  return true;
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
      else toCommit.push({ intent, mayBeCommitted: true });
      continue;
    }
    const file = journalAbsolutePath(session.layout, intent.record.file);
    intent.removeTempFiles(file);
    const { rollback } = intent.record;
    if (rollback !== undefined && takeBackUncommitted(session, intent, rollback)) continue;
    const present = fileHoldsRecord(file, intent.record.loreId);
    settleRow(session, intent, present);
    if (present && session.repo) toCommit.push({ intent, mayBeCommitted: true });
    else intent.remove();
  }
  if (toCommit.length > 0) warnFailedCommits(await commitGroup(session, toCommit));
  return awaiting;
}
