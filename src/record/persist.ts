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
import { commitPaths } from "../git/commit.js";
import { LockLostError } from "../lock/journal-lock.js";
import { PendingIntent } from "./pending-intent.js";
import { commitOptions, type JournalSession } from "./session.js";

/** One record commit in this many lets git run its automatic maintenance. */
const MAINTENANCE_EVERY = 64;

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
    try {
      lock.assertHeld();
      const commit = await commitPaths(
        session.repo,
        {
          files: [draft.target],
          message: draft.commitMessage,
          tracked: draft.previous !== undefined,
          maintenance: id % MAINTENANCE_EVERY === 0,
        },
        commitOptions(session),
      );
      record.commit = commit ?? null;
    } catch (error) {
      record.commitError = error as Error;
      return record;
    }
  }
  intent.remove();
  step("intent-removed");
  return record;
}
