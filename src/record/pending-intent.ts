/**
 * Pending intents: what a record was doing, so that a crash at any point is
 * repaired by the next run in time proportional to what was interrupted.
 *
 * Before a record touches a markdown file it writes
 * `memory/.lore/pending/<lore-id>.json`: the row it is inserting (id included),
 * the file it is writing and the commit message. Each temp file the write
 * creates is appended to it, one JSON line each, before any byte goes into the
 * temp file. The intent is removed once the record is committed to the DB and
 * to git. A run that finds an intent left behind (recover.ts) completes or
 * undoes that record, removes its temp files, then removes the intent.
 *
 * Intents are written without fsync: they guard against a killed process, for
 * which the page cache is enough. After a power loss, `lore sync` (which reads
 * everything) is the repair. Listing them is one readdir of an almost always
 * empty directory.
 *
 *   const intent = PendingIntent.create(layout, record);
 *   writeFileDurably(target, text, { onTempFile: (t) => intent.addTempFile(t) });
 *   ...
 *   intent.remove();
 */
import fs from "node:fs";
import path from "node:path";
import type { JournalLayout } from "../journal/layout.js";
import type { RecordTable, RowValues } from "../db/record-rows.js";
import { isTempFileOf, removeIfPresent } from "../io/durable-file.js";

export interface IntentRecord {
  loreId: string;
  kind: "failure" | "heuristic";
  table: RecordTable;
  /** The row as inserted, its id included. */
  row: RowValues;
  /** The markdown file, relative to the journal base, with `/`. */
  file: string;
  commitMessage: string;
}

export class PendingIntent {
  private constructor(readonly path: string, readonly record: IntentRecord, readonly tempFiles: string[]) {}

  static create(layout: JournalLayout, record: IntentRecord): PendingIntent {
    const file = path.join(layout.pendingDir, `${record.loreId}.json`);
    fs.writeFileSync(file, `${JSON.stringify(record)}\n`);
    return new PendingIntent(file, record, []);
  }

  /** Every intent left in `layout`; intents that cannot be read are returned with no record. */
  static list(layout: JournalLayout): Array<PendingIntent | { path: string; record: undefined }> {
    let names: string[];
    try {
      names = fs.readdirSync(layout.pendingDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    return names
      .filter((name) => name.endsWith(".json"))
      .map((name) => PendingIntent.read(path.join(layout.pendingDir, name)));
  }

  private static read(file: string): PendingIntent | { path: string; record: undefined } {
    const lines = fs.readFileSync(file, "utf8").split("\n");
    try {
      const record = JSON.parse(lines[0]) as IntentRecord;
      const temps: string[] = [];
      for (const line of lines.slice(1)) {
        try {
          temps.push((JSON.parse(line) as { temp: string }).temp);
        } catch {
          // A line cut short by the crash names no temp file that was written to.
        }
      }
      return new PendingIntent(file, record, temps);
    } catch {
      return { path: file, record: undefined };
    }
  }

  addTempFile(tempPath: string): void {
    fs.appendFileSync(this.path, `${JSON.stringify({ temp: tempPath })}\n`);
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
