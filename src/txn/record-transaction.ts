/**
 * The journal transaction of one record: its row, its markdown file through a
 * pending intent, and its git commit (docs/DESIGN.md walks it hop by hop).
 *
 *   const record = await persistRecord(session, draft);   // inside withJournalSession
 *   if (record.handedOff) record.commit = await awaitGroupCommit(layout, options, record.handedOff);
 *
 *   0. check that the database is not behind the journal (database-behind.ts):
 *      DatabaseBehindError, before anything is written, unless `repaired`;
 *   1. BEGIN IMMEDIATE (with `repaired`, raise the table's sequence above
 *      every id in use), INSERT the row (which gives the record's id), and
 *      note the record's fingerprint with it (record-rows.ts recordRowBase);
 *   2. write the pending intent (row, file, commit message), raise the ids
 *      issued to the new id (db/ids-issued.ts, fdatasync), then the file
 *      durably (temp, fsync, rename, directory fsync);
 *   3. COMMIT;
 *   4. the git commit of the record's own file, when in a work tree: alone,
 *      or handed off to a later holder (another writer queued behind), or
 *      with the records earlier holders handed off (group-commit.ts);
 *   5. remove the intent.
 *
 * The lock is checked (fencing) before the intent, before COMMIT and before
 * git. Errors: before COMMIT took effect, the transaction rolls back and the
 * file is put back as it was (and the ids issued), then the error is thrown;
 * if putting it back fails, the intent stays and the next run completes the
 * record instead. A
 * failed git commit is not thrown: the record is safe, `commitError` says why,
 * and the intent stays for the next run to commit, unless git ignores the
 * file (IgnoredByGitError): then no run could, and the intent goes. A kill at any point leaves
 * an intent that recover.ts resolves.
 */
import { insertRecordRow, recordRowBase, type RowValues } from "../db/record-rows.js";
import { type IdsIssued, raiseIdSequence, raiseIdsIssued, restoreIdsIssued } from "../db/ids-issued.js";
import { type RecordTable, recordsOf } from "../journal/journal-file.js";
import { recordFingerprint } from "../journal/record-fingerprint.js";
import { assertPlainPath, readFileIfPresent, removeFileDurably, writeFileDurably } from "../io/durable-file.js";
import { step } from "../io/fault-points.js";
import { journalRelativePath } from "../journal/layout.js";
import { IgnoredByGitError } from "../git/ignore-rules.js";
import { LockLostError } from "../lock/journal-lock.js";
import { currentProcess } from "../lock/process-identity.js";
import { PendingIntent } from "./pending-intent.js";
import { commitHandedOff, commitHandedOffOn, handOffWanted } from "./group-commit.js";
import { commitRecordFile } from "./record-commit.js";
import { idFloor } from "./database-behind.js";
import type { JournalSession } from "./session.js";

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

/**
 * @param repaired the database was found behind and repaired in this run:
 *   take an id above every id in use rather than throw DatabaseBehindError.
 */
export async function persistRecord(
  session: JournalSession,
  draft: RecordDraft,
  { repaired = false }: { repaired?: boolean } = {},
): Promise<PersistedRecord> {
  const { db, lock, layout } = session;
  const relativePath = journalRelativePath(layout, draft.target);
  assertPlainPath(layout.base, draft.target);
  const floor = idFloor(session, draft, { repaired });
  if (session.awaiting.length > 0) await commitHandedOffOn(session, draft.target);
  let pending: PendingIntent | undefined;
  let issued: { before: IdsIssued | undefined } | undefined;
  let written: { id: number; intent: PendingIntent };
  try {
    written = db.write(session.journalKey, () => {
      if (floor !== undefined) raiseIdSequence(db.sqlite, draft.table, floor);
      const id = insertRecordRow(db.sqlite, draft.table, { ...draft.row, lore_id: draft.loreId });
      step("db-insert");
      const content = draft.render(id);
      const written = recordsOf(relativePath, content).find((record) => record.loreId === draft.loreId);
      if (written) recordRowBase(db.sqlite, draft.table, id, relativePath, recordFingerprint(written));
      lock.assertHeld();
      const intent = PendingIntent.create(layout, {
        loreId: draft.loreId,
        kind: draft.kind,
        table: draft.table,
        row: { ...draft.row, lore_id: draft.loreId, id },
        file: relativePath,
        commitMessage: draft.commitMessage,
        owner: currentProcess(),
        createdAt: Date.now(),
      });
      pending = intent;
      step("intent-written");
      issued = { before: raiseIdsIssued(layout, db.sqlite) };
      writeFileDurably(draft.target, content, { onTempFile: (temp) => intent.addTempFile(temp) });
      step("file-written");
      lock.assertHeld();
      return { id, intent };
    });
  } catch (error) {
    // After losing the lock the file is no longer ours to touch: the intent
    // stays, and the run that holds the lock now resolves it.
    if (pending && !(error instanceof LockLostError) && restoreTarget(draft)) {
      pending.removeTempFiles(draft.target);
      pending.remove();
      try {
        if (issued) restoreIdsIssued(layout, issued.before, db.sqlite);
      } catch {
        // Left raised: the next record finds the database behind by one id, and repairs that.
      }
    }
    throw error;
  }
  const { id, intent } = written;
  const record: PersistedRecord = { id, loreId: draft.loreId, file: draft.target, path: relativePath, commit: null };
  if (session.repo) {
    if (handOffWanted(session)) return handOff(session, intent, record);
    const tracked = draft.previous !== undefined;
    try {
      record.commit =
        session.awaiting.length === 0
          ? ((await commitRecordFile(session, intent, { tracked })) ?? null)
          : await commitWithHandedOff(session, intent, tracked);
    } catch (error) {
      record.commitError = error as Error;
      // git ignores the file: no later command could commit it, so the intent promises nothing.
      if (error instanceof IgnoredByGitError) intent.remove();
      return record;
    }
  }
  intent.remove();
  step("intent-removed");
  return record;
}

/** Leaves the record's commit to a later holder (group-commit.ts); the caller waits with awaitGroupCommit. */
function handOff(session: JournalSession, intent: PendingIntent, record: PersistedRecord): PersistedRecord {
  try {
    session.lock.assertHeld();
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

/** Commits the record together with the records earlier holders handed off; its commit id, or throws its error. */
async function commitWithHandedOff(
  session: JournalSession,
  intent: PendingIntent,
  tracked: boolean,
): Promise<string | null> {
  const outcome = (await commitHandedOff(session, { own: { intent, tracked } })).get(intent);
  if (outcome === undefined) throw new Error(`the group commit gave no outcome for ${intent.record.file}`);
  if ("error" in outcome) throw outcome.error;
  return outcome.commit;
}
