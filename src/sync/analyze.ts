/**
 * One comparison of the files with the database: which files to read, which
 * rows to load, and what they say (match.ts).
 *
 *   const analysis = analyzeJournal(input);
 *   analysis.files     // the files read, with their records or problem
 *   analysis.result    // pairs and findings
 *
 * Incremental: it starts from the files that may have changed
 * (file-changes.ts) and the rows changed since the last sync (lore_dirty),
 * then pulls in whatever they could match: for a file's records, the rows with
 * their lore ids, their failure path, their heuristic domain (ELF's rows) and
 * their `H-<id>`; for a row, the file it was last matched in and the file it
 * belongs in. It repeats until nothing new comes in, so a record and its row
 * are always compared together, however the change arrived (a `--full` sync
 * starts from every file and every row: compare-journal.ts). Reads only.
 */
import type Database from "better-sqlite3";
import type { JournalLayout } from "../journal/layout.js";
import { journalAbsolutePath } from "../journal/layout.js";
import {
  isJournalFilePath,
  readJournalFile,
  statFile,
  type FileRecord,
  type HashAlgorithm,
  type JournalFileContent,
  type RecordTable,
} from "../journal/journal-file.js";
import { expectedPathOf, matchRecords, type Finding, type MatchResult, type RecordAt } from "./match.js";
import { failureRowsAt, loadRows, RowSet, rowsWithLoreIds, unidentifiedHeuristics, type Row } from "./row-store.js";
import type { RowRef, SyncCache } from "./sync-cache.js";

export interface AnalysisInput {
  db: Database.Database;
  layout: JournalLayout;
  cache: SyncCache;
  algorithm: HashAlgorithm;
  /** Files to read first. */
  files: Iterable<string>;
  /** Rows to load first (besides lore_dirty's). */
  rows: RowRef[];
  /** The changed rows to start from; all of lore_dirty when not given. */
  dirtyRefs?: RowRef[];
  /** What earlier analyses of this run settled: their files are not read again, their pairs not matched again. */
  earlier?: EarlierAnalyses;
  prune: boolean;
  restore: boolean;
  prefer: "files" | "db" | undefined;
  onFileRead?: (count: number) => void;
}

export interface EarlierAnalyses {
  /** The files they read, and those of them that could not be read as records. */
  read: ReadonlySet<string>;
  problemPaths: ReadonlySet<string>;
  /** The rows their records matched. */
  matched: { has(row: RowRef): boolean };
  /** Where the record is that holds a lore id whose row they matched. */
  heldElsewhere: (table: RecordTable, loreId: string) => RecordAt | undefined;
}

export interface Analysis {
  files: Map<string, JournalFileContent>;
  rows: Row[];
  /** The rows lore_dirty named when the analysis started (some may no longer exist). */
  dirtyRefs: RowRef[];
  result: MatchResult;
  /** Findings about files that cannot be read as records. */
  problems: Finding[];
}

function recordLookups(db: Database.Database, records: FileRecord[]): Row[] {
  const loreIds = { learnings: [] as string[], heuristics: [] as string[] };
  const failurePaths: string[] = [];
  const domains: string[] = [];
  const headingIds: RowRef[] = [];
  for (const record of records) {
    if (record.loreId !== undefined) loreIds[record.table].push(record.loreId);
    if (record.table === "learnings") failurePaths.push(record.path);
    else {
      domains.push(String(record.columns.domain));
      if (record.headingId !== undefined) headingIds.push({ table: "heuristics", id: record.headingId });
    }
  }
  return [
    ...rowsWithLoreIds(db, "learnings", loreIds.learnings),
    ...rowsWithLoreIds(db, "heuristics", loreIds.heuristics),
    ...failureRowsAt(db, failurePaths),
    ...unidentifiedHeuristics(db, domains),
    ...loadRows(db, headingIds),
  ];
}

export function analyzeJournal(input: AnalysisInput): Analysis {
  const { db, layout, cache } = input;
  const files = new Map<string, JournalFileContent>();
  const earlier = input.earlier;
  const rows = new RowSet(earlier?.matched);
  const queue = new Set<string>(input.files);
  let read = 0;
  const readQueued = (): FileRecord[] => {
    const records: FileRecord[] = [];
    for (const file of queue) {
      queue.delete(file);
      if (files.has(file) || earlier?.read.has(file)) continue;
      const content = readJournalFile(layout, file, input.algorithm);
      if (!content) continue;
      files.set(file, content);
      records.push(...content.records);
      input.onFileRead?.(++read);
    }
    return records;
  };
  const dirtyRefs = input.dirtyRefs ?? cache.dirtyRows();
  // A changed row's last file is read even when the row is gone (deleted by hand).
  for (const ref of dirtyRefs) {
    const last = cache.pathOf(ref);
    if (last !== undefined && statFile(journalAbsolutePath(layout, last))) queue.add(last);
  }
  let newRows = rows.add(loadRows(db, [...dirtyRefs, ...input.rows]));
  for (;;) {
    const records = readQueued();
    newRows = [...newRows, ...rows.add(recordLookups(db, records))];
    for (const row of newRows) {
      for (const candidate of [cache.pathOf(row), expectedPathOf(row)]) {
        if (candidate === undefined || files.has(candidate) || earlier?.read.has(candidate)) continue;
        if (!isJournalFilePath(candidate)) continue;
        if (statFile(journalAbsolutePath(layout, candidate))) queue.add(candidate);
      }
    }
    newRows = [];
    if (queue.size === 0) break;
  }

  const problems: Finding[] = [];
  const problemPaths = new Set<string>(earlier?.problemPaths);
  const records: FileRecord[] = [];
  for (const content of files.values()) {
    records.push(...content.records);
    if (!content.problem) continue;
    problemPaths.add(content.path);
    problems.push({
      type: content.problem.type,
      path: content.path,
      line: content.problem.line,
      detail: content.problem.message,
      action: { kind: "needs-a-person" },
    });
  }
  const loaded = rows.values();
  const present = new Set(loaded.map((row) => `${row.table}:${row.id}`));
  const deleted = dirtyRefs.flatMap((ref) => {
    if (present.has(`${ref.table}:${ref.id}`) || earlier?.matched.has(ref)) return [];
    const last = cache.pathOf(ref);
    const base = cache.baseOf(ref);
    return last !== undefined && base !== undefined && files.has(last) ? [{ row: ref, path: last, base }] : [];
  });
  const result = matchRecords(records, loaded, {
    problemPaths,
    lastPathOf: (row) => cache.pathOf(row),
    prune: input.prune,
    restore: input.restore,
    baseOf: (row) => cache.baseOf(row),
    deleted,
    prefer: input.prefer,
    heldElsewhere: earlier?.heldElsewhere,
  });
  return { files, rows: loaded, dirtyRefs, result, problems };
}
