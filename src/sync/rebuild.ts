/**
 * `lore sync --rebuild`: a new index built from the files, swapped in whole.
 * sync also runs it by itself when `index.db` cannot be opened or fails its
 * integrity check. Call it holding the journal lock, with the old database
 * closed.
 *
 *   const result = rebuildDatabase(layout, { algorithm, onFileRead });
 *
 * 1. It builds a candidate database in `memory/.lore/` from every record file
 *    (ids: a heuristic keeps its `H-<id>` when unique, a failure its old id).
 *    Its search index is made last, from every row, in the same transaction
 *    (db/search-index.ts: its triggers, one entry per INSERT, would cost
 *    three times as much); the old database's index is never carried over.
 * 2. It carries over, from the old database where it can still be read, the
 *    data no file holds: each record's DB-only columns (matched by lore id,
 *    else by failure path or heuristic domain and rule), the rows of ELF's
 *    hooks, lore's archive, and every other table (ELF's experiments,
 *    metrics, ...), each with its old definition and rows. Old rows that
 *    match no file go to the archive. The ids of the feedback events the old
 *    database had applied are kept, and each heuristic's feedback base is
 *    made anew from them (feedback/feedback-journal.ts resetFeedbackBase):
 *    the sync that follows applies the journal's other events, once each.
 * 3. It moves the old `index.db` (hard-linked, so the path never goes
 *    missing) and its `-wal` and `-shm` into
 *    `memory/.lore/quarantine/<timestamp>/` (the WAL was folded into the
 *    main file first, where SQLite still could).
 * 4. It renames the candidate over `index.db` and fsyncs the directory.
 * No markdown file is touched. A crash before step 4 leaves the old database
 * in place (and a candidate that the next sync removes as a temp file); step 4
 * is one rename.
 */
import fs from "node:fs";
import path from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import type { JournalLayout } from "../journal/layout.js";
import { openSqlite } from "../db/journal-db.js";
import { migrate } from "../db/schema.js";
import { dropSearchIndex, rebuildSearchIndex } from "../db/search-index.js";
import { raiseIdSequence } from "../db/ids-issued.js";
import { journalFeedback, resetFeedbackBase } from "../feedback/feedback-journal.js";
import { prepared } from "../db/prepared.js";
import { archiveValues } from "../db/record-archive.js";
import { fsyncDirectory } from "../io/durable-file.js";
import { step } from "../io/fault-points.js";
import { insertRecordRowFor } from "./apply-plan.js";
import { recordFingerprint } from "../journal/record-fingerprint.js";
import { listJournalFiles } from "./file-changes.js";
import {
  readJournalFile,
  type FileRecord,
  type HashAlgorithm,
  type JournalFileContent,
} from "../journal/journal-file.js";
import { type MatchedRow, SyncCache } from "./sync-cache.js";
import { isLoresLearning } from "./row-store.js";
import { copyFile, linkPath, makeDirectory, removeTree, renamePath, syncFileAt } from "../io/file-system.js";

export const REBUILD_PREFIX = "rebuild-";

export interface RebuildResult {
  quarantine: string | undefined;
  records: number;
  carriedOver: boolean;
  /** Why the old database could not be read, when it could not. */
  oldDatabaseError: string | undefined;
}

const RECORD_TABLES = new Set(["learnings", "heuristics"]);

/**
 * Folds the old database's WAL into its main file, where that still works, so
 * that the main file alone holds everything (it is what stays in place until
 * the swap, once the WAL has been moved to the quarantine).
 */
function checkpointOld(file: string): void {
  try {
    const db = openSqlite(file, { fileMustExist: true });
    try {
      db.pragma("wal_checkpoint(TRUNCATE)");
    } finally {
      db.close();
    }
  } catch {
    // Damaged beyond that: the quarantine keeps the WAL with it.
  }
}

/** Opens the old database read-only, or says why it cannot be read. */
function openOld(file: string): { db: BetterSqlite3.Database | undefined; error: string | undefined } {
  if (!fs.existsSync(file)) return { db: undefined, error: "it does not exist" };
  checkpointOld(file);
  try {
    const db = openSqlite(file, { readonly: true });
    db.prepare("SELECT count(*) FROM sqlite_master").get();
    return { db, error: undefined };
  } catch (error) {
    return { db: undefined, error: (error as Error).message };
  }
}

/** The rows of an iterator until the first one SQLite cannot read. */
function* rowsUntilUnreadable<T>(rows: Iterator<T>): Generator<T> {
  for (;;) {
    let next: IteratorResult<T>;
    try {
      next = rows.next();
    } catch {
      return;
    }
    if (next.done) return;
    yield next.value;
  }
}

/** What `read` returns, or `fallback` when it throws (the old database may be damaged anywhere). */
function readOrFallback<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/**
 * lore's own tables whose rows a rebuild keeps: the archive, and the ids of
 * the feedback events the old database had applied (so that its counters,
 * carried over with the rows, are not counted again: feedback-journal.ts).
 */
const CARRIED_LORE_TABLES = new Set(["lore_archive", "lore_feedback_applied"]);

/** Copies ELF's other tables (and CARRIED_LORE_TABLES) that the old database still yields. */
function carryOverTables(candidate: BetterSqlite3.Database, old: BetterSqlite3.Database): void {
  const objects = readOrFallback(
    () =>
      old
        .prepare(
          "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'",
        )
        .all() as Array<{ type: string; name: string; tbl_name: string; sql: string }>,
    [],
  );
  for (const table of objects.filter((object) => object.type === "table")) {
    if (RECORD_TABLES.has(table.name) || (table.name.startsWith("lore_") && !CARRIED_LORE_TABLES.has(table.name))) {
      continue;
    }
    readOrFallback(() => {
      if (!CARRIED_LORE_TABLES.has(table.name)) {
        // The candidate's own empty copy (migrate made ELF's tables) gives way to the old definition and rows.
        candidate.exec(`DROP TABLE IF EXISTS "${table.name}"`);
        candidate.exec(table.sql);
      }
      const rows = old.prepare(`SELECT * FROM "${table.name}"`).iterate() as IterableIterator<Record<string, unknown>>;
      let insert: BetterSqlite3.Statement | undefined;
      for (const row of rowsUntilUnreadable(rows)) {
        const columns = Object.keys(row);
        insert ??= candidate.prepare(
          `INSERT OR IGNORE INTO "${table.name}" (${columns.map((c) => `"${c}"`).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
        );
        insert.run(...columns.map((column) => row[column]));
      }
    }, undefined);
  }
  for (const object of objects.filter((entry) => entry.type !== "table")) {
    if (RECORD_TABLES.has(object.tbl_name) || object.tbl_name.startsWith("lore_")) continue;
    readOrFallback(() => candidate.exec(object.sql), undefined);
  }
}

/** The old rows, for their DB-only data and ids: rows in scope go to the candidate's archive first. */
function archiveOldRows(candidate: BetterSqlite3.Database, old: BetterSqlite3.Database): void {
  for (const table of ["learnings", "heuristics"] as const) {
    const rows = readOrFallback(
      () => old.prepare(`SELECT * FROM ${table}`).iterate() as IterableIterator<Record<string, unknown>>,
      [].values(),
    );
    for (const row of rowsUntilUnreadable(rows)) {
      if (table === "learnings" && !isLoresLearning(row)) {
        // Not lore's (ELF's successes, experiments, ...): carried over as it is.
        readOrFallback(() => {
          const columns = Object.keys(row).filter((column) => column !== "lore_id" || row.lore_id !== undefined);
          prepared(
            candidate,
            `INSERT INTO learnings (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
          ).run(...columns.map((column) => row[column] as string | number | null));
        }, undefined);
        continue;
      }
      const loreId = (row.lore_id as string | null | undefined) ?? null;
      archiveValues(candidate, { table, id: Number(row.id), loreId, values: row }, "rebuild");
    }
  }
}

/** Hook rows come back from the archive as they were: they are DB-only data. */
function restoreHookRows(candidate: BetterSqlite3.Database): void {
  const hooks = candidate
    .prepare(
      "SELECT id, row_json FROM lore_archive WHERE tbl = 'learnings' AND reason = 'rebuild' AND match_key LIKE 'auto-%'",
    )
    .all() as Array<{ id: number; row_json: string }>;
  for (const hook of hooks) {
    const row = JSON.parse(hook.row_json) as Record<string, string | number | null>;
    const columns = Object.keys(row);
    readOrFallback(() => {
      candidate
        .prepare(`INSERT INTO learnings (${columns.join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})`)
        .run(row);
      candidate.prepare("DELETE FROM lore_archive WHERE id = ?").run(hook.id);
    }, undefined);
  }
}

/**
 * Makes new failure rows take ids above every id the old database used, so
 * that a failure that gets a new id never takes the id a later failure had.
 */
function reserveOldFailureIds(candidate: BetterSqlite3.Database): void {
  const highest = Number(
    candidate.prepare("SELECT max(row_id) FROM lore_archive WHERE tbl = 'learnings'").pluck().get() ?? 0,
  );
  raiseIdSequence(candidate, "learnings", highest);
}
/**
 * Inserts the rows of every record file, streaming: a file is read, its rows
 * inserted and its verification recorded, then it is dropped. A failure takes
 * its old id if the old database had it, else a new one above all old ids
 * (reserveOldFailureIds). A heuristic takes its `H-<id>` (or its old id) at
 * once; one that cannot waits, as a small record, until every file has been
 * read, so that a new id never takes one that a later heuristic shows.
 * Returns the number of records.
 */
function insertFromFiles(
  candidate: BetterSqlite3.Database,
  layout: JournalLayout,
  files: string[],
  options: { algorithm: HashAlgorithm; onFileRead?: (count: number, total: number) => void },
): number {
  const cache = new SyncCache(candidate);
  const verifiedAt = Date.now();
  const waiting = new Map<
    string,
    { file: Omit<JournalFileContent, "records">; rows: MatchedRow[]; records: FileRecord[] }
  >();
  let records = 0;
  reserveOldFailureIds(candidate);
  files.forEach((relative, index) => {
    const content = readJournalFile(layout, relative, options.algorithm);
    options.onFileRead?.(index + 1, files.length);
    if (!content) return;
    if (content.problem || !content.settled) {
      cache.recordRecheck(relative);
      return;
    }
    const rows: MatchedRow[] = [];
    const later: FileRecord[] = [];
    for (const record of content.records) {
      const id = insertRecordRowFor(candidate, record, true, { explicitIdOnly: record.table === "heuristics" });
      if (id === undefined) later.push(record);
      else rows.push({ table: record.table, id, base: recordFingerprint(record) });
    }
    records += content.records.length;
    const { records: _records, ...file } = content;
    if (later.length === 0) cache.recordVerified({ ...file, recheck: false }, rows, verifiedAt);
    else waiting.set(relative, { file, rows, records: later });
  });
  for (const { file, rows, records: later } of waiting.values()) {
    for (const record of later) {
      const id = insertRecordRowFor(candidate, record, true) as number;
      rows.push({ table: record.table, id, base: recordFingerprint(record) });
    }
    cache.recordVerified({ ...file, recheck: false }, rows, verifiedAt);
  }
  // Every row now matches its file, except ELF's hook rows: sync reports those.
  candidate.exec("DELETE FROM lore_dirty");
  candidate.exec(
    "INSERT INTO lore_dirty(tbl, row_id) SELECT 'learnings', id FROM learnings WHERE filepath LIKE 'auto-%'",
  );
  return records;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace(".", "-");
}

/** A new directory under `parent` named after the time (never one that exists). */
function freshDirectory(parent: string): string {
  makeDirectory(parent, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const candidate = path.join(parent, attempt === 1 ? timestamp() : `${timestamp()}-${attempt}`);
    try {
      makeDirectory(candidate);
      return candidate;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

function quarantineOld(layout: JournalLayout): string | undefined {
  const present = ["", "-wal", "-shm", "-journal"].filter((suffix) => fs.existsSync(`${layout.dbFile}${suffix}`));
  if (present.length === 0) return undefined;
  const directory = freshDirectory(path.join(layout.loreDir, "quarantine"));
  for (const suffix of present) {
    const from = `${layout.dbFile}${suffix}`;
    const to = path.join(directory, `index.db${suffix}`);
    if (suffix === "") {
      try {
        linkPath(from, to);
      } catch {
        copyFile(from, to);
      }
    } else {
      renamePath(from, to);
    }
  }
  fsyncDirectory(directory);
  fsyncDirectory(layout.memoryDir);
  return directory;
}

export function rebuildDatabase(
  layout: JournalLayout,
  options: { algorithm: HashAlgorithm; onFileRead?: (count: number, total: number) => void },
): RebuildResult {
  makeDirectory(layout.loreDir, { recursive: true });
  const candidateFile = path.join(layout.loreDir, `${REBUILD_PREFIX}${timestamp()}-${process.pid}.db`);
  const candidate = openSqlite(candidateFile, {});
  const old = openOld(layout.dbFile);
  const files = listJournalFiles(layout);
  let records = 0;
  try {
    candidate.pragma("journal_mode = OFF");
    candidate.pragma("synchronous = OFF");
    // Rows are carried over as they were, dangling references included (ELF's sqlite3 shell never checked them).
    candidate.pragma("foreign_keys = OFF");
    candidate.exec("BEGIN");
    migrate(candidate);
    // Made once every row is in: no trigger indexes rows one INSERT at a time meanwhile.
    dropSearchIndex(candidate);
    if (old.db) {
      carryOverTables(candidate, old.db);
      archiveOldRows(candidate, old.db);
      // What the old database lacked of ELF's schema (and its seed rows), added again by adding only.
      migrate(candidate);
    }
    restoreHookRows(candidate);
    records = insertFromFiles(candidate, layout, files, options);
    resetFeedbackBase(candidate, journalFeedback(layout));
    rebuildSearchIndex(candidate);
    candidate.exec("COMMIT");
    candidate.pragma("journal_mode = DELETE");
    candidate.pragma("journal_mode = WAL");
  } catch (error) {
    candidate.close();
    old.db?.close();
    removeTree(candidateFile);
    throw error;
  }
  candidate.close();
  old.db?.close();
  syncFileAt(candidateFile);
  step("rebuild-built");
  const quarantine = quarantineOld(layout);
  step("rebuild-quarantined");
  renamePath(candidateFile, layout.dbFile);
  fsyncDirectory(layout.memoryDir);
  step("rebuild-swapped");
  return { quarantine, records, carriedOver: old.db !== undefined, oldDatabaseError: old.error };
}
