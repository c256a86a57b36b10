/**
 * Matching the records found in files with database rows, and the findings
 * that follow, each with the action `--fix` would take. Pure: it reads
 * nothing and writes nothing.
 *
 *   const result = matchRecords(records, rows, context);
 *   result.pairs      // record <-> row, found in sync or to be updated
 *   result.findings   // missing-row, missing-file, hook-row, edited, duplicate-id
 *   result.leftAlone  // rows with no record that nothing is done to
 *
 * Each rule is a function of its own, applied in this order (the README's
 * "Matching a record with its row"):
 *   1. matchByLoreId, with loreIdKeeper for a lore id several records carry;
 *   2. matchWithoutLoreId: ELF_RULES (failureByPath, heuristicByIdAndRule,
 *      heuristicByRule, heuristicById) pair the records left over with the
 *      rows that carry no lore id;
 *   3. unmatchedRecordFinding: a record left over needs a row;
 *   4. editedFinding (editedColumns): a pair whose compared columns differ;
 *   5. unmatchedRowOutcome: a row left over has no file, or is a hook row,
 *      or is left alone with its unreadable file.
 * Records are taken in path and line order, so the first of equals wins.
 * Throws nothing.
 */
import { isHookRow, rowKey, type Row } from "./row-store.js";
import type { FileRecord } from "../journal/journal-file.js";
import type { RecordTable } from "../journal/journal-file.js";
import type { RowRef } from "./sync-cache.js";
import { fingerprintOf, recordFingerprint } from "../journal/record-fingerprint.js";
import type { FeedbackEvent } from "../journal/feedback-events.js";
import type { DatabaseOnlyChanges } from "../feedback/feedback-journal.js";

export type FindingType =
  | "missing-row"
  | "missing-file"
  | "hook-row"
  | "edited"
  | "db-edited"
  | "db-only"
  | "db-deleted"
  | "conflict"
  | "duplicate-id"
  | "unparseable"
  | "conflict-markers"
  | "temp-file"
  | "stale-lock"
  | "pending"
  | "db-damaged"
  | "schema-behind"
  | "search-index"
  | "feedback-db-only"
  | "feedback-unapplied"
  | "uncommitted";

export type Action =
  | { kind: "insert-row"; record: FileRecord; withLoreId: boolean }
  | { kind: "update-row"; row: Row; record: FileRecord; columns: string[] }
  | { kind: "archive-row"; row: Row }
  | { kind: "restore-file"; row: Row }
  | { kind: "rewrite-record"; record: FileRecord; row: Row }
  | { kind: "remove-record"; record: FileRecord; row: RowRef }
  | { kind: "keep" }
  | { kind: "needs-a-person" }
  | { kind: "remove-file"; path: string }
  | { kind: "remove-lock"; path: string }
  | { kind: "commit-file"; path: string }
  | { kind: "leave-ignored" }
  | { kind: "taken-over" }
  /** What crash recovery does with a pending intent (txn/recover.ts), as it says it. */
  | { kind: "recover"; repair: string }
  | { kind: "migrate" }
  | { kind: "rebuild" }
  /** Make the search index anew from the rows (db/search-index.ts rebuildSearchIndex). */
  | { kind: "rebuild-search-index" }
  /** Add these changes to the journal as `adjusted` feedback events, drop the orphan bases (sync/feedback-finding.ts). */
  | { kind: "record-feedback"; found: DatabaseOnlyChanges }
  /** Apply the journal's feedback events the database lacks. */
  | { kind: "apply-feedback"; events: FeedbackEvent[] };

export interface Finding {
  type: FindingType;
  /** The file, relative to the journal base (or the lock's path). */
  path?: string;
  line?: number;
  row?: { table: RecordTable; id: number };
  detail: string;
  action: Action;
}

export interface MatchContext {
  /** Files that could not be read as records: their rows are left alone. */
  problemPaths: ReadonlySet<string>;
  /** The file a row's record was found in at the last sync. */
  lastPathOf(row: Row): string | undefined;
  prune: boolean;
  restore: boolean;
  /** What a row and its record agreed on at the last sync (recordFingerprint), if they were verified together. */
  baseOf(row: RowRef): string | undefined;
  /** Rows deleted since the last sync, with the file their record was in and what they agreed on then. */
  deleted: ReadonlyArray<{ row: RowRef; path: string; base: string }>;
  /** How a conflict is settled: by the files, by the database, or not at all (it needs a person). */
  prefer: "files" | "db" | undefined;
  /** Where the record is that keeps a lore id whose row an earlier comparison matched (compare-journal.ts). */
  heldElsewhere?: (table: RecordTable, loreId: string) => RecordAt | undefined;
}

/** Where a record is: its file and the line it starts on. */
export type RecordAt = Pick<FileRecord, "path" | "line">;

export interface MatchResult {
  pairs: Array<{ record: FileRecord; row: Row }>;
  findings: Finding[];
  /** Rows with no record that are left alone (their file is unreadable, or they are hook rows kept). */
  leftAlone: Row[];
}

/** The file a row's record belongs in. */
export function expectedPathOf(row: Pick<Row, "table" | "values">): string {
  return row.table === "learnings" ? String(row.values.filepath) : `memory/heuristics/${String(row.values.domain)}.md`;
}

function where(record: RecordAt): string {
  return `${record.path}:${record.line}`;
}

function byPathAndLine(a: FileRecord, b: FileRecord): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line;
}

function loreIdKey(table: RecordTable, loreId: string | undefined): string {
  return `${table}:${loreId}`;
}

/** Which record holds which row: each row at most one record, each record at most one row. */
export class Claims {
  private readonly holders = new Map<string, FileRecord>();
  private readonly rows = new Map<FileRecord, Row>();

  claim(record: FileRecord, row: Row): void {
    this.holders.set(rowKey(row.table, row.id), record);
    this.rows.set(record, row);
  }

  rowOf(record: FileRecord): Row | undefined {
    return this.rows.get(record);
  }

  holderOf(table: RecordTable, id: number): FileRecord | undefined {
    return this.holders.get(rowKey(table, id));
  }

  isClaimed(row: Row): boolean {
    return this.holders.has(rowKey(row.table, row.id));
  }
}

/**
 * Rule 1, duplicates: of the records carrying one lore id (in path and line
 * order), the one in the file `row`'s record was found in last, or in the file
 * the row says it belongs in (a failure's `filepath`, a heuristic's domain
 * file), keeps the row; else the first.
 */
export function loreIdKeeper(
  carriers: readonly FileRecord[],
  row: Row | undefined,
  lastPathOf: (row: Row) => string | undefined,
): FileRecord {
  const preferred = row ? [lastPathOf(row), expectedPathOf(row)] : [];
  return carriers.find((record) => preferred.includes(record.path)) ?? carriers[0];
}

export interface LoreIdMatch {
  /** The rows that carry a lore id, by table and lore id (the last listed of rows sharing one). */
  rowsByLoreId: Map<string, Row>;
  /** Each record that repeats another's lore id, with where the record is that keeps it. */
  repeats: Map<FileRecord, RecordAt>;
}

/**
 * Rule 1: a record whose `<!-- lore:id=... -->` a row of its table holds is
 * that row's record (loreIdKeeper picks among records sharing one). `sorted`
 * is in path and line order.
 */
export function matchByLoreId(
  sorted: readonly FileRecord[],
  rows: readonly Row[],
  lastPathOf: (row: Row) => string | undefined,
  claims: Claims,
  heldElsewhere: MatchContext["heldElsewhere"] = () => undefined,
): LoreIdMatch {
  const rowsByLoreId = new Map<string, Row>();
  for (const row of rows) if (row.loreId) rowsByLoreId.set(loreIdKey(row.table, row.loreId), row);
  const carriers = new Map<string, FileRecord[]>();
  for (const record of sorted) {
    if (record.loreId === undefined) continue;
    const key = loreIdKey(record.table, record.loreId);
    carriers.set(key, [...(carriers.get(key) ?? []), record]);
  }
  const repeats = new Map<FileRecord, RecordAt>();
  for (const [key, group] of carriers) {
    const keptElsewhere = heldElsewhere(group[0].table, group[0].loreId as string);
    if (keptElsewhere) {
      for (const record of group) repeats.set(record, keptElsewhere);
      continue;
    }
    const row = rowsByLoreId.get(key);
    const keeper = loreIdKeeper(group, row, lastPathOf);
    if (row) claims.claim(keeper, row);
    for (const record of group) if (record !== keeper) repeats.set(record, keeper);
  }
  return { rowsByLoreId, repeats };
}

/** The rows without a lore id (ELF's), as rule 2 looks them up, each list in id order. */
export interface RowsWithoutLoreId {
  failuresAt: Map<string, Row[]>;
  heuristicsIn: Map<string, { byId: Map<number, Row>; byRule: Map<string, Row[]> }>;
}

export function indexRowsWithoutLoreId(rows: readonly Row[]): RowsWithoutLoreId {
  const index: RowsWithoutLoreId = { failuresAt: new Map(), heuristicsIn: new Map() };
  for (const row of [...rows].sort((a, b) => a.id - b.id)) {
    if (row.loreId !== null) continue;
    if (row.table === "learnings") {
      const key = String(row.values.filepath);
      index.failuresAt.set(key, [...(index.failuresAt.get(key) ?? []), row]);
      continue;
    }
    const domain = String(row.values.domain);
    const inDomain = index.heuristicsIn.get(domain) ?? { byId: new Map(), byRule: new Map() };
    index.heuristicsIn.set(domain, inDomain);
    inDomain.byId.set(row.id, row);
    const rule = String(row.values.rule);
    inDomain.byRule.set(rule, [...(inDomain.byRule.get(rule) ?? []), row]);
  }
  return index;
}

/** One of rule 2's lookups: the unclaimed row without a lore id that `record` matches, if any. */
export type ElfRule = (record: FileRecord, index: RowsWithoutLoreId, claims: Claims) => Row | undefined;

/**
 * Rule 2a: a failure, an unclaimed row with its `filepath`: the first one in
 * sync with it, else the last one. ELF names a failure's file by its day and
 * title, so recording a title again on one day overwrites the file: of the
 * rows left with one `filepath`, the last recorded wrote what the file holds.
 */
export const failureByPath: ElfRule = (record, index, claims) => {
  if (record.table !== "learnings") return undefined;
  const unclaimed = index.failuresAt.get(record.path)?.filter((row) => !claims.isClaimed(row)) ?? [];
  return unclaimed.find((row) => editedColumns(record, row, false).length === 0) ?? unclaimed.at(-1);
};

function domainOf(record: FileRecord, index: RowsWithoutLoreId) {
  return index.heuristicsIn.get(String(record.columns.domain));
}

/** Rule 2d: a heuristic, the unclaimed row of its domain with its `H-<id>`. */
export const heuristicById: ElfRule = (record, index, claims) => {
  if (record.table !== "heuristics" || record.headingId === undefined) return undefined;
  const row = domainOf(record, index)?.byId.get(record.headingId);
  return row && !claims.isClaimed(row) ? row : undefined;
};

/** Rule 2b: a heuristic, the unclaimed row of its domain with its `H-<id>` and its rule. */
export const heuristicByIdAndRule: ElfRule = (record, index, claims) => {
  const row = heuristicById(record, index, claims);
  return row && row.values.rule === record.columns.rule ? row : undefined;
};

/** Rule 2c: a heuristic, the first unclaimed row of its domain with its rule. */
export const heuristicByRule: ElfRule = (record, index, claims) =>
  record.table === "heuristics"
    ? domainOf(record, index)
        ?.byRule.get(String(record.columns.rule))
        ?.find((row) => !claims.isClaimed(row))
    : undefined;

/** Rule 2's lookups in the order they are tried; each pass goes over every record still unmatched. */
export const ELF_RULES: readonly ElfRule[] = [failureByPath, heuristicByIdAndRule, heuristicByRule, heuristicById];

/**
 * Rule 2: the records left over by rule 1 (ELF's, duplicates, and lore ids no
 * row holds) are matched only with rows that carry no lore id, by ELF_RULES.
 */
export function matchWithoutLoreId(sorted: readonly FileRecord[], rows: readonly Row[], claims: Claims): void {
  const index = indexRowsWithoutLoreId(rows);
  for (const rule of ELF_RULES) {
    for (const record of sorted) {
      if (claims.rowOf(record)) continue;
      const row = rule(record, index, claims);
      if (row) claims.claim(record, row);
    }
  }
}

function normalized(value: string | number | null | undefined): string | number {
  if (value === null || value === undefined) return "";
  return typeof value === "number" ? value : value;
}

/**
 * Rule 4's comparison: the record's compared columns whose row value differs
 * (a missing or null value reads as ""; numbers compare as numbers; a value
 * the record's `alsoInSync` names counts as the same), and `lore_id` when the
 * record's lore id is free (no row, no other record, holds it) and its row
 * lacks it.
 */
export function editedColumns(record: FileRecord, row: Row, loreIdFree: boolean): string[] {
  const columns = Object.keys(record.columns).filter((column) => {
    const want = record.columns[column];
    const have = normalized(row.values[column]);
    if (typeof want === "number") return Number(have) !== want;
    return String(have) !== want && String(have) !== record.alsoInSync?.[column];
  });
  if (record.loreId !== undefined && row.loreId !== record.loreId && loreIdFree) columns.push("lore_id");
  return columns;
}

/** The same string for a row, in the columns and types of `record`: equal exactly when editedColumns finds none. */
export function rowFingerprint(row: Row, record: FileRecord): string {
  return fingerprintOf(
    JSON.stringify(
      Object.keys(record.columns)
        .sort()
        .map((column) => {
          const have = normalized(row.values[column]);
          if (typeof record.columns[column] === "number") return [column, String(Number(have))];
          // ELF's shorter rendering of the record's text is the record's value (editedColumns agrees).
          return [column, String(have) === record.alsoInSync?.[column] ? String(record.columns[column]) : String(have)];
        }),
    ),
  );
}

/**
 * Rule 4, three ways: a matched record and row that differ, judged against
 * what they agreed on at the last sync (`base`). Only the file changed:
 * `edited`, the row follows the file. Only the row changed (ELF's dashboard
 * or hooks): `db-edited`, the markdown is rewritten from the row. Both:
 * `conflict`, settled by `prefer` or left to a person. Never verified
 * together: the file wins, as before.
 */
export function changedPairFinding(
  record: FileRecord,
  row: Row,
  loreIdFree: boolean,
  context: Pick<MatchContext, "baseOf" | "prefer">,
): Finding | undefined {
  const edited = editedFinding(record, row, loreIdFree);
  const base = context.baseOf(row);
  if (!edited || base === undefined || rowFingerprint(row, record) === base) return edited;
  const at = { path: record.path, line: record.line, row: { table: row.table, id: row.id } };
  if (recordFingerprint(record) === base) {
    return {
      type: "db-edited",
      ...at,
      detail: `${row.table} row ${row.id} was changed in the database since the last sync`,
      action: { kind: "rewrite-record", record, row },
    };
  }
  const action: Action =
    context.prefer === "files"
      ? edited.action
      : context.prefer === "db"
        ? { kind: "rewrite-record", record, row }
        : { kind: "needs-a-person" };
  return {
    type: "conflict",
    ...at,
    detail: `both the record and ${row.table} row ${row.id} changed since the last sync (${edited.detail}); --prefer files or --prefer db settles it`,
    action,
  };
}

/** Rule 4: a matched record edited by hand, or undefined when its row agrees. */
export function editedFinding(record: FileRecord, row: Row, loreIdFree: boolean): Finding | undefined {
  const columns = editedColumns(record, row, loreIdFree);
  if (columns.length === 0) return undefined;
  return {
    type: "edited",
    path: record.path,
    line: record.line,
    row: { table: row.table, id: row.id },
    detail: `${columns.join(", ")} differ${columns.length === 1 ? "s" : ""} from ${row.table} row ${row.id}`,
    action: { kind: "update-row", row, record, columns },
  };
}

/**
 * Rule 3: a record without a row gets one. It is a `duplicate-id` when it
 * repeats the lore id of `keeper`, or when `headingHolder` (the record holding
 * the row `H-<id>` names) carries the same `H-<id>`; else a `missing-row`.
 * The new row takes the record's lore id only when it is free.
 */
export function unmatchedRecordFinding(
  record: FileRecord,
  keeper: RecordAt | undefined,
  headingHolder: FileRecord | undefined,
  loreIdFree: boolean,
): Finding {
  const action: Action = { kind: "insert-row", record, withLoreId: loreIdFree };
  const at = { path: record.path, line: record.line };
  if (keeper) {
    return {
      type: "duplicate-id",
      ...at,
      detail: `lore id ${record.loreId} is also the record at ${where(keeper)}`,
      action,
    };
  }
  if (headingHolder && headingHolder.headingId === record.headingId) {
    return {
      type: "duplicate-id",
      ...at,
      detail: `H-${record.headingId} is also the heuristic at ${where(headingHolder)}`,
      action,
    };
  }
  return { type: "missing-row", ...at, detail: "no row in the database", action };
}

/**
 * Rule 5: a row no record holds. Left alone when its file (last or expected)
 * could not be read; a hook row (`auto-...`) is reported and kept, or archived
 * with `prune`; a row without a lore id that no sync ever matched is
 * `db-only`, written to markdown; any other row is `missing-file`, archived,
 * or its file written back with `restore`.
 */
export function unmatchedRowOutcome(
  row: Row,
  context: MatchContext,
): { leftAlone: boolean; finding: Finding | undefined } {
  const expected = context.lastPathOf(row) ?? expectedPathOf(row);
  if (context.problemPaths.has(expected) || context.problemPaths.has(expectedPathOf(row))) {
    return { leftAlone: true, finding: undefined };
  }
  if (isHookRow(row)) {
    return {
      leftAlone: !context.prune,
      finding: {
        type: "hook-row",
        path: String(row.values.filepath),
        row: { table: row.table, id: row.id },
        detail: `ELF hook row ${row.id} ("${String(row.values.title)}") has no file by design`,
        action: context.prune ? { kind: "archive-row", row } : { kind: "keep" },
      },
    };
  }
  // Never matched and without a lore id: written by another tool, never to a file (db-only).
  const databaseOnly = row.loreId === null && context.lastPathOf(row) === undefined;
  const name = `${row.table} row ${row.id} ("${String(row.values.title ?? row.values.rule)}")`;
  return {
    leftAlone: false,
    finding: {
      type: databaseOnly ? "db-only" : "missing-file",
      path: expectedPathOf(row),
      row: { table: row.table, id: row.id },
      detail: databaseOnly ? `${name} was written to the database only` : `${name} has no record in the files`,
      action: databaseOnly || context.restore ? { kind: "restore-file", row } : { kind: "archive-row", row },
    },
  };
}

/**
 * Rule 3's exception: an unchanged record whose row was deleted since the last
 * sync (in ELF's dashboard) is the deleted row's record; that deletion is
 * taken from `deleted`, so it is the record of one row only.
 */
export function deletedRowOf(
  record: FileRecord,
  deleted: Array<{ row: RowRef; path: string; base: string }>,
): RowRef | undefined {
  const print = recordFingerprint(record);
  const at = deleted.findIndex(
    (entry) => entry.row.table === record.table && entry.path === record.path && entry.base === print,
  );
  return at < 0 ? undefined : deleted.splice(at, 1)[0].row;
}

export function matchRecords(records: FileRecord[], rows: Row[], context: MatchContext): MatchResult {
  const sorted = [...records].sort(byPathAndLine);
  const claims = new Claims();
  const { rowsByLoreId, repeats } = matchByLoreId(sorted, rows, context.lastPathOf, claims, context.heldElsewhere);
  matchWithoutLoreId(sorted, rows, claims);

  const loreIdFree = (record: FileRecord) =>
    record.loreId !== undefined && !repeats.has(record) && !rowsByLoreId.has(loreIdKey(record.table, record.loreId));
  const findings: Finding[] = [];
  const pairs: MatchResult["pairs"] = [];
  const deleted = [...context.deleted];
  for (const record of sorted) {
    const row = claims.rowOf(record);
    if (row) {
      pairs.push({ record, row });
      const changed = changedPairFinding(record, row, loreIdFree(record), context);
      if (changed) findings.push(changed);
      continue;
    }
    const deletion = deletedRowOf(record, deleted);
    if (deletion) {
      findings.push({
        type: "db-deleted",
        path: record.path,
        line: record.line,
        row: deletion,
        detail: `${record.table} row ${deletion.id} was deleted in the database since the last sync`,
        action: { kind: "remove-record", record, row: deletion },
      });
      continue;
    }
    const headingHolder = record.headingId ? claims.holderOf("heuristics", record.headingId) : undefined;
    findings.push(unmatchedRecordFinding(record, repeats.get(record), headingHolder, loreIdFree(record)));
  }

  const leftAlone: Row[] = [];
  for (const row of rows) {
    if (claims.isClaimed(row)) continue;
    const outcome = unmatchedRowOutcome(row, context);
    if (outcome.leftAlone) leftAlone.push(row);
    if (outcome.finding) findings.push(outcome.finding);
  }
  return { pairs, findings, leftAlone };
}
