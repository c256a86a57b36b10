/**
 * The journal transaction of a writer that changes rows and rewrites whole
 * files (sync's write-backs; the writers of later commands): its rows, its
 * files through a pending intent, COMMIT, one git commit of those files.
 *
 *   const result = await writeRowsAndFiles(session, () => {
 *     ...row changes...                     // inside BEGIN IMMEDIATE
 *     return { files: new Map([[relativePath, newText]]), message };   // null text: remove the file
 *   });
 *   result.commit / result.commitError
 *
 * A change that returns no file (a violation below the escalation threshold)
 * is its rows alone: COMMIT, with no intent, no marker and no git commit
 * (`files` empty, `commit` null).
 *
 * Inside the write transaction it checks that each record file it rewrites is
 * sound (journal-file.ts readSoundRecordFile: DamagedFileError, exit 4,
 * before anything is written, for one that is not UTF-8 or not readable as
 * records: lore never rewrites bytes it did not write), writes an intent
 * listing each file and whether it existed (`files-<id>.json` in the pending
 * directory), a marker row in `lore_meta` that commits with the rows, then,
 * for each file, keeps its previous version as a hard link beside it
 * (io/durable-file.ts keepVersion) and writes it durably (temp, fsync,
 * rename, directory fsync); then COMMIT, after which the kept versions go.
 * The marker tells recovery (recover.ts, `recoverFileWrites`) which way a
 * kill went: present, the rows committed and the files are committed to git;
 * absent, each file is put back as it was, by renaming its kept version back
 * (or removing it, when new), which needs no free disk space. Errors: before
 * COMMIT took effect, the files are put back and the error is thrown; a
 * failed git commit is returned as `commitError`, and the intent stays for
 * the next command to commit (unless git ignores a file, IgnoredByGitError:
 * no command could, and the intent goes). `describeFileWrites` says what
 * recovery would do, touching nothing (lore sync's report). Only inside a
 * session.
 */
import { messageFor } from "../base/errors.js";
import { randomUuid } from "../base/random.js";
import { warn } from "../base/warn.js";
import { prepared } from "../db/prepared.js";
import { commitPaths } from "../git/commit.js";
import { IgnoredByGitError } from "../git/ignore-rules.js";
import {
  assertPlainPath,
  createNewFileDurably,
  isTempFileOf,
  keepVersion,
  keptVersionPath,
  readFileIfPresent,
  removeFileDurably,
  removeIfPresent,
  restoreKeptVersion,
  writeFileDurably,
} from "../io/durable-file.js";
import { step } from "../io/fault-points.js";
import { isJournalFilePath, readSoundRecordFile } from "../journal/journal-file.js";
import { journalAbsolutePath, journalRelativePath } from "../journal/layout.js";
import type { JournalLayout } from "../journal/layout.js";
import { LockLostError } from "../lock/journal-lock.js";
import fs from "node:fs";
import path from "node:path";
import { FILES_INTENT_PREFIX, PendingIntent, pendingNames, type RecoveryStep } from "./pending-intent.js";
import { commitOptions, type JournalSession } from "./session.js";
import { makeDirectory } from "../io/file-system.js";

/** What a files intent holds: each file, and the commit message. */
interface FilesIntentRecord {
  id: string;
  files: FileEntry[];
  commitMessage: string;
}

/**
 * One file of a files intent (relative), and whether it existed: its previous
 * version is then kept as `keptVersionPath(file, id)` until COMMIT. Intents
 * of older lore versions hold the previous content (`previous`, null for a
 * new file) instead.
 */
interface FileEntry {
  path: string;
  existed?: boolean;
  previous?: string | null;
}

const MARKER_PREFIX = "files-txn:";

export interface FilesResult {
  /** The files written or removed, relative. */
  files: string[];
  commit: string | null;
  commitError?: Error;
}

/** The temporary git index the commits of these files are made from. */
export function filesCommitIndex(layout: JournalLayout): string {
  return path.join(layout.loreDir, "files-commit.index");
}

function intentPath(layout: JournalLayout, id: string): string {
  return path.join(layout.pendingDir, `${FILES_INTENT_PREFIX}${id}.json`);
}

function keptVersionOf(layout: JournalLayout, record: FilesIntentRecord, file: FileEntry): string {
  return keptVersionPath(journalAbsolutePath(layout, file.path), record.id);
}

/** Puts each file back as it was before the intent's writer touched it; true when all are. */
function putBack(layout: JournalLayout, record: FilesIntentRecord): boolean {
  let back = true;
  for (const file of record.files) {
    const target = journalAbsolutePath(layout, file.path);
    try {
      if (file.existed === true) restoreKeptVersion(target, keptVersionOf(layout, record, file));
      else if (file.existed === false || file.previous === null) removeFileDurably(target);
      else if (typeof file.previous === "string" && readFileIfPresent(target) !== file.previous) {
        writeFileDurably(target, file.previous);
      }
    } catch {
      back = false;
    }
  }
  return back;
}

/** Removes the versions kept of the intent's files: the COMMIT took effect. */
function removeKeptVersions(layout: JournalLayout, record: FilesIntentRecord): void {
  // Durably: a kept version a power loss brings back, after its intent went, would be nobody's to remove.
  for (const file of record.files) if (file.existed) removeFileDurably(keptVersionOf(layout, record, file));
}

/** Whether a file to rewrite is there; DamagedFileError for a record file lore cannot read. */
function existsSound(layout: JournalLayout, relative: string): boolean {
  if (isJournalFilePath(relative)) return readSoundRecordFile(layout, relative) !== undefined;
  return fs.existsSync(journalAbsolutePath(layout, relative));
}

function removeTempFilesOf(layout: JournalLayout, files: FileEntry[]): void {
  for (const { path: relative } of files) {
    const target = journalAbsolutePath(layout, relative);
    let entries: string[];
    try {
      entries = fs.readdirSync(path.dirname(target));
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (isTempFileOf(target, entry)) removeIfPresent(path.join(path.dirname(target), entry));
    }
  }
}

async function commitFiles(session: JournalSession, record: FilesIntentRecord) {
  if (!session.repo) return null;
  session.lock.assertHeld();
  const files = record.files.map((file) => journalAbsolutePath(session.layout, file.path));
  return (
    (await commitPaths(
      session.repo,
      {
        files,
        message: record.commitMessage,
        indexFile: filesCommitIndex(session.layout),
      },
      commitOptions(session),
    )) ?? null
  );
}

function finish(session: JournalSession, record: FilesIntentRecord): void {
  // The intent first, and durably: an intent without its marker would be
  // undone, and a power loss must not bring back one whose marker is gone.
  removeFileDurably(intentPath(session.layout, record.id));
  session.db.write(session.journalKey, () =>
    prepared(session.db.sqlite, "DELETE FROM lore_meta WHERE key = ?").run(`${MARKER_PREFIX}${record.id}`),
  );
}

export async function writeRowsAndFiles(
  session: JournalSession,
  change: () => { files: Map<string, string | null>; message: string },
): Promise<FilesResult> {
  const { db, layout, lock } = session;
  const id = randomUuid();
  let record: FilesIntentRecord | undefined;
  try {
    record = db.write(session.journalKey, () => {
      const { files: planned, message: commitMessage } = change();
      if (planned.size === 0) return undefined;
      const written: FilesIntentRecord = {
        id,
        commitMessage,
        files: [...planned.keys()].map((relative) => ({ path: relative, existed: existsSound(layout, relative) })),
      };
      // Before a kept version adds a second link to a file.
      for (const file of written.files) assertPlainPath(layout.base, journalAbsolutePath(layout, file.path));
      lock.assertHeld();
      makeDirectory(layout.pendingDir, { recursive: true });
      // Durable before any file is touched: a power loss must not keep rewritten files and lose their intent.
      createNewFileDurably(intentPath(layout, id), `${JSON.stringify(written)}\n`);
      record = written;
      prepared(db.sqlite, "INSERT INTO lore_meta(key, value) VALUES (?, '1')").run(`${MARKER_PREFIX}${id}`);
      step("files-intent-written");
      for (const file of written.files) {
        const target = journalAbsolutePath(layout, file.path);
        const text = planned.get(file.path) as string | null;
        if (file.existed) keepVersion(target, keptVersionOf(layout, written, file));
        if (text === null) removeFileDurably(target);
        else {
          makeDirectory(path.dirname(target), { recursive: true });
          writeFileDurably(target, text);
        }
      }
      step("files-written");
      lock.assertHeld();
      return written;
    });
  } catch (error) {
    // After losing the lock the files are no longer ours to touch: the holder's recovery undoes them.
    if (record && !(error instanceof LockLostError) && putBack(layout, record)) {
      removeTempFilesOf(layout, record.files);
      removeIfPresent(intentPath(layout, id));
    }
    throw error;
  }
  if (record === undefined) return { files: [], commit: null };
  try {
    removeKeptVersions(layout, record);
  } catch (error) {
    warn(`the files are written, but removing their kept versions failed: ${messageFor(error)}`);
  }
  const result: FilesResult = { files: record.files.map((file) => file.path), commit: null };
  try {
    // A file written back as git already holds it (a restore of a deleted file) needs no commit.
    result.commit = await commitFiles(session, record);
  } catch (error) {
    result.commitError = error as Error;
    // git ignores a file: no later command could commit it, so the intent promises nothing.
    if (error instanceof IgnoredByGitError) finish(session, record);
    return result;
  }
  step("files-committed");
  finish(session, record);
  return result;
}

/** A files intent: its path, its record (undefined: cut short while being written). */
interface FilesIntentFile {
  file: string;
  record: FilesIntentRecord | undefined;
}

/** The files intents among `names` (one removed meanwhile is left out). */
function filesIntents(layout: JournalLayout, names: string[]): FilesIntentFile[] {
  const intents: FilesIntentFile[] = [];
  for (const name of names.filter((entry) => entry.startsWith(FILES_INTENT_PREFIX) && entry.endsWith(".json"))) {
    const file = path.join(layout.pendingDir, name);
    const text = readFileIfPresent(file);
    if (text === undefined) continue;
    try {
      intents.push({ file, record: JSON.parse(text) as FilesIntentRecord });
    } catch {
      // Cut short while being written, before any file was touched (the marker is written after it).
      intents.push({ file, record: undefined });
    }
  }
  return intents;
}

/** The files (relative) that pending intents still hold: a record's file, a files transaction's files. */
export function filesOfPendingIntents(layout: JournalLayout): Set<string> {
  const names = pendingNames(layout);
  const files = new Set<string>();
  for (const intent of PendingIntent.list(layout, names)) if (intent.record) files.add(intent.record.file);
  for (const { record } of filesIntents(layout, names)) for (const entry of record?.files ?? []) files.add(entry.path);
  return files;
}

/** A files intent found by recovery, and whether its rows committed. */
interface FoundFilesIntent extends FilesIntentFile {
  committed: boolean;
}

function foundFilesIntents(session: JournalSession, names: string[]): FoundFilesIntent[] {
  return filesIntents(session.layout, names).map(({ file, record }) => {
    const marker =
      record &&
      prepared(session.db.sqlite, "SELECT 1 FROM lore_meta WHERE key = ?").get(`${MARKER_PREFIX}${record.id}`);
    return { file, record, committed: marker !== undefined };
  });
}

function recoveryStep(session: JournalSession, { file, record, committed }: FoundFilesIntent): RecoveryStep {
  const where = journalRelativePath(session.layout, file);
  if (!record) {
    const found = "a write-back's intent cut short while being written, before any file was touched";
    return { path: where, found, repair: "remove the intent" };
  }
  const files = record.files.map((entry) => entry.path).join(", ");
  if (!committed) {
    const found = `a write-back of ${files} cut short before its rows were committed`;
    return { path: where, found, repair: "put its files back as they were" };
  }
  const found = `a write-back of ${files} whose rows were committed, its files not committed to git`;
  return { path: where, found, repair: session.repo ? "commit its files" : "remove its intent" };
}

/** What recoverFileWrites would do, described; nothing is touched. */
export function describeFileWrites(session: JournalSession, names: string[]): RecoveryStep[] {
  return foundFilesIntents(session, names).map((found) => recoveryStep(session, found));
}

/**
 * Resolves the files intents a killed writer left (from the session's
 * recovery): committed ones are committed to git, the others put back.
 * Returns what it did, each step `unresolved` where its intent stays.
 */
export async function recoverFileWrites(session: JournalSession, names: string[]): Promise<RecoveryStep[]> {
  const steps: RecoveryStep[] = [];
  for (const found of foundFilesIntents(session, names)) {
    const step = recoveryStep(session, found);
    steps.push(step);
    const { file, record } = found;
    if (!record) {
      removeIfPresent(file);
      continue;
    }
    removeTempFilesOf(session.layout, record.files);
    if (!found.committed) {
      if (putBack(session.layout, record)) removeIfPresent(file);
      else step.unresolved = "its files could not all be put back";
      continue;
    }
    removeKeptVersions(session.layout, record);
    try {
      await commitFiles(session, record);
      finish(session, record);
    } catch (error) {
      if (error instanceof LockLostError) throw error;
      if (error instanceof IgnoredByGitError) finish(session, record);
      warn(`could not commit ${record.files.map((entry) => entry.path).join(", ")}: ${(error as Error).message}`);
      step.unresolved = `its commit failed: ${messageFor(error)}`;
    }
  }
  return steps;
}
