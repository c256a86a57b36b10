/**
 * The persistence protocol of one record. Everything happens inside a journal
 * session (journal lock held, recovery done):
 *
 *   1. BEGIN IMMEDIATE (SQLite's write lock, after the journal lock);
 *   2. INSERT the row, which gives the record's id;
 *   3. write the pending intent (row, file, commit message);
 *   4. write the markdown file durably (temp, fsync, rename, directory fsync);
 *   5. COMMIT;
 *   6. git commit of the record's own file, when in a work tree;
 *   7. remove the intent.
 *
 * Step 6 may be a group commit (group-commit.ts): with another writer queued
 * behind it, the record is handed off instead (`handedOff` is set, the caller
 * waits with awaitGroupCommit after the session), and without one, the
 * records handed off by earlier holders are committed with it, each with a
 * commit of its own. Records handed off on the same file are committed before
 * step 1, so that each commit holds only its own record.
 *
 * The lock is checked (fencing) before steps 3, 5 and 6. If anything fails
 * before the COMMIT took effect, the transaction rolls back and the file is
 * put back as it was (removed, or its previous content restored), so nothing
 * remains; if putting it back fails, the intent stays and the next run
 * completes the record instead. If the git commit fails, the record stays in
 * the file and the DB, `commitError` says why, and the intent stays so that the
 * next run commits it. A kill at any point leaves an intent that recover.ts
 * resolves.
 */
import { insertRecordRow, type RecordTable, type RowValues } from "../db/record-rows.js";
import { assertPlainPath, readFileIfPresent, removeFileDurably, writeFileDurably } from "../io/durable-file.js";
import { step } from "../io/steps.js";
import { journalRelativePath } from "../journal/layout.js";
import { LockLostError } from "../lock/journal-lock.js";
import { currentProcess } from "../lock/process-identity.js";
import { PendingIntent } from "./pending-intent.js";
import type { JournalSession } from "./session.js";
import { commitAwaiting, commitAwaitingOn, handOffWanted } from "./group-commit.js";

export interface RecordDraft {
  kind: "failure" | "heuristic";
  table: RecordTable;
  loreId: string;
  /** Absolute path of the markdown file the record goes into. */
  target: string;
  /** The file's content before the record, or undefined when it is new. */
  previous: string | undefined;
  /** The row, without its id. */
  row: RowValues;
  /** The file's new content, given the record's id. */
  render(id: number): string;
  commitMessage: string;
}

export interface PersistedRecord {
  id: number;
  loreId: string;
  file: string;
  /** The file relative to the journal base, with `/`. */
  path: string;
  /** The git commit holding the record; null when none was made. */
  commit: string | null;
  /** Why the git commit failed; the record itself is safe. */
  commitError?: Error;
  /** Set when the commit was handed off: the intent to wait on (awaitGroupCommit). */
  handedOff?: PendingIntent;
}

/** Puts the target back as it was; true when it verifiably is. */
function restoreTarget(draft: RecordDraft): boolean {
  try {
    if (draft.previous === undefined) removeFileDurably(draft.target);
    else if (readFileIfPresent(draft.target) !== draft.previous) writeFileDurably(draft.target, draft.previous);
  } catch {
    // Checked below: a failed directory fsync may still have put the file back.
  }
  try {
    return readFileIfPresent(draft.target) === draft.previous;
  } catch {
    return false;
  }
}

export async function persistRecord(session: JournalSession, draft: RecordDraft): Promise<PersistedRecord> {
  const { db, lock, layout } = session;
  const relativePath = journalRelativePath(layout, draft.target);
  assertPlainPath(layout.base, draft.target);
  await commitAwaitingOn(session, draft.target);
  const transaction = db.beginWrite(session.journalKey);
  let intent: PendingIntent | undefined;
  let id: number;
  try {
    id = insertRecordRow(db.sqlite, draft.table, { ...draft.row, lore_id: draft.loreId });
    step("db-insert");
    const content = draft.render(id);
    lock.assertHeld();
    intent = PendingIntent.create(layout, {
      loreId: draft.loreId,
      kind: draft.kind,
      table: draft.table,
      row: { ...draft.row, lore_id: draft.loreId, id },
      file: relativePath,
      commitMessage: draft.commitMessage,
      owner: currentProcess(),
      createdAt: Date.now(),
    });
    step("intent-written");
    const pending = intent;
    writeFileDurably(draft.target, content, { onTempFile: (temp) => pending.addTempFile(temp) });
    step("file-written");
    lock.assertHeld();
    transaction.commit();
  } catch (error) {
    transaction.rollback();
    // After losing the lock the file is no longer ours to touch: the intent
    // stays, and the run that holds the lock now resolves it.
    if (intent && !(error instanceof LockLostError) && restoreTarget(draft)) {
      intent.removeTempFiles(draft.target);
      intent.remove();
    }
    throw error;
  }

  const record: PersistedRecord = { id, loreId: draft.loreId, file: draft.target, path: relativePath, commit: null };
  if (session.repo) {
    if (handOffWanted(session)) {
      try {
        lock.assertHeld();
      } catch (error) {
        // Taken over while frozen: the holder now resolves the intent as an interrupted record.
        record.commitError = error as Error;
        return record;
      }
      intent.handOff();
      step("commit-handed-off");
      record.handedOff = intent;
      return record;
    }
    const outcome = await commitAwaiting(session, { own: { intent, tracked: draft.previous !== undefined } });
    const own = outcome.get(intent)!; // commitGroup gives every member an outcome
    if ("error" in own) {
      record.commitError = own.error;
      return record;
    }
    record.commit = own.commit;
  }
  intent.remove();
  step("intent-removed");
  return record;
}
