/**
 * Matching the records found in files with database rows, and what follows
 * from it: the findings about records and rows, each with the action `--fix`
 * would take. Pure: it reads nothing and writes nothing.
 *
 *   const result = matchRecords(records, rows, context);
 *   result.pairs      // record <-> row, found in sync or to be updated
 *   result.findings   // missing-row, missing-file, hook-row, edited, duplicate-id
 *
 * The matching rule (also in the README), in this order:
 *   1. By lore id; among records that share one, the one in the file the row
 *      was last matched in keeps the row, the others are duplicates.
 *   2. Records left over (ELF's, or duplicates) match only rows without a lore
 *      id: a failure by `filepath`; a heuristic, within its domain, by id and
 *      rule, else by rule, else by id.
 *   3. A record left over is `missing-row` (or `duplicate-id`): --fix inserts.
 *   4. A matched record whose compared columns differ is `edited`: --fix
 *      updates the row from the file; DB-only data is never compared.
 *   5. A row left over is `missing-file` (--fix archives it, --restore writes
 *      its file back) or, from ELF's hooks, `hook-row` (kept unless --prune);
 *      a row whose file could not be read is left alone.
 * The details of each step: docs/notes-cli.md, "Matching records and rows".
 */
import { isHookRow, rowKey, type Row } from "./row-store.js";
import type { FileRecord } from "../journal/journal-file.js";
import type { RecordTable } from "../journal/journal-file.js";

export type FindingType =
  | "missing-row"
  | "missing-file"
  | "hook-row"
  | "edited"
  | "duplicate-id"
  | "unparseable"
  | "conflict-markers"
  | "temp-file"
  | "stale-lock"
  | "db-damaged"
  | "schema-behind";

export type Action =
  | { kind: "insert-row"; record: FileRecord; withLoreId: boolean }
  | { kind: "update-row"; row: Row; record: FileRecord; columns: string[] }
  | { kind: "archive-row"; row: Row }
  | { kind: "restore-file"; row: Row }
  | { kind: "keep" }
  | { kind: "needs-a-person" }
  | { kind: "remove-file"; path: string }
  | { kind: "remove-lock"; path: string }
  | { kind: "taken-over" }
  | { kind: "migrate" }
  | { kind: "rebuild" };

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
}

export interface MatchResult {
  pairs: Array<{ record: FileRecord; row: Row }>;
  findings: Finding[];
  /** Rows with no record that are left alone (their file is unreadable, or they are hook rows kept). */
  leftAlone: Row[];
}

/** The file a row's record belongs in. */
export function expectedPathOf(row: Row): string {
  return row.table === "learnings" ? String(row.values.filepath) : `memory/heuristics/${String(row.values.domain)}.md`;
}

function where(record: FileRecord): string {
  return `${record.path}:${record.line}`;
}

function normalized(value: string | number | null | undefined): string | number {
  if (value === null || value === undefined) return "";
  return typeof value === "number" ? value : value;
}

function differingColumns(record: FileRecord, row: Row, loreIdFree: boolean): string[] {
  const columns = Object.keys(record.columns).filter((column) => {
    const want = record.columns[column];
    const have = normalized(row.values[column]);
    return typeof want === "number" ? Number(have) !== want : String(have) !== want;
  });
  if (record.loreId !== undefined && row.loreId !== record.loreId && loreIdFree) columns.push("lore_id");
  return columns;
}

function byPathAndLine(a: FileRecord, b: FileRecord): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line;
}

export function matchRecords(records: FileRecord[], rows: Row[], context: MatchContext): MatchResult {
  const sorted = [...records].sort(byPathAndLine);
  const claimedBy = new Map<string, FileRecord>();
  const rowOf = new Map<FileRecord, Row>();
  const claim = (record: FileRecord, row: Row) => {
    claimedBy.set(rowKey(row.table, row.id), record);
    rowOf.set(record, row);
  };
  const isClaimed = (row: Row) => claimedBy.has(rowKey(row.table, row.id));

  // 1. By lore id.
  const byLoreId = new Map<string, Row>();
  for (const row of rows) if (row.loreId) byLoreId.set(`${row.table}:${row.loreId}`, row);
  const carriers = new Map<string, FileRecord[]>();
  for (const record of sorted) {
    if (record.loreId === undefined) continue;
    const key = `${record.table}:${record.loreId}`;
    carriers.set(key, [...(carriers.get(key) ?? []), record]);
  }
  const repeats = new Map<FileRecord, FileRecord>();
  const loreIdTaken = new Set<FileRecord>();
  for (const [key, group] of carriers) {
    const row = byLoreId.get(key);
    const preferred = row ? [context.lastPathOf(row), expectedPathOf(row)] : [];
    const owner = group.find((record) => preferred.includes(record.path)) ?? group[0];
    if (row) claim(owner, row);
    for (const record of group) {
      if (record === owner) continue;
      repeats.set(record, owner);
      loreIdTaken.add(record);
    }
  }

  // 2. ELF's records and duplicates, with rows that carry no lore id.
  const atPath = new Map<string, Row[]>();
  const inDomain = new Map<string, { byId: Map<number, Row>; byRule: Map<string, Row[]> }>();
  for (const row of [...rows].sort((a, b) => a.id - b.id)) {
    if (row.loreId !== null) continue;
    if (row.table === "learnings") {
      const key = String(row.values.filepath);
      atPath.set(key, [...(atPath.get(key) ?? []), row]);
      continue;
    }
    const domain = String(row.values.domain);
    const index = inDomain.get(domain) ?? { byId: new Map(), byRule: new Map() };
    inDomain.set(domain, index);
    index.byId.set(row.id, row);
    const rule = String(row.values.rule);
    index.byRule.set(rule, [...(index.byRule.get(rule) ?? []), row]);
  }
  const unclaimed = (row: Row | undefined) => (row && !isClaimed(row) ? row : undefined);
  /** One matching pass: each record still without a row claims the row `pick` finds for it. */
  const claimPicked = (pick: (record: FileRecord) => Row | undefined) => {
    for (const record of sorted) {
      if (rowOf.has(record)) continue;
      const row = pick(record);
      if (row) claim(record, row);
    }
  };
  const domainOf = (record: FileRecord) => inDomain.get(String(record.columns.domain));
  const heading = (record: FileRecord) =>
    record.table === "heuristics" && record.headingId !== undefined
      ? unclaimed(domainOf(record)?.byId.get(record.headingId))
      : undefined;
  claimPicked((record) =>
    record.table === "learnings" ? atPath.get(record.path)?.find((row) => !isClaimed(row)) : undefined,
  );
  claimPicked((record) => {
    const row = heading(record);
    return row && row.values.rule === record.columns.rule ? row : undefined;
  });
  claimPicked((record) =>
    record.table === "heuristics"
      ? domainOf(record)
          ?.byRule.get(String(record.columns.rule))
          ?.find((row) => !isClaimed(row))
      : undefined,
  );
  claimPicked(heading);

  const findings: Finding[] = [];
  const pairs: MatchResult["pairs"] = [];
  const rowsById = new Map(rows.map((row) => [rowKey(row.table, row.id), row]));

  // 3. Records without a row; 4. rows that differ from their record.
  for (const record of sorted) {
    const row = rowOf.get(record);
    if (row) {
      pairs.push({ record, row });
      const columns = differingColumns(
        record,
        row,
        !loreIdTaken.has(record) && !byLoreId.has(`${record.table}:${record.loreId}`),
      );
      if (columns.length > 0) {
        findings.push({
          type: "edited",
          path: record.path,
          line: record.line,
          row: { table: row.table, id: row.id },
          detail: `${columns.join(", ")} differ${columns.length === 1 ? "s" : ""} from ${row.table} row ${row.id}`,
          action: { kind: "update-row", row, record, columns },
        });
      }
      continue;
    }
    const original = repeats.get(record);
    const headingRow = record.headingId ? rowsById.get(rowKey("heuristics", record.headingId)) : undefined;
    const headingHolder = headingRow ? claimedBy.get(rowKey("heuristics", headingRow.id)) : undefined;
    const withLoreId =
      record.loreId !== undefined && !loreIdTaken.has(record) && !byLoreId.has(`${record.table}:${record.loreId}`);
    const action: Action = { kind: "insert-row", record, withLoreId };
    if (original) {
      findings.push({
        type: "duplicate-id",
        path: record.path,
        line: record.line,
        detail: `lore id ${record.loreId} is also the record at ${where(original)}`,
        action,
      });
    } else if (headingHolder && headingHolder.headingId === record.headingId) {
      findings.push({
        type: "duplicate-id",
        path: record.path,
        line: record.line,
        detail: `H-${record.headingId} is also the heuristic at ${where(headingHolder)}`,
        action,
      });
    } else {
      findings.push({
        type: "missing-row",
        path: record.path,
        line: record.line,
        detail: "no row in the database",
        action,
      });
    }
  }

  // 5. Rows without a record.
  const leftAlone: Row[] = [];
  for (const row of rows) {
    if (isClaimed(row)) continue;
    const expected = context.lastPathOf(row) ?? expectedPathOf(row);
    if (context.problemPaths.has(expected) || context.problemPaths.has(expectedPathOf(row))) {
      leftAlone.push(row);
    } else if (isHookRow(row)) {
      if (!context.prune) leftAlone.push(row);
      findings.push({
        type: "hook-row",
        path: String(row.values.filepath),
        row: { table: row.table, id: row.id },
        detail: `ELF hook row ${row.id} ("${String(row.values.title)}") has no file by design`,
        action: context.prune ? { kind: "archive-row", row } : { kind: "keep" },
      });
    } else {
      findings.push({
        type: "missing-file",
        path: expectedPathOf(row),
        row: { table: row.table, id: row.id },
        detail: `${row.table} row ${row.id} ("${String(row.values.title ?? row.values.rule)}") has no record in the files`,
        action: context.restore ? { kind: "restore-file", row } : { kind: "archive-row", row },
      });
    }
  }
  return { pairs, findings, leftAlone };
}
