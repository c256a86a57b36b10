/**
 * Whether the database is behind its journal, checked before a record takes
 * an id, so that an id is never given twice.
 *
 *   assertDatabaseFileSound(layout);                   // a record's step 1, before SQLite opens index.db
 *   const floors = idFloors(session, drafts, { repaired }); // under the lock, after recovery, before the INSERTs
 *   if (floors[i] !== undefined) raiseIdSequence(sqlite, drafts[i].table, floors[i]);   // in the records' transaction
 *
 * Behind means the database lost commits the files still show:
 *   - `index.db` is empty, or is not a SQLite file (no header), in a journal
 *     that has records (a record file, or ids issued): damaged, to be rebuilt;
 *   - a sequence (db/ids-issued.ts: the highest id a table gave) is below the
 *     ids the watermark file says were issued (a lost WAL, an older copy);
 *   - the record's own domain file shows an `H-<id>` above the heuristics
 *     sequence (a row lost, its file kept or restored from git);
 *   - when the watermark is unknown (missing, torn, garbled: the first record
 *     after lore's upgrade, or `memory/.lore` lost), any domain file does.
 * A row whose `H-<id>` is at or below the sequence and is missing was deleted
 * on purpose (ELF, a person): a lost commit takes its sequence with it, so a
 * lost row always has an id above it. Failure and observation files show no
 * id: the watermark alone tells of their lost rows.
 *
 * Nothing is written here. Behind is `DatabaseBehindError` (exit 1, with the
 * reason and whether the file is damaged), thrown before the record writes
 * anything; the command repairs the database as `lore sync --fix` would
 * (cli/repair-database.ts) and records again with `repaired`, where idFloors
 * does not throw but gives the id the table's sequence must be raised to, so
 * that the new id is above every id the watermark and the domain file know
 * (what the repair could not settle is left to `lore sync`).
 *
 * Cost per write transaction: the watermark (one small read), the two
 * sequences (one query), all domain files only while the watermark is
 * unknown; and per record a scan of the domain file it read anyway. Errors: DatabaseBehindError, or
 * what SQLite throws.
 * Design: docs/DESIGN.md#a-database-behind-its-journal
 */
import fs from "node:fs";
import path from "node:path";
import { ExitCode, LoreError } from "../base/errors.js";
import { idSequences, readIdsIssued, type IdsIssued } from "../db/ids-issued.js";
import { readFileIfPresent } from "../io/durable-file.js";
import { highestHeadingId } from "../journal/heuristic-markdown.js";
import { HEURISTICS_DIR, isJournalFilePath, RECORD_DIRECTORIES, type RecordTable } from "../journal/journal-file.js";
import { journalAbsolutePath, journalRelativePath, type JournalLayout } from "../journal/layout.js";
import type { JournalSession } from "./session.js";

export class DatabaseBehindError extends LoreError {
  readonly exitCode = ExitCode.Failed;
  /**
   * @param reason what shows the database behind, in words
   * @param damaged the file is no database to repair: it must be rebuilt
   */
  constructor(
    readonly reason: string,
    readonly damaged: boolean,
  ) {
    super(`the database is behind the journal (${reason}); \`lore sync --fix\` repairs it`);
  }
}

/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");

/** Why `index.db` is no database, or undefined when it starts as one (or is missing: MissingDatabaseError's case). */
function databaseFileDamage(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch {
    return undefined;
  }
  const header = Buffer.alloc(SQLITE_HEADER.length);
  let length: number;
  try {
    length = fs.readSync(fd, header, 0, header.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (length === 0) return "index.db is empty";
  return header.subarray(0, length).equals(SQLITE_HEADER) ? undefined : "index.db is not a SQLite database";
}

/** Whether a record directory (relative) holds a record file; stops at the first. */
function someRecordFile(layout: JournalLayout, directory: string): boolean {
  let dir: fs.Dir;
  try {
    dir = fs.opendirSync(journalAbsolutePath(layout, directory));
  } catch {
    return false;
  }
  try {
    for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) {
      if (isJournalFilePath(`${directory}/${entry.name}`)) return true;
    }
    return false;
  } finally {
    dir.closeSync();
  }
}

function journalHasRecords(layout: JournalLayout): boolean {
  const issued = readIdsIssued(layout);
  if (issued && (issued.learnings > 0 || issued.heuristics > 0)) return true;
  return RECORD_DIRECTORIES.some((entry) => someRecordFile(layout, entry.directory));
}

/**
 * Throws DatabaseBehindError (damaged) when `index.db` is empty or no SQLite
 * file while the journal has records: SQLite would take an empty file for a
 * new database, and ids would start again at 1. Reads 16 bytes.
 */
export function assertDatabaseFileSound(layout: JournalLayout): void {
  const damage = databaseFileDamage(layout.dbFile);
  if (damage !== undefined && journalHasRecords(layout)) throw new DatabaseBehindError(damage, true);
}

/** The highest `H-<id>` of every domain file, and the file that shows it. */
function highestInDomainFiles(layout: JournalLayout): { id: number; file: string } {
  const highest = { id: 0, file: HEURISTICS_DIR };
  let names: string[];
  try {
    names = fs.readdirSync(layout.heuristicsDir);
  } catch {
    return highest;
  }
  for (const name of names) {
    const relative = `${HEURISTICS_DIR}/${name}`;
    if (!isJournalFilePath(relative)) continue;
    const id = highestHeadingId(readFileIfPresent(path.join(layout.heuristicsDir, name)) ?? "");
    if (id > highest.id) {
      highest.id = id;
      highest.file = relative;
    }
  }
  return highest;
}

const NAMES: Record<RecordTable, string> = { learnings: "failure and observation", heuristics: "heuristic" };

/**
 * Checks that the database is not behind before the drafts of one write
 * transaction take their ids: throws DatabaseBehindError when it is, unless
 * `repaired`. Returns, for each draft, the id its table's sequence must be
 * raised to (inside the transaction), or undefined when it is high enough.
 * The watermark and the sequences are read once for all the drafts.
 */
export function idFloors(
  session: JournalSession,
  drafts: Array<{ table: RecordTable; target: string; previous: string | undefined }>,
  { repaired }: { repaired: boolean },
): Array<number | undefined> {
  const sequences = idSequences(session.db.sqlite);
  const issued: IdsIssued | undefined = readIdsIssued(session.layout);
  const inDomainFiles = issued === undefined ? highestInDomainFiles(session.layout) : undefined;
  return drafts.map((draft) => {
    const evidence: string[] = [];
    const floor: IdsIssued = issued ? { ...issued } : { learnings: 0, heuristics: 0 };
    for (const table of ["learnings", "heuristics"] as const) {
      if (floor[table] > sequences[table]) {
        evidence.push(
          `${NAMES[table]} ids up to ${floor[table]} were given, the database's last is ${sequences[table]}`,
        );
      }
    }
    const shown =
      inDomainFiles ??
      (draft.table === "heuristics"
        ? { id: highestHeadingId(draft.previous ?? ""), file: journalRelativePath(session.layout, draft.target) }
        : { id: 0, file: "" });
    if (shown.id > sequences.heuristics) {
      evidence.push(`${shown.file} shows H-${shown.id}, the database's last heuristic id is ${sequences.heuristics}`);
    }
    floor.heuristics = Math.max(floor.heuristics, shown.id);
    if (evidence.length > 0 && !repaired) throw new DatabaseBehindError(evidence[0], false);
    return floor[draft.table] > sequences[draft.table] ? floor[draft.table] : undefined;
  });
}
