/**
 * Pending intents: what a record was doing, so that the next session repairs
 * a kill at any point, in time proportional to what was interrupted.
 *
 *   const intent = PendingIntent.create(layout, record);   // before the file is touched
 *   writeFileDurably(target, text, { onTempFile: (temp) => intent.addTempFile(temp) });
 *   ...COMMIT, the git commit...
 *   intent.remove();
 *
 *   intent.handOff();             // its git commit left to a later holder (group-commit.ts)
 *   other.resolve(commitId);      // by the holder that made that commit
 *   intent.readResolution();      // by the waiting writer, which then removes the intent
 *
 * `memory/.lore/pending/<lore-id>.json` holds, on its first line, the row as
 * inserted (id included), the file, how to take the record back while its
 * row is not committed (the kept previous version of the file, or that the
 * file is new), the commit message and the owner (pid, host, process start
 * time); then one JSON line per temp file, appended before any byte goes into
 * it, the hand-off and the resolution. An intent that cannot be written whole
 * is removed before the error is thrown. `PendingIntent.list`
 * gives every intent (one whose first line cannot be read, with no record),
 * ignores a later line cut short, and throws only the file system's errors.
 * Intents are written and resolved under the journal lock; only a handed-off
 * record's writer removes its own without it, so a listed intent may be gone.
 * No fsync: an intent guards against a killed process, for which the page
 * cache is enough; after a power loss `lore sync` is the repair.
 * Design: docs/DESIGN.md#the-journal-transaction
 */
import fs from "node:fs";
import path from "node:path";
import type { JournalLayout } from "../journal/layout.js";
import type { RowValues } from "../db/record-rows.js";
import type { RecordTable } from "../journal/journal-file.js";
import { isTempFileOf, readFileIfPresent, removeIfPresent, writeFileOrNothing } from "../io/durable-file.js";
import type { ProcessIdentity } from "../lock/process-identity.js";

export interface IntentRecord {
  loreId: string;
  kind: "failure" | "heuristic";
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
type IntentLine = { temp: string } | { handedOff: true } | { committed: string | null };

/** How a handed-off record was resolved: its commit, or null when none was made. */
export interface Resolution {
  commit: string | null;
}

/** A later line of an intent; undefined for one cut short (by a crash, or read while being appended). */
function parseLine(text: string): IntentLine | undefined {
  try {
    return JSON.parse(text) as IntentLine;
  } catch {
    return undefined;
  }
}

export class PendingIntent {
  private constructor(
    readonly path: string,
    readonly record: IntentRecord,
    readonly tempFiles: string[],
    private handedOffMark = false,
    private resolutionFound: Resolution | undefined = undefined,
  ) {}

  static create(layout: JournalLayout, record: IntentRecord): PendingIntent {
    const file = path.join(layout.pendingDir, `${record.loreId}.json`);
    writeFileOrNothing(file, `${JSON.stringify(record)}\n`);
    return new PendingIntent(file, record, []);
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
    try {
      const record = JSON.parse(lines[0]) as IntentRecord;
      const intent = new PendingIntent(file, record, []);
      for (const line of lines.slice(1)) intent.apply(line);
      return intent;
    } catch {
      return { path: file, record: undefined };
    }
  }

  /** Takes in one later line. */
  private apply(text: string): void {
    const line = parseLine(text);
    if (line === undefined) return;
    if ("temp" in line) this.tempFiles.push(line.temp);
    else if ("handedOff" in line) this.handedOffMark = true;
    else if ("committed" in line) this.resolutionFound = { commit: line.committed };
  }

  private append(line: IntentLine): void {
    fs.appendFileSync(this.path, `${JSON.stringify(line)}\n`);
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
    this.append({ handedOff: true });
    this.handedOffMark = true;
  }

  /** Records the commit made for a handed-off record, for its owner to read. */
  resolve(commit: string | null): void {
    this.append({ committed: commit });
    this.resolutionFound = { commit };
  }

  /** Reads the intent again: its resolution, or undefined while there is none (or the intent is gone). */
  readResolution(): Resolution | undefined {
    const current = PendingIntent.read(this.path);
    if (current instanceof PendingIntent) this.resolutionFound ??= current.resolution;
    return this.resolutionFound;
  }

  addTempFile(tempPath: string): void {
    this.append({ temp: tempPath });
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
