/**
 * One comparison of the files with the database, in memory bounded by a batch
 * of files rather than by the journal: what sync reports, fixes and records
 * as verified.
 *
 *   const comparison = compareJournal(input);   // input as analyze.ts takes it
 *   comparison.findings / .problems             // what sync reports
 *   comparison.pairs                            // record <-> row in sync, with their base
 *   comparison.files                            // the files read, without their records
 *
 * Up to BATCH_FILES files (and as many changed rows) are one analysis
 * (analyze.ts), exactly as before. Beyond that, the files are taken a batch
 * at a time (about BATCH_FILES failure files' worth: a domain file counts by
 * its size), in the order given, each with the changed rows that belong to
 * its files (the file a row was last matched in, else the file it belongs
 * in); the changed rows that belong to none come last. Each batch is an
 * analysis of its own that pulls in whatever its records and rows could
 * match, and is told what the batches before it settled: their files are not
 * read again, the rows they matched are not matched again, and a record that
 * repeats a lore id they matched is a duplicate. A row that one batch left
 * without a record and a later one matched is not reported. Of each batch,
 * only the findings keep their records and rows; the rest is dropped, and
 * collected (base/heap.ts), before the next batch is read. Reads only;
 * throws what reading a file or SQLite throws.
 */
import { collectGarbage } from "../base/heap.js";
import { HEURISTICS_DIR, type JournalFileContent, type RecordTable, statFile } from "../journal/journal-file.js";
import { journalAbsolutePath, type JournalLayout } from "../journal/layout.js";
import { type Analysis, type AnalysisInput, analyzeJournal, type EarlierAnalyses } from "./analyze.js";
import { expectedPathOf, type Finding, type RecordAt } from "./match.js";
import { recordFingerprint } from "../journal/record-fingerprint.js";
import { homesOfRows, rowRefsInScope } from "./row-store.js";
import type { MatchedRow, RowRef } from "./sync-cache.js";

/** Files per analysis; LORE_SYNC_BATCH_FILES sets it (the tests run sync in batches of a few files). */
export const BATCH_FILES = Number(process.env.LORE_SYNC_BATCH_FILES) || 2000;

/** A file as read, without its records. */
export type FileRead = Omit<JournalFileContent, "records">;

export interface Comparison {
  files: Map<string, FileRead>;
  /** Every row loaded. */
  rows: RefSet;
  /** The rows lore_dirty named when the comparison started (some may no longer exist). */
  dirtyRefs: RowRef[];
  /** The number of lore_dirty's latest mark before anything was read (SyncCache.dirtySeq). */
  seenUpTo: number;
  /** Each record found in sync with its row (or to be updated from it), by path, with their base. */
  pairs: Array<MatchedRow & { path: string }>;
  /** match.ts's findings: records first, in batch order, then rows without a record. */
  findings: Finding[];
  /** Rows with no record that are left alone. */
  leftAlone: RowRef[];
  /** Findings about files that cannot be read as records. */
  problems: Finding[];
}

/** Rows by table and id (without a string per row). */
export class RefSet {
  private readonly ids: Record<RecordTable, Set<number>> = { learnings: new Set(), heuristics: new Set() };

  add(row: RowRef): void {
    this.ids[row.table].add(row.id);
  }

  has(row: RowRef): boolean {
    return this.ids[row.table].has(row.id);
  }

  get size(): number {
    return this.ids.learnings.size + this.ids.heuristics.size;
  }

  /** A new set of this one's rows and `other`'s. */
  with(other: RefSet): RefSet {
    const both = new RefSet();
    for (const table of ["learnings", "heuristics"] as const) {
      both.ids[table] = new Set([...this.ids[table], ...other.ids[table]]);
    }
    return both;
  }
}

const ROW_FINDINGS = new Set(["missing-file", "db-only", "hook-row"]);

/** What the batches so far found, folded into one comparison as they go. */
class Folded implements EarlierAnalyses {
  readonly read = new Set<string>();
  readonly problemPaths = new Set<string>();
  readonly matched = new RefSet();
  private readonly keepers = new Map<string, RecordAt>();
  readonly comparison: Comparison;
  private readonly recordFindings: Finding[] = [];
  /** Per row without a record: its finding, or undefined when left alone; a later batch's word replaces it. */
  private readonly rowOutcomes = new Map<string, { row: RowRef; finding: Finding | undefined }>();

  constructor(dirtyRefs: RowRef[], seenUpTo: number) {
    this.comparison = {
      files: new Map(),
      rows: new RefSet(),
      dirtyRefs,
      seenUpTo,
      pairs: [],
      findings: [],
      leftAlone: [],
      problems: [],
    };
  }

  heldElsewhere = (table: RecordTable, loreId: string): RecordAt | undefined => this.keepers.get(`${table}:${loreId}`);

  add(analysis: Analysis): void {
    const { comparison } = this;
    for (const [file, content] of analysis.files) {
      const { records: _records, ...read } = content;
      comparison.files.set(file, read);
      this.read.add(file);
    }
    for (const row of analysis.rows) comparison.rows.add(row);
    for (const { record, row } of analysis.result.pairs) {
      comparison.pairs.push({ path: record.path, table: row.table, id: row.id, base: recordFingerprint(record) });
      this.matched.add(row);
      if (record.loreId !== undefined)
        this.keepers.set(`${record.table}:${record.loreId}`, { path: record.path, line: record.line });
    }
    for (const finding of analysis.result.findings) {
      if (ROW_FINDINGS.has(finding.type) && finding.row) {
        this.rowOutcomes.set(`${finding.row.table}:${finding.row.id}`, { row: finding.row, finding });
      } else {
        this.recordFindings.push(finding);
      }
    }
    for (const row of analysis.result.leftAlone) {
      const key = `${row.table}:${row.id}`;
      if (!this.rowOutcomes.get(key)?.finding) this.rowOutcomes.set(key, { row, finding: undefined });
    }
    comparison.problems.push(...analysis.problems);
    for (const problem of analysis.problems) if (problem.path !== undefined) this.problemPaths.add(problem.path);
  }

  done(): Comparison {
    const { comparison } = this;
    comparison.findings = [...this.recordFindings];
    for (const { row, finding } of this.rowOutcomes.values()) {
      if (this.matched.has(row)) continue;
      if (finding) comparison.findings.push(finding);
      else comparison.leftAlone.push(row);
    }
    return comparison;
  }
}

/** What compareJournal compares: analyze.ts's input, and `full`: every record file and every row in scope. */
export type ComparisonInput = AnalysisInput & { full: boolean };

export function compareJournal(input: ComparisonInput): Comparison {
  const files = [...new Set(input.files)];
  const seenUpTo = input.cache.dirtySeq();
  const dirtyRefs = input.dirtyRefs ?? input.cache.dirtyRows();
  const folded = new Folded(dirtyRefs, seenUpTo);
  if (!input.full && files.length <= BATCH_FILES && dirtyRefs.length + input.rows.length <= BATCH_FILES) {
    folded.add(analyzeJournal({ ...input, files, dirtyRefs }));
    return folded.done();
  }
  const batchFiles = inBatches(input.layout, files);
  const batches = batchFiles.length;
  const start = startingRows(input, batchFiles, dirtyRefs);
  for (let batch = 0; batch <= batches; batch++) {
    folded.add(
      analyzeJournal({
        ...input,
        files: batchFiles[batch] ?? [],
        rows: start[batch].rows,
        dirtyRefs: start[batch].dirty,
        earlier: folded,
      }),
    );
    // What the batch read is garbage now: collect it before the next batch, not at V8's leisure.
    collectGarbage();
  }
  return folded.done();
}

/**
 * A comparison after --fix: `first` with what `final` compared again (the
 * files and rows the fix touched) replaced by what `final` found.
 */
export function withFinalPass(first: Comparison, final: Comparison): Comparison {
  const again = final.rows;
  const files = new Map(first.files);
  for (const [file, read] of final.files) files.set(file, read);
  return {
    files,
    rows: first.rows.with(final.rows),
    dirtyRefs: [...first.dirtyRefs, ...final.dirtyRefs],
    // The fix's own changes came after `first` looked: they stay marked, and the next sync finds them in sync.
    seenUpTo: first.seenUpTo,
    pairs: [...first.pairs.filter((pair) => !final.files.has(pair.path) && !again.has(pair)), ...final.pairs],
    findings: final.findings,
    leftAlone: [...first.leftAlone.filter((row) => !again.has(row)), ...final.leftAlone],
    problems: final.problems,
  };
}

/** A failure file's size, about: a file counts in a batch as so many failure files' worth of records. */
const FAILURE_FILE_BYTES = 3000;

/**
 * The files in batches of about BATCH_FILES failure files' worth, in the
 * order given. A domain file holds hundreds of heuristics, so it counts by its
 * size; a failure file counts one.
 */
function inBatches(layout: JournalLayout, files: string[]): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let weight = 0;
  for (const file of files) {
    const size = file.startsWith(`${HEURISTICS_DIR}/`) ? statFile(journalAbsolutePath(layout, file))?.size : undefined;
    const fileWeight = Math.max(1, Math.ceil((size ?? 0) / FAILURE_FILE_BYTES));
    if (current.length > 0 && weight + fileWeight > BATCH_FILES) {
      batches.push(current);
      current = [];
      weight = 0;
    }
    current.push(file);
    weight += fileWeight;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * The rows each batch starts from (and the changed ones among them): those
 * that belong to its files; batch `batches` gets the rest.
 */
function startingRows(
  input: ComparisonInput,
  batchFiles: string[][],
  dirtyRefs: RowRef[],
): Array<{ rows: RowRef[]; dirty: RowRef[] }> {
  const batches = batchFiles.length;
  const batchOf = new Map(batchFiles.flatMap((files, batch) => files.map((file) => [file, batch] as const)));
  const start = Array.from({ length: batches + 1 }, () => ({ rows: [] as RowRef[], dirty: [] as RowRef[] }));
  const startRows = input.full ? rowRefsInScope(input.db) : input.rows;
  const homes = homesOfRows(input.db, [...dirtyRefs, ...startRows]);
  const home = (ref: RowRef) => {
    const row = homes[ref.table].get(ref.id);
    // A row deleted since the last sync goes first: the batch that reads its last file sees the deletion.
    if (!row) return start[0];
    const last = input.cache.pathOf(ref);
    return start[(last !== undefined ? batchOf.get(last) : undefined) ?? batchOf.get(expectedPathOf(row)) ?? batches];
  };
  for (const ref of dirtyRefs) home(ref).dirty.push(ref);
  for (const ref of startRows) home(ref).rows.push(ref);
  return start;
}
