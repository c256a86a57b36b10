/**
 * Pending intents: what a record was doing, so that the next session repairs
 * a kill at any point, in time proportional to what was interrupted.
 *
 *   const intent = PendingIntent.create(layout, record);   // before the file is touched
 *   const intents = await PendingIntent.createAll(layout, records);   // several, fsynced side by side
 *   writeFileDurably(target, text, { onTempFile: (temp) => intent.addTempFile(temp) });
 *   ...COMMIT, the git commit...
 *   intent.remove();
 *
 *   intent.handOff();             // its git commit left to a later holder (group-commit.ts)
 *   other.resolve(commitId);      // by the holder that made that commit
 *   other.resolve(null, reason);  // by a holder that found it can never be committed (git ignores it)
 *   intent.readResolution();      // by the waiting writer, which then removes the intent
 *
 * `memory/.lore/pending/<lore-id>.json` holds, on its first line, the row as
 * inserted (id included), the file, how to take the record back while its
 * row is not committed (the kept previous version of the file, or that the
 * file is new), the commit message and the owner (pid, host, process start
 * time); then one JSON line per temp file, appended before any byte goes into
 * it, the hand-off and the resolution, each only to an intent still there:
 * a line never makes an intent anew (a late resolution, after its owner read
 * an earlier one and removed the intent, is dropped; a temp file or hand-off
 * of a writer whose intent went is IntentGoneError). An intent that cannot
 * be written whole is removed before the error is thrown. `PendingIntent.list`
 * gives every intent (one whose first line is not a record's intent, with no
 * record), ignores a later line cut short, and throws only the file system's
 * errors.
 * Intents are written and resolved under the journal lock; only a handed-off
 * record's writer removes its own without it, so a listed intent may be gone.
 * The first line is created durably (fsync of the file and of its directory)
 * before the record's file is touched: after a power loss that kept the
 * record's file but not its commit, the intent is what lets the next command
 * finish it (docs/DESIGN.md#the-power-loss-simulator found the case). The
 * later lines and the removal are not synced: a lost temp-file line leaves
 * the directory search below, a lost hand-off or resolution leaves a record
 * recovery commits (git already holding it is a success), and an intent that
 * comes back after its removal finds its record complete.
 * Design: docs/DESIGN.md#the-journal-transaction
 */
import fs from "node:fs";
import path from "node:path";
import type { JournalLayout } from "../journal/layout.js";
import type { RowValues } from "../db/record-rows.js";
import type { RecordTable } from "../journal/journal-file.js";
import {
  createNewFileDurably,
  createNewFilesDurably,
  isTempFileOf,
  readFileIfPresent,
  removeIfPresent,
} from "../io/durable-file.js";
import type { ProcessIdentity } from "../lock/process-identity.js";
import { appendToExistingFile } from "../io/file-system.js";
import { ExitCode, LoreError } from "../base/errors.js";

export interface IntentRecord {
  loreId: string;
  kind: "failure" | "heuristic" | "observation";
  table: RecordTable;
  /** The row as inserted, its id included. */
  row: RowValues;
  /** The markdown file, relative to the journal base, with `/`. */
  file: string;
  commitMessage: string;
  /**
   * How the record is taken back while its row is not committed: the file's
   * previous version, kept under this name (relative) until COMMIT
   * (io/durable-file.ts keepVersion), or the file is new and goes. Absent in
   * intents of older lore versions, whose interrupted records are completed.
   */
  rollback?: { keptVersion: string } | { createdFile: true };
  /** The process that wrote the record, and when (both absent in intents of older lore versions). */
  owner?: ProcessIdentity;
  createdAt?: number;
}

/**
 * One pending intent as recovery found it (recover.ts, files-transaction.ts):
 * what was interrupted, and what recovery does (or did) about it.
 */
export interface RecoveryStep {
  /** The file the interrupted write was for, relative to the journal base (the intent's own, for one cut short). */
  path: string;
  /** The record's row, for a record's intent. */
  row?: { table: RecordTable; id: number };
  found: string;
  repair: string;
  /** Set when recovery could not finish it (its commit failed): the intent stays, and why. */
  unresolved?: string;
  /** Recovery puts `path` back as it was before the interrupted write: what the file holds now is moot. */
  putsFileBack?: true;
}

/** The name prefix of the intents of files-transaction.ts; a record's intent is `<lore-id>.json`. */
export const FILES_INTENT_PREFIX = "files-";

/** The names in the pending directory (one readdir; none when it does not exist). */
export function pendingNames(layout: JournalLayout): string[] {
  try {
    return fs.readdirSync(layout.pendingDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** A later line of an intent: a temp file, the hand-off, or the hand-off's resolution. */
type IntentLine = { temp: string } | { handedOff: true } | { committed: string | null; notCommitted?: string };

/** How a handed-off record was resolved: its commit, or null when none was made (and why, when none ever can be). */
export interface Resolution {
  commit: string | null;
  notCommitted?: string;
}

/** A later line of an intent; undefined for one cut short (by a crash, or read while being appended). */
function parseLine(text: string): IntentLine | undefined {
  try {
    return JSON.parse(text) as IntentLine;
  } catch {
    return undefined;
  }
}

/**
 * A writer's own intent is gone while it still writes: another holder took
 * the journal lock over and settled the record as an interrupted one.
 */
export class IntentGoneError extends LoreError {
  readonly exitCode = ExitCode.Failed;
  constructor(file: string) {
    super(`its pending intent ${file} is gone: another lore process took the journal lock over`);
  }
}

/** Whether a first line holds a record's intent (what recovery reads of it), not some later line alone. */
function isIntentRecord(value: unknown): value is IntentRecord {
  const record = value as Partial<IntentRecord> | null;
  return (
    typeof record === "object" &&
    record !== null &&
    typeof record.loreId === "string" &&
    typeof record.file === "string" &&
    typeof record.table === "string" &&
    typeof record.commitMessage === "string" &&
    typeof record.row === "object" &&
    record.row !== null
  );
}

/** Where a record's intent is: `<pending>/<lore-id>.json`. */
function intentFileOf(layout: JournalLayout, record: IntentRecord): string {
  return path.join(layout.pendingDir, `${record.loreId}.json`);
}

/** An intent's first line: the record, as recovery reads it. */
function firstLineOf(record: IntentRecord): string {
  return `${JSON.stringify(record)}\n`;
}

export class PendingIntent {
  private constructor(
    readonly path: string,
    readonly record: IntentRecord,
    readonly tempFiles: string[],
    private handedOffMark = false,
    private resolutionFound: Resolution | undefined = undefined,
  ) {}

  static create(
    layout: JournalLayout,
    record: IntentRecord,
    options: { directorySyncedByCaller?: boolean } = {},
  ): PendingIntent {
    const file = intentFileOf(layout, record);
    createNewFileDurably(file, firstLineOf(record), options);
    return new PendingIntent(file, record, []);
  }

  /**
   * `create` for several records at once, their files fsynced side by side;
   * the pending directory is the caller's to fsync. When one cannot be
   * written, none is left.
   */
  static async createAll(layout: JournalLayout, records: IntentRecord[]): Promise<PendingIntent[]> {
    const files = records.map((record) => intentFileOf(layout, record));
    await createNewFilesDurably(files.map((file, index) => ({ file, text: firstLineOf(records[index]) })));
    return records.map((record, index) => new PendingIntent(files[index], record, []));
  }

  /** Every record intent among `names`; intents that cannot be read are returned with no record. */
  static list(
    layout: JournalLayout,
    names = pendingNames(layout),
  ): Array<PendingIntent | { path: string; record: undefined }> {
    return names
      .filter((name) => name.endsWith(".json") && !name.startsWith(FILES_INTENT_PREFIX))
      .map((name) => PendingIntent.read(path.join(layout.pendingDir, name)))
      .filter((intent) => intent !== undefined);
  }

  /** The intent in `file`; undefined when it is gone (its writer removed it after reading its commit, without the lock). */
  private static read(file: string): PendingIntent | { path: string; record: undefined } | undefined {
    const text = readFileIfPresent(file);
    if (text === undefined) return undefined;
    const lines = text.split("\n");
    let record: unknown;
    try {
      record = JSON.parse(lines[0]);
    } catch {
      return { path: file, record: undefined };
    }
    if (!isIntentRecord(record)) return { path: file, record: undefined };
    const intent = new PendingIntent(file, record, []);
    for (const line of lines.slice(1)) intent.apply(line);
    return intent;
  }

  /** Takes in one later line. */
  private apply(text: string): void {
    const line = parseLine(text);
    if (line === undefined) return;
    if ("temp" in line) this.tempFiles.push(line.temp);
    else if ("handedOff" in line) this.handedOffMark = true;
    else if ("committed" in line) this.resolutionFound = { commit: line.committed, notCommitted: line.notCommitted };
  }

  /** Appends a later line; false when the intent is gone (a line never makes an intent anew). */
  private append(line: IntentLine): boolean {
    return appendToExistingFile(this.path, `${JSON.stringify(line)}\n`);
  }

  /** Whether the record left its git commit to a later holder. */
  get handedOff(): boolean {
    return this.handedOffMark;
  }

  /** The hand-off's resolution, as last read. */
  get resolution(): Resolution | undefined {
    return this.resolutionFound;
  }

  /** Marks the record, complete in its file and the DB, as waiting for a later holder's commit. */
  handOff(): void {
    if (!this.append({ handedOff: true })) throw new IntentGoneError(this.path);
    this.handedOffMark = true;
  }

  /**
   * Records the commit made for a handed-off record, for its owner to read; or,
   * with `notCommitted`, why none can be. An intent gone meanwhile needs no
   * word: its owner read an earlier resolution, or was dead and recovery
   * dropped it.
   */
  resolve(commit: string | null, notCommitted?: string): void {
    this.append({ committed: commit, notCommitted });
    this.resolutionFound = { commit, notCommitted };
  }

  /** Reads the intent again: its resolution, or undefined while there is none (or the intent is gone). */
  readResolution(): Resolution | undefined {
    const current = PendingIntent.read(this.path);
    if (current instanceof PendingIntent) this.resolutionFound ??= current.resolution;
    return this.resolutionFound;
  }

  addTempFile(tempPath: string): void {
    if (!this.append({ temp: tempPath })) throw new IntentGoneError(this.path);
    this.tempFiles.push(tempPath);
  }

  /**
   * Removes the temp files this record's write created. write-file-atomic
   * creates a temp file a moment before it reports it, so an intent with none
   * recorded may still have one: then the target's directory is searched for
   * its temp names (a readdir, only in that case).
   */
  removeTempFiles(target: string): void {
    for (const temp of this.tempFiles) removeIfPresent(temp);
    if (this.tempFiles.length > 0) return;
    const directory = path.dirname(target);
    let names: string[];
    try {
      names = fs.readdirSync(directory);
    } catch {
      return;
    }
    for (const name of names) {
      if (isTempFileOf(target, name)) removeIfPresent(path.join(directory, name));
    }
  }

  remove(): void {
    removeIfPresent(this.path);
  }
}
