/**
 * The journal transaction of one record: its row, its markdown file through a
 * pending intent, and its git commit (docs/DESIGN.md walks it hop by hop).
 *
 *   const record = await persistRecord(session, draft);   // inside withJournalSession
 *   await awaitHandedOff(layout, options, [record]);      // after the session, if its commit was handed off
 *
 *   // several records of this process in one session (record-batch.ts):
 *   const records = await persistRecords(session, [draftA, draftB]);   // steps 0-3 at once, files distinct
 *   await commitRecords(session, records);                // one group commit, each record its own commit
 *   handOffRecords(session, records);                     // or left to a writer queued behind (handOffWanted)
 *
 *   0. check that the database is not behind the journal (database-behind.ts):
 *      DatabaseBehindError, before anything is written, unless `repaired`;
 *   1. BEGIN IMMEDIATE (with `repaired`, raise the table's sequence above
 *      every id in use), INSERT the row (which gives the record's id), and
 *      note the record's fingerprint with it (record-rows.ts recordRowBase);
 *   2. write the pending intent (row, file, how to take the record back,
 *      commit message), durably; raise the ids issued to the new id
 *      (db/ids-issued.ts, fsync); keep the file's previous version as a hard
 *      link beside it (io/durable-file.ts keepVersion); then write the file
 *      durably (temp, fsync, rename, directory fsync);
 *   3. COMMIT; the kept version goes;
 *   4. the git commit of the record's own file, when in a work tree: alone,
 *      or handed off to a later holder (another writer queued behind), or
 *      with the records earlier holders handed off (group-commit.ts); with
 *      persistRecords, left to the caller, who commits it in the same
 *      session with `commitRecords` (its intent stays until then, as for any
 *      record between COMMIT and git: a kill leaves it to recovery);
 *   5. remove the intent.
 *
 * persistRecords takes steps 0-3 for several drafts on distinct files in
 * one write transaction: every row, then every intent and one fsync of the
 * pending directory, the ids issued raised once, then every file and one
 * fsync of each directory written in, then one COMMIT. A record then costs
 * two fsyncs (its intent's, its file's) instead of six; the order that
 * makes a record safe is the same, for all of them at once (no record
 * file before every intent is durable, no COMMIT before every file is), and
 * so is recovery, intent by intent. One failure before the COMMIT took
 * effect takes every record of the call back, and is thrown.
 *
 * The COMMIT decides: a record whose row is not in the database once its
 * write transaction ended never appears. The lock is checked (fencing) before
 * the intent, before COMMIT and before git. Errors: when the transaction threw
 * and the row is not committed, the record is taken back out of its file
 * (`takeBackRecord`: the kept version renamed back, or the new file removed;
 * neither needs free disk space), its intent removed, and the error thrown
 * (exit 1: nothing recorded), and the ids issued put back. Should taking it back fail too, the intent
 * stays, the error says so (still exit 1), and the next lore command takes the
 * record back before anything else (recover.ts). Once the COMMIT took effect
 * nothing is thrown: a failed git commit (or hand-off) is `commitError`, the
 * intent stays for the next run to commit (unless git ignores the file,
 * IgnoredByGitError: no run could, and the intent goes), and a failed
 * clean-up is a warning. A kill at any point leaves an intent that recover.ts resolves.
 */
import path from "node:path";
import { findRecordRowId, insertRecordRow, recordRowBase, type RowValues } from "../db/record-rows.js";
import { type IdsIssued, raiseIdSequence, raiseIdsIssued, restoreIdsIssued } from "../db/ids-issued.js";
import { type RecordTable, recordsOf } from "../journal/journal-file.js";
import { recordFingerprint } from "../journal/record-fingerprint.js";
import {
  assertPlainPath,
  fsyncDirectory,
  keepVersion,
  keptVersionPath,
  readFileIfPresent,
  removeFileDurably,
  restoreKeptVersion,
  writeFileDurably,
  writeFilesDurably,
} from "../io/durable-file.js";
import { step } from "../io/fault-points.js";
import { syncDirectory } from "../io/file-system.js";
import { loreIdLine } from "../journal/failure-markdown.js";
import { IgnoredByGitError } from "../git/ignore-rules.js";
import { journalAbsolutePath, journalRelativePath, type JournalLayout } from "../journal/layout.js";
import { LockLostError } from "../lock/journal-lock.js";
import { currentProcess } from "../lock/process-identity.js";
import { ExitCode, LoreError, messageFor } from "../base/errors.js";
import { warn } from "../base/warn.js";
import { type IntentRecord, PendingIntent } from "./pending-intent.js";
import {
  commitHandedOff,
  commitHandedOffOn,
  type GroupMember,
  type GroupOutcome,
  handOffWanted,
} from "./group-commit.js";
import { commitRecordFile } from "./record-commit.js";
import { idFloors } from "./database-behind.js";
import type { JournalSession } from "./session.js";

/**
 * How a record's draft is made: under `loreId` (else a new one), and, for a
 * record in a file of its own, under a name none of `claimed` holds (the
 * targets of drafts to be written with it, not on disk yet).
 */
export interface DraftOptions {
  loreId?: string;
  claimed?: ReadonlySet<string>;
}

export interface RecordDraft {
  kind: "failure" | "heuristic" | "observation";
  table: RecordTable;
  loreId: string;
  /** Absolute path of the markdown file the record goes into. */
  target: string;
  /** The file's content before the record, or undefined when it is new. */
  previous: string | undefined;
  /** The row, without its id. */
  row: RowValues;
  /**
   * The file's new content, given the record's id: `previous` (when there is
   * one) followed by the record, since lore never rewrites bytes it did not
   * write.
   */
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
  /** Set when the commit was handed off: the intent to wait on (hand-off.ts awaitHandedOff). */
  handedOff?: PendingIntent;
  /** Set by persistRecords: the record's git commit is the caller's to make (commitRecords). */
  uncommitted?: GroupMember;
}

/** A record that failed, and that its file still holds until the next lore command takes it out (exit 1: never recorded). */
export class TakenBackLaterError extends LoreError {
  readonly exitCode = ExitCode.Failed;
  constructor(error: unknown, file: string) {
    super(
      `${messageFor(error)}; ${file} still holds the record until the next lore command takes it out: it is not recorded`,
    );
  }
}

/** How a record's intent says to take it back while its row is not committed. */
export type Rollback = NonNullable<IntentRecord["rollback"]>;

/** Whether `file` holds the record with this lore id (its lore id line). */
export function fileHoldsRecord(file: string, loreId: string): boolean {
  return readFileIfPresent(file)?.split("\n").includes(loreIdLine(loreId)) ?? false;
}

/**
 * Takes a record whose row was never committed back out of its file: the kept
 * previous version renamed back over the file, or the new file removed;
 * neither needs free disk space. True when the file verifiably no longer holds
 * the record.
 */
export function takeBackRecord(layout: JournalLayout, record: IntentRecord, rollback: Rollback): boolean {
  const target = journalAbsolutePath(layout, record.file);
  try {
    if ("keptVersion" in rollback) restoreKeptVersion(target, journalAbsolutePath(layout, rollback.keptVersion));
    else if (fileHoldsRecord(target, record.loreId)) removeFileDurably(target);
  } catch {
    // Checked below: a failed directory fsync may still have put the file back.
  }
  try {
    return !fileHoldsRecord(target, record.loreId);
  } catch {
    return false;
  }
}

/** Where the record's previous file is kept while its row is not committed, if it had one. */
function keptVersionOf(draft: RecordDraft): string | undefined {
  return draft.previous === undefined ? undefined : keptVersionPath(draft.target, draft.loreId);
}

function rollbackOf(layout: JournalLayout, draft: RecordDraft): Rollback {
  const kept = keptVersionOf(draft);
  return kept === undefined ? { createdFile: true } : { keptVersion: journalRelativePath(layout, kept) };
}

/**
 * What to throw for a record whose write transaction threw before its COMMIT
 * took effect, once the record is taken back out of its file.
 */
function rolledBack(
  session: JournalSession,
  draft: RecordDraft,
  intent: PendingIntent | undefined,
  issued: { before: IdsIssued | undefined } | undefined,
  error: unknown,
) {
  // After losing the lock the file is no longer ours to touch: the holder's recovery takes the record back.
  if (intent === undefined || error instanceof LockLostError) return error;
  if (!takeBackRecord(session.layout, intent.record, rollbackOf(session.layout, draft))) {
    return new TakenBackLaterError(error, intent.record.file);
  }
  try {
    intent.removeTempFiles(draft.target);
    intent.remove();
  } catch {
    // The record is out of its file: the next command's recovery finds it so and removes what is left.
  }
  try {
    if (issued) restoreIdsIssued(session.layout, issued.before, session.db.sqlite);
  } catch {
    // Left raised: the next record finds the database behind by one id, and repairs that.
  }
  return error;
}

/** The row's id when the COMMIT of a write transaction that threw took effect after all. */
function committedRowId(session: JournalSession, draft: RecordDraft): number | undefined {
  try {
    const { sqlite } = session.db;
    return sqlite.inTransaction ? undefined : findRecordRowId(sqlite, draft.table, draft.loreId);
  } catch {
    return undefined;
  }
}

/** Clean-up after the COMMIT, which the record no longer depends on: a failure is a warning. */
function cleanUpAfterCommit(what: string, action: () => void): void {
  try {
    action();
  } catch (error) {
    warn(`the record is kept, but ${what} failed: ${messageFor(error)}; the next lore command cleans up`);
  }
}

export interface PersistOptions {
  /**
   * The database was found behind and repaired in this run: take an id above
   * every id in use rather than throw DatabaseBehindError.
   */
  repaired?: boolean;
}

/** A record whose write transaction is done: its id and its intent, still pending. */
interface WrittenRecord {
  id: number;
  intent: PendingIntent;
}

/**
 * Steps 0-3 for drafts on distinct files, in one write transaction: each
 * row, then each intent, then each file, then one COMMIT. The directories
 * are fsynced once for all the records of a step (the pending directory
 * after every intent is written, each record directory after every file
 * is); several records' intents, and then their files, are fsynced side by
 * side (io/durable-file.ts writeFilesDurably), one record's file is written
 * by write-file-atomic; the ids issued are raised once, each before anything depends on it:
 * a record's file is written only once every intent is durable, and the
 * COMMIT made only once every file is. One record passes its named steps in
 * the order STEP_NAMES gives. Throws as persistRecord, for all the drafts:
 * none is kept when one fails before the COMMIT took effect.
 */
async function writeRecords(
  session: JournalSession,
  drafts: RecordDraft[],
  { repaired }: { repaired: boolean },
): Promise<WrittenRecord[]> {
  const { db, lock, layout } = session;
  // Before the kept version adds a second link to the file.
  for (const draft of drafts) assertPlainPath(layout.base, draft.target);
  const floors = idFloors(session, drafts, { repaired });
  for (const draft of drafts) if (session.awaiting.length > 0) await commitHandedOffOn(session, draft.target);
  const pending: PendingIntent[] = [];
  let issued: { before: IdsIssued | undefined } | undefined;
  try {
    return await db.writeAwaiting(session.journalKey, async () => {
      const rows = drafts.map((draft, index) => {
        const floor = floors[index];
        if (floor !== undefined) raiseIdSequence(db.sqlite, draft.table, floor);
        const id = insertRecordRow(db.sqlite, draft.table, { ...draft.row, lore_id: draft.loreId });
        step("db-insert");
        const content = draft.render(id);
        const relativePath = journalRelativePath(layout, draft.target);
        // Only what the record adds is parsed: the previous content was read as sound records already.
        const added = draft.previous === undefined ? content : content.slice(draft.previous.length);
        const written = recordsOf(relativePath, added).find((record) => record.loreId === draft.loreId);
        if (written) recordRowBase(db.sqlite, draft.table, id, relativePath, recordFingerprint(written));
        return { id, content, relativePath };
      });
      lock.assertHeld();
      const intents: IntentRecord[] = drafts.map((draft, index) => {
        const { id, relativePath } = rows[index];
        return {
          loreId: draft.loreId,
          kind: draft.kind,
          table: draft.table,
          row: { ...draft.row, lore_id: draft.loreId, id },
          file: relativePath,
          rollback: rollbackOf(layout, draft),
          commitMessage: draft.commitMessage,
          owner: currentProcess(),
          createdAt: Date.now(),
        };
      });
      // One record (a command line's) writes through write-file-atomic; several fsync their files side by side.
      if (intents.length === 1)
        pending.push(PendingIntent.create(layout, intents[0], { directorySyncedByCaller: true }));
      else pending.push(...(await PendingIntent.createAll(layout, intents)));
      fsyncDirectory(layout.pendingDir);
      for (let index = 0; index < drafts.length; index++) step("intent-written");
      issued = { before: raiseIdsIssued(layout, db.sqlite) };
      const kept = drafts.map(keptVersionOf);
      for (const [index, draft] of drafts.entries()) {
        const keptVersion = kept[index];
        if (keptVersion !== undefined) keepVersion(draft.target, keptVersion, { directorySyncedByCaller: true });
      }
      // Durable before a target is replaced: a power loss must not keep the new file and lose the way back.
      for (const directory of directoriesOf(kept)) syncDirectory(directory);
      const writes = drafts.map((draft, index) => ({
        target: draft.target,
        content: rows[index].content,
        onTempFile: (temp: string) => pending[index].addTempFile(temp),
      }));
      if (writes.length === 1) {
        const [{ target, content, onTempFile }] = writes;
        writeFileDurably(target, content, { onTempFile, directorySyncedByCaller: true });
      } else await writeFilesDurably(writes);
      for (const directory of directoriesOf(drafts.map((draft) => draft.target))) fsyncDirectory(directory);
      for (let index = 0; index < drafts.length; index++) step("file-written");
      lock.assertHeld();
      return rows.map((row, index) => ({ id: row.id, intent: pending[index] }));
    });
  } catch (error) {
    const ids = pending.length === drafts.length ? drafts.map((draft) => committedRowId(session, draft)) : [];
    if (ids.length === 0 || ids.some((id) => id === undefined)) {
      const thrown = drafts.map((draft, index) => rolledBack(session, draft, pending[index], issued, error));
      throw thrown.find((each) => each instanceof TakenBackLaterError) ?? thrown[0];
    }
    // Thrown after the COMMIT took effect: the records stand.
    warn(`${messageFor(error)}, after the record was committed: it is kept`);
    return ids.map((id, index) => ({ id: id as number, intent: pending[index] }));
  }
}

/** The distinct directories of `files` (undefined entries passed over), in their order. */
function directoriesOf(files: Array<string | undefined>): string[] {
  return [...new Set(files.flatMap((file) => (file === undefined ? [] : [path.dirname(file)])))];
}

/**
 * Steps 0-3 of several records at once, drafts on distinct files (a writer
 * that stays up, record-batch.ts): one write transaction, each directory
 * fsynced once, each record's commit left to the caller (commitRecords,
 * handOffRecords: `uncommitted` set, in a work tree).
 */
export async function persistRecords(
  session: JournalSession,
  drafts: RecordDraft[],
  { repaired = false }: PersistOptions = {},
): Promise<PersistedRecord[]> {
  const written = await writeRecords(session, drafts, { repaired });
  return written.map(({ id, intent }, index) => recordWritten(session, drafts[index], id, intent));
}

/** A record whose COMMIT took effect: its kept version gone; its commit, when in a work tree, the caller's to make. */
function recordWritten(
  session: JournalSession,
  draft: RecordDraft,
  id: number,
  intent: PendingIntent,
): PersistedRecord {
  const kept = keptVersionOf(draft);
  // Durably: a kept version a power loss brings back, after its intent went, would be nobody's to remove.
  if (kept !== undefined) cleanUpAfterCommit(`removing ${kept}`, () => removeFileDurably(kept));
  const relativePath = journalRelativePath(session.layout, draft.target);
  const record: PersistedRecord = { id, loreId: draft.loreId, file: draft.target, path: relativePath, commit: null };
  if (session.repo) record.uncommitted = { intent, tracked: draft.previous !== undefined, own: true };
  return record;
}

export async function persistRecord(
  session: JournalSession,
  draft: RecordDraft,
  { repaired = false }: PersistOptions = {},
): Promise<PersistedRecord> {
  const [{ id, intent }] = await writeRecords(session, [draft], { repaired });
  const record = recordWritten(session, draft, id, intent);
  if (record.uncommitted === undefined) {
    committed(intent);
    return record;
  }
  const { tracked } = record.uncommitted;
  if (handOffWanted(session)) {
    record.uncommitted = undefined;
    return handOff(session, intent, record);
  }
  if (session.awaiting.length > 0) {
    await commitRecords(session, [record]);
    return record;
  }
  record.uncommitted = undefined;
  try {
    record.commit = (await commitRecordFile(session, intent, { tracked })) ?? null;
  } catch (error) {
    failedCommit(record, intent, error as Error);
    return record;
  }
  committed(intent);
  return record;
}
/** A record whose git commit is made: its intent goes. */
function committed(intent: PendingIntent): void {
  cleanUpAfterCommit(`removing its pending intent ${intent.path}`, () => {
    intent.remove();
    step("intent-removed");
  });
}

/** A record whose git commit failed: the intent stays for the next run, unless git ignores the file. */
function failedCommit(record: PersistedRecord, intent: PendingIntent, error: Error): void {
  record.commitError = error;
  // git ignores the file: no later command could commit it, so the intent promises nothing.
  if (error instanceof IgnoredByGitError) intent.remove();
}

/**
 * Commits the records this process persisted with persistRecords (or one with
 * the handed-off records of others) as one group, together with every record
 * other writers handed off (`session.awaiting`): without git where lore can
 * write the commits itself, else one `git add` and one `git fast-import`
 * where they apply, each record in a commit of its own (group-commit.ts).
 * Each record gets its `commit` (its intent removed) or its `commitError`
 * (its intent kept for the next run); nothing is thrown.
 */
export async function commitRecords(session: JournalSession, records: PersistedRecord[]): Promise<void> {
  const own = records.flatMap((record) => (record.uncommitted ? [record.uncommitted] : []));
  let outcome: GroupOutcome;
  try {
    outcome = await commitHandedOff(session, { own });
  } catch (error) {
    outcome = new Map(own.map((member) => [member.intent, { error: error as Error }]));
  }
  for (const record of records) {
    const member = record.uncommitted;
    if (member === undefined) continue;
    record.uncommitted = undefined;
    const result = outcome.get(member.intent) ?? {
      error: new Error(`the group commit gave no outcome for ${member.intent.record.file}`),
    };
    if ("error" in result) failedCommit(record, member.intent, result.error);
    else {
      record.commit = result.commit;
      committed(member.intent);
    }
  }
}

/** Leaves the record's commit to a later holder (group-commit.ts); the caller waits with awaitHandedOff. */
function handOff(session: JournalSession, intent: PendingIntent, record: PersistedRecord): PersistedRecord {
  try {
    session.lock.assertHeld();
    intent.handOff();
  } catch (error) {
    // Taken over while frozen (its intent then gone), or the line not written: the next holder's
    // recovery completes the record as an interrupted one.
    record.commitError = error as Error;
    return record;
  }
  step("commit-handed-off");
  record.handedOff = intent;
  return record;
}

/**
 * Leaves the commits of records persisted with persistRecords to a later
 * holder, as persistRecord does for a writer queued behind (handOffWanted);
 * the caller waits for them with awaitHandedOff once its session ended.
 */
export function handOffRecords(session: JournalSession, records: PersistedRecord[]): void {
  for (const record of records) {
    const member = record.uncommitted;
    if (member === undefined) continue;
    record.uncommitted = undefined;
    handOff(session, member.intent, record);
  }
}
