/**
 * Crash recovery: resolves the pending intents a killed lore left behind.
 *
 *   const { awaiting, steps } = await recoverPending(session, { leaveHandedOff });
 *   const steps = rehearseRecovery(session);   // lore sync's report and --dry-run, inside db.rehearse
 *
 * Runs at the start of every journal session (journal-session.ts), under the
 * journal lock, before the command's own work. For each intent:
 *   - its temp files are removed;
 *   - if its intent says how to take the record back (every intent of this
 *     lore version does) and its row was never committed, the record is
 *     taken back out of its file (record-transaction.ts takeBackRecord: the
 *     kept previous version renamed back, or the new file removed), and that
 *     is all: a record whose COMMIT did not take effect never appears, so a
 *     retry of a record that failed (exit 1) or was killed never makes a
 *     duplicate; where its row was committed, the kept version goes, and:
 *   - if the markdown file holds the record (its lore id line is there), the
 *     record is completed: its row inserted if the transaction never committed
 *     (only for an intent of an older lore version, which says nothing of how
 *     to take the record back; with the id the markdown shows), its file
 *     committed to git if not yet;
 *   - otherwise: a row for it exists only if its transaction committed (the
 *     file is written before the COMMIT), so the file lost the record later (a
 *     `git stash`, a checkout, a hand): the row goes to lore's archive, whole,
 *     as sync's `missing-file` fix does (db/record-archive.ts), and comes back
 *     with the record. A row is never deleted. With no row, the record never
 *     reached its file, and nothing is left to do. Either way the table's
 *     sequence is kept at the id the record took (the ids issued may name it:
 *     db/ids-issued.ts), so that the next record does not find the database
 *     behind;
 *   - then the intent is removed.
 * A handed-off record (complete but for git) whose writer is alive and waits
 * is returned untouched with `leaveHandedOff`; otherwise it is committed here
 * and its writer told. A resolved intent stays until its writer has read it,
 * or is removed once the writer is dead. The commits are made as one group
 * (group-commit.ts). Each intent that needed work is described as a
 * RecoveryStep (what was found, what recovery does), marked `unresolved`
 * when its commit failed and its intent stays.
 *
 * `rehearseRecovery` decides the same, and makes the same row changes, but in
 * the caller's write transaction, which the caller rolls back; it removes no
 * file or intent and runs no git. `lore sync` without `--fix` reports its
 * steps and compares what recovery would leave, changing nothing.
 *
 * Cost: one readdir when nothing is pending; otherwise only the interrupted
 * records' files (and, for one killed before its temp file was reported, that
 * file's directory), never the rest of the journal. Errors: a database error
 * is thrown; a git commit that fails again, or a record that cannot be taken
 * back yet, is a warning, and its intent stays for the next session.
 */
import type Database from "better-sqlite3";
import { messageFor } from "../base/errors.js";
import { warn } from "../base/warn.js";
import { findRecordRowId, forgetRowBase, insertRecordRow, recordRowBase } from "../db/record-rows.js";
import { archiveRecordRow } from "../db/record-archive.js";
import { raiseIdSequence } from "../db/ids-issued.js";
import { recordsOf } from "../journal/journal-file.js";
import { recordFingerprint } from "../journal/record-fingerprint.js";
import { journalAbsolutePath, journalRelativePath } from "../journal/layout.js";
import { readFileIfPresent, removeFileDurably, removeIfPresent } from "../io/durable-file.js";
import { PendingIntent, pendingNames, type RecoveryStep } from "./pending-intent.js";
import { describeFileWrites, recoverFileWrites } from "./files-transaction.js";
import { fileHoldsRecord, type Rollback, takeBackRecord } from "./record-transaction.js";
import type { JournalSession } from "./session.js";
import { commitGroup, ownerWaits, warnFailedCommits, type GroupMember } from "./group-commit.js";

/** The reason a recovered row is archived under: the same situation as sync's finding of that name. */
const ARCHIVE_REASON = "missing-file";

/** What recovery does with one readable intent. */
type Disposition =
  /** Nothing now: resolved, its writer alive to read it; or handed off where no commit is made. */
  | { kind: "leave" }
  /** Handed off, its writer alive and waiting: returned to the caller (leaveHandedOff). */
  | { kind: "await" }
  /** Resolved, its writer gone: the intent is removed. */
  | { kind: "drop"; step: RecoveryStep }
  /** Handed off: complete in its file and the database, only git is left. */
  | { kind: "commit"; step: RecoveryStep }
  /** Interrupted before its COMMIT took effect: the record is taken out of its file again. */
  | { kind: "takeBack"; rollback: Rollback; step: RecoveryStep }
  /** Interrupted: the row follows the file (`present`: the file holds the record), then git. */
  | { kind: "settle"; present: boolean; step: RecoveryStep };

function dispose(session: JournalSession, intent: PendingIntent, leaveHandedOff: boolean): Disposition {
  const { file, loreId, table, row } = intent.record;
  const where = { path: file, row: { table, id: Number(row.id) } };
  if (intent.resolution) {
    if (ownerWaits(intent)) return { kind: "leave" };
    const found = "a record whose commit was made, its writer gone before it read it";
    return { kind: "drop", step: { ...where, found, repair: "remove its intent" } };
  }
  if (intent.handedOff) {
    if (!session.repo) return { kind: "leave" };
    if (leaveHandedOff && ownerWaits(intent)) return { kind: "await" };
    const found = "a record whose git commit was handed off to another writer and not made";
    return { kind: "commit", step: { ...where, found, repair: "commit its file" } };
  }
  const hasRow = findRecordRowId(session.db.sqlite, table, loreId) !== undefined;
  const { rollback } = intent.record;
  if (rollback !== undefined && !hasRow) {
    const found = "an interrupted record whose row was never committed";
    const repair =
      "createdFile" in rollback
        ? "take the record back out: remove its new file"
        : "take the record back out: rename the file's kept previous version back";
    return { kind: "takeBack", rollback, step: { ...where, found, repair, putsFileBack: true } };
  }
  const present = fileHoldsRecord(journalAbsolutePath(session.layout, file), loreId);
  const commit = session.repo ? "commit its file" : undefined;
  let found: string;
  let repair: string;
  if (present) {
    found = `an interrupted record, in its file ${hasRow ? "and" : "but not"} in the database`;
    repair = hasRow ? (commit ?? "remove its intent") : ["insert its row", commit].filter(Boolean).join(", and ");
  } else if (hasRow) {
    found = "a record whose row was committed but whose file no longer holds it (its commit failed, then it went)";
    repair = "move its row to lore's archive (lore_archive), whence it comes back with the record";
  } else {
    found = "an interrupted record that never reached its file";
    repair = "remove its intent";
  }
  return { kind: "settle", present, step: { ...where, found, repair } };
}

/** The row follows the file: inserted when the file holds the record, archived when it does not. In a write transaction. */
function settleRow(db: Database.Database, session: JournalSession, intent: PendingIntent, present: boolean): void {
  const { table, loreId, row, file } = intent.record;
  const existing = findRecordRowId(db, table, loreId);
  if (present && existing === undefined) {
    let id: number;
    try {
      id = insertRecordRow(db, table, row);
    } catch {
      // The id was taken meanwhile by a writer outside lore: keep the record under a new id.
      const { id: _taken, ...withoutId } = row;
      id = insertRecordRow(db, table, withoutId);
    }
    const text = readFileIfPresent(journalAbsolutePath(session.layout, file)) ?? "";
    const record = recordsOf(file, text).find((found) => found.loreId === loreId);
    if (record) recordRowBase(db, table, id, file, recordFingerprint(record));
  } else if (!present && existing !== undefined) {
    archiveRecordRow(db, table, loreId, ARCHIVE_REASON);
    // As sync's own archiving: when the record comes back, it brings its row back, not a deletion.
    forgetRowBase(db, table, existing);
  }
  if (!present) keepIdUsed(db, intent);
}

/** An id the record took is never given again, even when the record never was (db/ids-issued.ts). */
function keepIdUsed(db: Database.Database, intent: PendingIntent): void {
  const { table, row } = intent.record;
  if (typeof row.id === "number") raiseIdSequence(db, table, row.id);
}

/**
 * An intent with no record on its first line: cut short while being written,
 * before its record reached its file; or a later line alone, which older lore
 * versions appended after the intent went (a late resolution).
 */
function cutShortStep(session: JournalSession, intentPath: string): RecoveryStep {
  return {
    path: journalRelativePath(session.layout, intentPath),
    found: "an intent with no record (cut short while being written, or a later line alone); no record depends on it",
    repair: "remove the intent",
  };
}

/**
 * Resolves every intent left in the journal; returns, with `leaveHandedOff`,
 * the handed-off records whose writers wait for their commit, and the steps
 * taken.
 */
export async function recoverPending(
  session: JournalSession,
  options: { leaveHandedOff: boolean },
): Promise<{ awaiting: PendingIntent[]; steps: RecoveryStep[] }> {
  const awaiting: PendingIntent[] = [];
  const toCommit: GroupMember[] = [];
  const names = pendingNames(session.layout);
  if (names.length === 0) return { awaiting, steps: [] };
  const steps = await recoverFileWrites(session, names);
  const committing = new Map<PendingIntent, RecoveryStep>();
  for (const intent of PendingIntent.list(session.layout, names)) {
    if (!(intent instanceof PendingIntent)) {
      removeIfPresent(intent.path);
      steps.push(cutShortStep(session, intent.path));
      continue;
    }
    const disposition = dispose(session, intent, options.leaveHandedOff);
    if (disposition.kind === "leave") continue;
    if (disposition.kind === "await") {
      awaiting.push(intent);
      continue;
    }
    steps.push(disposition.step);
    if (disposition.kind === "drop") {
      intent.remove();
      continue;
    }
    if (disposition.kind === "takeBack") {
      intent.removeTempFiles(journalAbsolutePath(session.layout, intent.record.file));
      // In a write transaction: a writer that lost the lock may still hold SQLite's, and rolls back first;
      // should its row be there after all, the intent waits for the next session. The record's id stays
      // used (the ids issued may name it): the next record must not find the database behind.
      const committedMeanwhile = session.db.write(session.journalKey, () => {
        if (findRecordRowId(session.db.sqlite, intent.record.table, intent.record.loreId) !== undefined) return true;
        keepIdUsed(session.db.sqlite, intent);
        return false;
      });
      if (committedMeanwhile) {
        disposition.step.unresolved = "its row was committed meanwhile; the next lore command completes it";
        continue;
      }
      if (takeBackRecord(session.layout, intent.record, disposition.rollback)) intent.remove();
      else {
        warn(
          `could not take the unfinished record out of ${intent.record.file} yet; the next lore command tries again`,
        );
        disposition.step.unresolved = "its file could not be put back yet";
      }
      continue;
    }
    if (disposition.kind === "settle") {
      intent.removeTempFiles(journalAbsolutePath(session.layout, intent.record.file));
      const { rollback } = intent.record;
      if (rollback && "keptVersion" in rollback) {
        removeFileDurably(journalAbsolutePath(session.layout, rollback.keptVersion));
      }
      session.db.write(session.journalKey, () => settleRow(session.db.sqlite, session, intent, disposition.present));
      if (!disposition.present || !session.repo) {
        intent.remove();
        continue;
      }
    }
    toCommit.push({ intent });
    committing.set(intent, disposition.step);
  }
  if (toCommit.length > 0) {
    const outcome = await commitGroup(session, toCommit);
    warnFailedCommits(outcome, toCommit);
    for (const [intent, result] of outcome) {
      const step = committing.get(intent);
      if (step && "error" in result) step.unresolved = `its commit failed: ${messageFor(result.error)}`;
    }
  }
  return { awaiting, steps };
}

/**
 * What recoverPending would do, as steps, with its row changes made in the
 * caller's open write transaction (which the caller rolls back); no file,
 * intent or git is touched. Handed-off records are all taken as to commit.
 */
export function rehearseRecovery(session: JournalSession): RecoveryStep[] {
  const names = pendingNames(session.layout);
  if (names.length === 0) return [];
  const steps = describeFileWrites(session, names);
  for (const intent of PendingIntent.list(session.layout, names)) {
    if (!(intent instanceof PendingIntent)) {
      steps.push(cutShortStep(session, intent.path));
      continue;
    }
    const disposition = dispose(session, intent, false);
    if (disposition.kind === "settle") settleRow(session.db.sqlite, session, intent, disposition.present);
    if (disposition.kind === "takeBack") keepIdUsed(session.db.sqlite, intent);
    if ("step" in disposition) steps.push(disposition.step);
  }
  return steps;
}
