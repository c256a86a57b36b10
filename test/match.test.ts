// How `lore sync` pairs the records in the files with the rows of the
// database (src/sync/match.ts), one rule at a time, on records and rows made
// in memory: by lore id (and which copy of a lore id keeps its row); ELF's
// records by a failure's path and a heuristic's H-<id> and rule within its
// domain; what a record without a row, a row without a record, a hook row and
// an edited record are reported as, with the action `--fix` would take.
import { describe, expect, it } from "vitest";
import type { FileRecord } from "../src/journal/journal-file.js";
import { recordFingerprint } from "../src/journal/record-fingerprint.js";
import {
  Claims,
  changedPairFinding,
  deletedRowOf,
  ELF_RULES,
  editedColumns,
  editedFinding,
  expectedPathOf,
  failureByPath,
  heuristicById,
  heuristicByIdAndRule,
  heuristicByRule,
  indexRowsWithoutLoreId,
  loreIdKeeper,
  type MatchContext,
  matchByLoreId,
  matchRecords,
  matchWithoutLoreId,
  rowFingerprint,
  unmatchedRecordFinding,
  unmatchedRowOutcome,
} from "../src/sync/match.js";
import type { Row } from "../src/sync/row-store.js";

const LORE_A = "aaaaaaaa-1111-4222-8333-444444444444";
const LORE_B = "bbbbbbbb-1111-4222-8333-444444444444";

/** A failure record as journal-file.ts reads it from `path`. */
function failureRecord(
  path: string,
  overrides: Partial<FileRecord> = {},
  columns: Record<string, string | number> = {},
) {
  const record: FileRecord = {
    table: "learnings",
    path,
    line: 1,
    loreId: undefined,
    headingId: undefined,
    columns: {
      type: "failure",
      filepath: path,
      title: "Lock race",
      summary: "Two writers",
      tags: "lock",
      domain: "concurrency",
      severity: 4,
      ...columns,
    },
    insertOnly: {},
  };
  return { ...record, ...overrides };
}

/** A heuristic block of `memory/heuristics/<domain>.md`. */
function heuristicRecord(
  domain: string,
  headingId: number | undefined,
  rule: string,
  overrides: Partial<FileRecord> = {},
): FileRecord {
  return {
    table: "heuristics",
    path: `memory/heuristics/${domain}.md`,
    line: 7,
    loreId: undefined,
    headingId,
    columns: { domain, rule, explanation: "Because.", source_type: "observation" },
    insertOnly: { confidence: 0.7 },
    ...overrides,
  };
}

/** The row a failure record at `filepath` has when in sync, plus DB-only columns. */
function failureRow(
  id: number,
  filepath: string,
  loreId: string | null = null,
  values: Record<string, string | number | null> = {},
): Row {
  return {
    table: "learnings",
    id,
    loreId,
    values: {
      id,
      type: "failure",
      filepath,
      title: "Lock race",
      summary: "Two writers",
      tags: "lock",
      domain: "concurrency",
      severity: 4,
      lore_id: loreId,
      created_at: "2025-12-01 10:00:00",
      ...values,
    },
  };
}

function heuristicRow(
  id: number,
  domain: string,
  rule: string,
  loreId: string | null = null,
  values: Record<string, string | number | null> = {},
): Row {
  return {
    table: "heuristics",
    id,
    loreId,
    values: {
      id,
      domain,
      rule,
      explanation: "Because.",
      source_type: "observation",
      confidence: 0.93,
      times_validated: 12,
      is_golden: 1,
      lore_id: loreId,
      ...values,
    },
  };
}

function context(overrides: Partial<MatchContext> = {}): MatchContext {
  return {
    problemPaths: new Set(),
    lastPathOf: () => undefined,
    prune: false,
    restore: false,
    baseOf: () => undefined,
    deleted: [],
    prefer: undefined,
    ...overrides,
  };
}

/** Rows that were matched by an earlier sync, at the path they belong in: without a record now, their file lost it. */
const verifiedBefore = { lastPathOf: (row: Row) => expectedPathOf(row) };

/** The pairs as [record path:line, row table:id], easy to compare. */
function pairsOf(result: { pairs: Array<{ record: FileRecord; row: Row }> }): string[][] {
  return result.pairs.map(({ record, row }) => [`${record.path}:${record.line}`, `${row.table}:${row.id}`]);
}

/** The findings as [type, path, line, detail, action kind]. */
function findingsOf(result: ReturnType<typeof matchRecords>): unknown[][] {
  return result.findings.map((finding) => [
    finding.type,
    finding.path,
    finding.line,
    finding.detail,
    finding.action.kind,
  ]);
}

const F1 = "memory/failures/20251201_lock-race.md";
const F2 = "memory/failures/20251202_lock-race.md";
const F3 = "memory/failures/20251203_other.md";

describe("expectedPathOf", () => {
  it("is a failure row's filepath, and a heuristic row's domain file", () => {
    expect(expectedPathOf(failureRow(1, F1))).toBe(F1);
    expect(expectedPathOf(heuristicRow(2, "testing-stuff", "r"))).toBe("memory/heuristics/testing-stuff.md");
  });
});

describe("rule 1: by lore id", () => {
  it("pairs a record with the row that holds its lore id, wherever the row says it belongs", () => {
    // The file was renamed: its lore id still finds its row, and the row without a lore id at the new path stays free.
    const record = failureRecord(F2, { loreId: LORE_A });
    const rows = [failureRow(3, F2), failureRow(7, F1, LORE_A)];
    const claims = new Claims();
    const match = matchByLoreId([record], rows, () => undefined, claims);
    expect(claims.rowOf(record)).toBe(rows[1]);
    expect(claims.isClaimed(rows[0])).toBe(false);
    expect(match.repeats.size).toBe(0);
    expect([...match.rowsByLoreId.keys()]).toEqual([`learnings:${LORE_A}`]);

    const result = matchRecords([record], rows, context(verifiedBefore));
    expect(pairsOf(result)).toEqual([[`${F2}:1`, "learnings:7"]]);
    expect(findingsOf(result)).toEqual([
      ["edited", F2, 1, "filepath differs from learnings row 7", "update-row"],
      ["missing-file", F2, undefined, 'learnings row 3 ("Lock race") has no record in the files', "archive-row"],
    ]);
  });

  it("looks a lore id up in the record's own table only", () => {
    const record = heuristicRecord("x", undefined, "r", { loreId: LORE_A });
    const claims = new Claims();
    matchByLoreId([record], [failureRow(1, F1, LORE_A)], () => undefined, claims);
    expect(claims.rowOf(record)).toBeUndefined();
  });

  it("a row holding a lore id no record carries is not matched by one", () => {
    const record = failureRecord(F1, { loreId: LORE_B });
    const claims = new Claims();
    const match = matchByLoreId([record], [failureRow(1, F1, LORE_A)], () => undefined, claims);
    expect(claims.rowOf(record)).toBeUndefined();
    expect(match.repeats.size).toBe(0);
  });
});

describe("rule 1: a lore id several records carry", () => {
  const first = failureRecord(F1, { loreId: LORE_A });
  const second = failureRecord(F2, { loreId: LORE_A });
  const third = failureRecord(F3, { loreId: LORE_A });
  const carriers = [first, second, third];

  it("the record in the file its row was found in last keeps the row", () => {
    const row = failureRow(5, "memory/failures/elsewhere.md", LORE_A);
    expect(loreIdKeeper(carriers, row, () => F2)).toBe(second);
    expect(loreIdKeeper(carriers, row, () => F3)).toBe(third);
  });

  it("else the record in the file the row belongs in (a failure's filepath)", () => {
    expect(loreIdKeeper(carriers, failureRow(5, F3, LORE_A), () => undefined)).toBe(third);
    expect(loreIdKeeper(carriers, failureRow(5, F2, LORE_A), () => "memory/failures/gone.md")).toBe(second);
  });

  it("else, and when no row holds the lore id, the first by path and line", () => {
    expect(loreIdKeeper(carriers, failureRow(5, "memory/failures/gone.md", LORE_A), () => undefined)).toBe(first);
    expect(loreIdKeeper(carriers, undefined, () => F3)).toBe(first);
  });

  it("the keeper gets the row; every other carrier repeats it", () => {
    const row = failureRow(5, F2, LORE_A);
    const claims = new Claims();
    const match = matchByLoreId(carriers, [row], () => F2, claims);
    expect(claims.rowOf(second)).toBe(row);
    expect(claims.holderOf("learnings", 5)).toBe(second);
    expect([...match.repeats]).toEqual([
      [first, second],
      [third, second],
    ]);
  });

  it("a copied file: the copy is a duplicate-id and gets a row of its own, without the lore id", () => {
    // The copy sorts first (20251201 < 20251202), but the row was last found in F2.
    const copy = failureRecord(F1, { loreId: LORE_A });
    const original = failureRecord(F2, { loreId: LORE_A });
    const row = failureRow(5, F2, LORE_A);
    const result = matchRecords([original, copy], [row], context({ lastPathOf: () => F2 }));
    expect(pairsOf(result)).toEqual([[`${F2}:1`, "learnings:5"]]);
    expect(findingsOf(result)).toEqual([
      ["duplicate-id", F1, 1, `lore id ${LORE_A} is also the record at ${F2}:1`, "insert-row"],
    ]);
    expect(result.findings[0].action).toEqual({ kind: "insert-row", record: copy, withLoreId: false });
  });

  it("two blocks with one lore id and no row: the first gets a row with the lore id, the second one without", () => {
    const one = heuristicRecord("x", 3, "r", { loreId: LORE_B, line: 7 });
    const two = heuristicRecord("x", 4, "s", { loreId: LORE_B, line: 17 });
    const result = matchRecords([two, one], [], context());
    expect(findingsOf(result)).toEqual([
      ["missing-row", "memory/heuristics/x.md", 7, "no row in the database", "insert-row"],
      [
        "duplicate-id",
        "memory/heuristics/x.md",
        17,
        `lore id ${LORE_B} is also the record at memory/heuristics/x.md:7`,
        "insert-row",
      ],
    ]);
    expect(result.findings.map((finding) => finding.action)).toEqual([
      { kind: "insert-row", record: one, withLoreId: true },
      { kind: "insert-row", record: two, withLoreId: false },
    ]);
  });
});

describe("rule 2: ELF's records, with the rows that carry no lore id", () => {
  it("indexes only rows without a lore id, in id order", () => {
    const index = indexRowsWithoutLoreId([
      failureRow(9, F1),
      failureRow(4, F1),
      failureRow(5, F2, LORE_A),
      heuristicRow(8, "x", "r"),
      heuristicRow(2, "x", "r"),
      heuristicRow(6, "x", "s", LORE_B),
      heuristicRow(3, "y", "r"),
    ]);
    expect([...index.failuresAt].map(([path, rows]) => [path, rows.map((row) => row.id)])).toEqual([[F1, [4, 9]]]);
    expect(
      [...(index.heuristicsIn.get("x")?.byRule ?? [])].map(([rule, rows]) => [rule, rows.map((r) => r.id)]),
    ).toEqual([["r", [2, 8]]]);
    expect([...(index.heuristicsIn.get("x")?.byId.keys() ?? [])]).toEqual([2, 8]);
    expect([...index.heuristicsIn.keys()]).toEqual(["x", "y"]);
  });

  it("failureByPath: a failure, the unclaimed row with its filepath in sync with it, else the last", () => {
    const other = { summary: "Another summary" };
    const rows = [failureRow(9, F1, null, other), failureRow(4, F1, null, other), failureRow(6, F2)];
    const index = indexRowsWithoutLoreId(rows);
    const claims = new Claims();
    const record = failureRecord(F1);
    // Both rows differ from the record: the last one recorded (ELF overwrote the file with it).
    expect(failureByPath(record, index, claims)).toBe(rows[0]);
    claims.claim(failureRecord(F1, { line: 99 }), rows[0]);
    expect(failureByPath(record, index, claims)).toBe(rows[1]);
    claims.claim(failureRecord(F1, { line: 98 }), rows[1]);
    expect(failureByPath(record, index, claims)).toBeUndefined();
    expect(failureByPath(failureRecord(F3), index, new Claims())).toBeUndefined();
    // Not a heuristic, even one whose path is a failure row's filepath.
    expect(failureByPath(heuristicRecord("x", 6, "r", { path: F2 }), index, new Claims())).toBeUndefined();
    // A row in sync with the record wins over a later one.
    const inSync = failureRow(4, F1);
    const withOneInSync = indexRowsWithoutLoreId([inSync, failureRow(9, F1, null, other)]);
    expect(failureByPath(record, withOneInSync, new Claims())).toBe(inSync);
  });

  it("heuristicByIdAndRule: the row of its domain with its H-<id>, only when the rule is the same", () => {
    const rows = [heuristicRow(5, "x", "r"), heuristicRow(6, "y", "r")];
    const index = indexRowsWithoutLoreId(rows);
    expect(heuristicByIdAndRule(heuristicRecord("x", 5, "r"), index, new Claims())).toBe(rows[0]);
    expect(heuristicByIdAndRule(heuristicRecord("x", 5, "edited"), index, new Claims())).toBeUndefined();
    expect(heuristicByIdAndRule(heuristicRecord("x", 6, "r"), index, new Claims())).toBeUndefined();
    const claims = new Claims();
    claims.claim(heuristicRecord("x", 5, "r", { line: 30 }), rows[0]);
    expect(heuristicByIdAndRule(heuristicRecord("x", 5, "r"), index, claims)).toBeUndefined();
  });

  it("heuristicByRule: the first unclaimed row of its domain with its rule, whatever its H-<id>", () => {
    const rows = [heuristicRow(8, "x", "r"), heuristicRow(3, "x", "r"), heuristicRow(4, "y", "r")];
    const index = indexRowsWithoutLoreId(rows);
    const claims = new Claims();
    expect(heuristicByRule(heuristicRecord("x", 8, "r"), index, claims)).toBe(rows[1]);
    expect(heuristicByRule(heuristicRecord("x", undefined, "r"), index, claims)).toBe(rows[1]);
    claims.claim(heuristicRecord("x", 3, "r"), rows[1]);
    expect(heuristicByRule(heuristicRecord("x", undefined, "r"), index, claims)).toBe(rows[0]);
    expect(heuristicByRule(heuristicRecord("x", undefined, "R"), index, claims)).toBeUndefined();
    expect(heuristicByRule(heuristicRecord("z", undefined, "r"), index, claims)).toBeUndefined();
  });

  it("heuristicById: the unclaimed row of its domain with its H-<id>, whatever its rule", () => {
    const rows = [heuristicRow(5, "x", "r"), heuristicRow(6, "y", "r")];
    const index = indexRowsWithoutLoreId(rows);
    expect(heuristicById(heuristicRecord("x", 5, "edited"), index, new Claims())).toBe(rows[0]);
    expect(heuristicById(heuristicRecord("x", 6, "r"), index, new Claims())).toBeUndefined();
    expect(heuristicById(heuristicRecord("x", undefined, "r"), index, new Claims())).toBeUndefined();
    const failure = failureRecord(F1, { headingId: 5 }, { domain: "x" });
    expect(heuristicById(failure, index, new Claims())).toBeUndefined();
  });

  it("tries a failure's path, then H-<id> and rule, then rule, then H-<id>", () => {
    expect(ELF_RULES).toHaveLength(4);
    expect(ELF_RULES[0]).toBe(failureByPath);
    expect(ELF_RULES[1]).toBe(heuristicByIdAndRule);
    expect(ELF_RULES[2]).toBe(heuristicByRule);
    expect(ELF_RULES[3]).toBe(heuristicById);
  });

  it("H-<id> and rule before rule: the block with both gets the row, not the first block with the rule", () => {
    const rows = [heuristicRow(3, "x", "r"), heuristicRow(5, "x", "r")];
    const plain = heuristicRecord("x", undefined, "r", { line: 7 });
    const exact = heuristicRecord("x", 3, "r", { line: 17 });
    const claims = new Claims();
    matchWithoutLoreId([plain, exact], rows, claims);
    expect(claims.rowOf(exact)).toBe(rows[0]);
    expect(claims.rowOf(plain)).toBe(rows[1]);
  });

  it("rule before H-<id>: a block whose rule was edited loses its row to a block with the row's rule", () => {
    const row = heuristicRow(7, "x", "r");
    const sameRule = heuristicRecord("x", 9, "r", { line: 7 });
    const editedRule = heuristicRecord("x", 7, "edited", { line: 17 });
    const result = matchRecords([editedRule, sameRule], [row], context());
    expect(pairsOf(result)).toEqual([["memory/heuristics/x.md:7", "heuristics:7"]]);
    // The row's holder carries H-9, not H-7: the edited block is missing its row, not a duplicate.
    expect(findingsOf(result)).toEqual([
      ["missing-row", "memory/heuristics/x.md", 17, "no row in the database", "insert-row"],
    ]);
  });

  it("H-<id> alone: a block whose rule was edited by hand keeps its row, and the rule is reported edited", () => {
    const row = heuristicRow(7, "x", "r");
    const result = matchRecords([heuristicRecord("x", 7, "edited")], [row], context());
    expect(pairsOf(result)).toEqual([["memory/heuristics/x.md:7", "heuristics:7"]]);
    expect(findingsOf(result)).toEqual([
      ["edited", "memory/heuristics/x.md", 7, "rule differs from heuristics row 7", "update-row"],
    ]);
  });

  it("stays within the heuristic's domain", () => {
    const result = matchRecords([heuristicRecord("x", 7, "r")], [heuristicRow(7, "y", "r")], context(verifiedBefore));
    expect(pairsOf(result)).toEqual([]);
    expect(result.findings.map((finding) => finding.type)).toEqual(["missing-row", "missing-file"]);
  });

  it("never takes a row that carries a lore id", () => {
    const rows = [failureRow(1, F1, LORE_A), heuristicRow(2, "x", "r", LORE_B)];
    const records = [failureRecord(F1), heuristicRecord("x", 2, "r")];
    const claims = new Claims();
    matchWithoutLoreId(records, rows, claims);
    expect(records.map((record) => claims.rowOf(record))).toEqual([undefined, undefined]);
  });

  it("matches a record whose lore id no row holds, and the row is to take its lore id", () => {
    const record = failureRecord(F1, { loreId: LORE_A });
    const row = failureRow(4, F1);
    const result = matchRecords([record], [row], context());
    expect(pairsOf(result)).toEqual([[`${F1}:1`, "learnings:4"]]);
    expect(result.findings).toEqual([
      {
        type: "edited",
        path: F1,
        line: 1,
        row: { table: "learnings", id: 4 },
        detail: "lore_id differs from learnings row 4",
        action: { kind: "update-row", row, record, columns: ["lore_id"] },
      },
    ]);
  });

  it("a duplicate of a lore id may take an ELF row, but never the lore id", () => {
    const keeper = failureRecord(F1, { loreId: LORE_A });
    const copy = failureRecord(F2, { loreId: LORE_A });
    const rows = [failureRow(1, F1, LORE_A), failureRow(2, F2)];
    const result = matchRecords([copy, keeper], rows, context());
    expect(pairsOf(result)).toEqual([
      [`${F1}:1`, "learnings:1"],
      [`${F2}:1`, "learnings:2"],
    ]);
    expect(result.findings).toEqual([]);
  });
});

describe("rule 3: a record without a row", () => {
  it("is a missing-row; the new row takes its lore id", () => {
    const record = failureRecord(F1, { loreId: LORE_A });
    expect(matchRecords([record], [], context()).findings).toEqual([
      {
        type: "missing-row",
        path: F1,
        line: 1,
        detail: "no row in the database",
        action: { kind: "insert-row", record, withLoreId: true },
      },
    ]);
    const elf = heuristicRecord("x", 4, "r");
    expect(matchRecords([elf], [], context()).findings[0].action).toEqual({
      kind: "insert-row",
      record: elf,
      withLoreId: false,
    });
  });

  it("is a duplicate-id when another block holds the row of its H-<id> (a merge)", () => {
    const first = heuristicRecord("x", 4, "a", { line: 7 });
    const second = heuristicRecord("x", 4, "b", { line: 17 });
    const result = matchRecords([second, first], [heuristicRow(4, "x", "a")], context());
    expect(pairsOf(result)).toEqual([["memory/heuristics/x.md:7", "heuristics:4"]]);
    expect(findingsOf(result)).toEqual([
      [
        "duplicate-id",
        "memory/heuristics/x.md",
        17,
        "H-4 is also the heuristic at memory/heuristics/x.md:7",
        "insert-row",
      ],
    ]);
  });

  it("ELF's duplicate H-0 blocks, with no row 0, are each a missing-row", () => {
    const result = matchRecords(
      [heuristicRecord("x", 0, "a", { line: 7 }), heuristicRecord("x", 0, "b", { line: 17 })],
      [],
      context(),
    );
    expect(findingsOf(result).map((finding) => [finding[0], finding[2]])).toEqual([
      ["missing-row", 7],
      ["missing-row", 17],
    ]);
  });

  it("unmatchedRecordFinding: the lore id's keeper first, then the H-<id>'s holder, else missing-row", () => {
    const record = heuristicRecord("x", 4, "r", { loreId: LORE_A, line: 20 });
    const keeper = heuristicRecord("x", 2, "k", { loreId: LORE_A, line: 3 });
    const holder = heuristicRecord("y", 4, "h", { line: 9 });
    const byKeeper = unmatchedRecordFinding(record, keeper, holder, false);
    expect([byKeeper.type, byKeeper.detail]).toEqual([
      "duplicate-id",
      `lore id ${LORE_A} is also the record at memory/heuristics/x.md:3`,
    ]);
    const byHolder = unmatchedRecordFinding(record, undefined, holder, false);
    expect([byHolder.type, byHolder.detail]).toEqual([
      "duplicate-id",
      "H-4 is also the heuristic at memory/heuristics/y.md:9",
    ]);
    const otherHeading = unmatchedRecordFinding(record, undefined, { ...holder, headingId: 5 }, true);
    expect([otherHeading.type, otherHeading.action]).toEqual([
      "missing-row",
      { kind: "insert-row", record, withLoreId: true },
    ]);
  });
});

describe("rule 4: edited", () => {
  it("compares each of the record's columns; null reads as empty, numbers as numbers", () => {
    const record = failureRecord(F1, {}, { tags: "", severity: 4 });
    expect(editedColumns(record, failureRow(1, F1, null, { tags: null, severity: "4" }), false)).toEqual([]);
    expect(editedColumns(record, failureRow(1, F1, null, { tags: "x", severity: 3, title: "T" }), false)).toEqual([
      "title",
      "tags",
      "severity",
    ]);
    expect(editedColumns(record, failureRow(1, F1, null, { tags: "", severity: null }), false)).toEqual(["severity"]);
  });

  it("never compares DB-only data: confidence, validation counts, golden flag, dates", () => {
    const record = heuristicRecord("x", 1, "r", { insertOnly: { confidence: 0.2 } });
    const row = heuristicRow(1, "x", "r", null, { confidence: 0.99, times_validated: 40, is_golden: 1 });
    expect(editedColumns(record, row, false)).toEqual([]);
    expect(editedFinding(record, row, false)).toBeUndefined();
  });

  it("adds lore_id only when the record's lore id is free and its row lacks it", () => {
    const record = failureRecord(F1, { loreId: LORE_A });
    expect(editedColumns(record, failureRow(1, F1), true)).toEqual(["lore_id"]);
    expect(editedColumns(record, failureRow(1, F1), false)).toEqual([]);
    expect(editedColumns(record, failureRow(1, F1, LORE_A), true)).toEqual([]);
    expect(editedColumns(failureRecord(F1), failureRow(1, F1), true)).toEqual([]);
  });

  it("editedFinding names the columns, the row, and the update", () => {
    const record = heuristicRecord("x", 3, "new rule");
    record.columns.explanation = "Changed.";
    const row = heuristicRow(3, "x", "r");
    expect(editedFinding(record, row, false)).toEqual({
      type: "edited",
      path: "memory/heuristics/x.md",
      line: 7,
      row: { table: "heuristics", id: 3 },
      detail: "rule, explanation differ from heuristics row 3",
      action: { kind: "update-row", row, record, columns: ["rule", "explanation"] },
    });
  });
});

describe("rule 5: a row without a record", () => {
  it("is a missing-file at the path it belongs in: archived, or written back with --restore", () => {
    const failure = failureRow(2, F1);
    const heuristic = heuristicRow(3, "testing-stuff", "Do it");
    expect(unmatchedRowOutcome(failure, context(verifiedBefore))).toEqual({
      leftAlone: false,
      finding: {
        type: "missing-file",
        path: F1,
        row: { table: "learnings", id: 2 },
        detail: 'learnings row 2 ("Lock race") has no record in the files',
        action: { kind: "archive-row", row: failure },
      },
    });
    const restored = unmatchedRowOutcome(heuristic, context({ ...verifiedBefore, restore: true }));
    expect(restored.finding?.path).toBe("memory/heuristics/testing-stuff.md");
    expect(restored.finding?.detail).toBe('heuristics row 3 ("Do it") has no record in the files');
    expect(restored.finding?.action).toEqual({ kind: "restore-file", row: heuristic });
  });

  it("is a hook-row when ELF's hooks made it (`auto-...`): kept and left alone, archived with --prune", () => {
    const hook = failureRow(8, "auto-failures/session-42", null, { type: "observation", title: "Hook saw it" });
    const kept = unmatchedRowOutcome(hook, context());
    expect(kept).toEqual({
      leftAlone: true,
      finding: {
        type: "hook-row",
        path: "auto-failures/session-42",
        row: { table: "learnings", id: 8 },
        detail: 'ELF hook row 8 ("Hook saw it") has no file by design',
        action: { kind: "keep" },
      },
    });
    const pruned = unmatchedRowOutcome(hook, context({ prune: true }));
    expect(pruned.leftAlone).toBe(false);
    expect(pruned.finding?.action).toEqual({ kind: "archive-row", row: hook });
    // `auto-` must begin the filepath: a failure file so named is an ordinary row.
    expect(unmatchedRowOutcome(failureRow(9, "memory/failures/auto-x.md"), context(verifiedBefore)).finding?.type).toBe(
      "missing-file",
    );
  });

  it("is left alone, with no finding, when its file could not be read (last file or the one it belongs in)", () => {
    const row = failureRow(2, F1);
    expect(unmatchedRowOutcome(row, context({ problemPaths: new Set([F1]) }))).toEqual({
      leftAlone: true,
      finding: undefined,
    });
    expect(unmatchedRowOutcome(row, context({ problemPaths: new Set([F2]), lastPathOf: () => F2 }))).toEqual({
      leftAlone: true,
      finding: undefined,
    });
    expect(unmatchedRowOutcome(row, context({ problemPaths: new Set([F2]), ...verifiedBefore })).finding?.type).toBe(
      "missing-file",
    );
  });
});

describe("matchRecords", () => {
  it("an in-sync journal: every record paired, in path and line order, and nothing found", () => {
    const records = [
      heuristicRecord("x", 5, "s", { line: 17, loreId: LORE_B }),
      failureRecord(F1),
      heuristicRecord("x", 4, "r", { line: 7 }),
    ];
    const rows = [heuristicRow(4, "x", "r"), failureRow(1, F1), heuristicRow(5, "x", "s", LORE_B)];
    const result = matchRecords(records, rows, context());
    expect(pairsOf(result)).toEqual([
      [`${F1}:1`, "learnings:1"],
      ["memory/heuristics/x.md:7", "heuristics:4"],
      ["memory/heuristics/x.md:17", "heuristics:5"],
    ]);
    expect(result.findings).toEqual([]);
    expect(result.leftAlone).toEqual([]);
  });

  it("reports records (in path and line order) before rows (in the order given)", () => {
    const hook = failureRow(30, "auto-observations/a");
    const gone = heuristicRow(20, "y", "gone");
    const result = matchRecords(
      [heuristicRecord("x", undefined, "new", { line: 9 }), failureRecord(F1, { loreId: LORE_A })],
      [hook, gone],
      context(verifiedBefore),
    );
    expect(findingsOf(result).map((finding) => [finding[0], finding[1]])).toEqual([
      ["missing-row", F1],
      ["missing-row", "memory/heuristics/x.md"],
      ["hook-row", "auto-observations/a"],
      ["missing-file", "memory/heuristics/y.md"],
    ]);
    expect(result.leftAlone).toEqual([hook]);
  });
});

describe("three ways: the record and the row against what they agreed on at the last sync", () => {
  const base = recordFingerprint(heuristicRecord("x", 7, "r"));
  const withBase = context({ baseOf: () => base });

  it("a record and its row in sync have one fingerprint; any compared column changes it", () => {
    expect(rowFingerprint(heuristicRow(7, "x", "r"), heuristicRecord("x", 7, "r"))).toBe(base);
    expect(recordFingerprint(heuristicRecord("x", 7, "r2"))).not.toBe(base);
    const failure = failureRecord(F1);
    expect(rowFingerprint(failureRow(1, F1), failure)).toBe(recordFingerprint(failure));
    expect(rowFingerprint(failureRow(1, F1, null, { severity: 5 }), failure)).not.toBe(recordFingerprint(failure));
  });

  it("only the file changed: edited, the row follows the file", () => {
    const finding = changedPairFinding(heuristicRecord("x", 7, "r2"), heuristicRow(7, "x", "r"), false, withBase);
    expect(finding?.type).toBe("edited");
    expect(finding?.action.kind).toBe("update-row");
  });

  it("only the row changed (ELF's dashboard): db-edited, the markdown is rewritten from the row", () => {
    const record = heuristicRecord("x", 7, "r");
    const row = heuristicRow(7, "x", "r changed in the dashboard");
    const finding = changedPairFinding(record, row, false, withBase);
    expect(finding).toMatchObject({
      type: "db-edited",
      path: record.path,
      line: 7,
      row: { table: "heuristics", id: 7 },
    });
    expect(finding?.action).toEqual({ kind: "rewrite-record", record, row });
  });

  it("both changed: a conflict, left to a person unless --prefer settles it", () => {
    const record = heuristicRecord("x", 7, "file side");
    const row = heuristicRow(7, "x", "db side");
    expect(changedPairFinding(record, row, false, withBase)).toMatchObject({
      type: "conflict",
      action: { kind: "needs-a-person" },
    });
    expect(changedPairFinding(record, row, false, { ...withBase, prefer: "files" })?.action.kind).toBe("update-row");
    expect(changedPairFinding(record, row, false, { ...withBase, prefer: "db" })?.action).toEqual({
      kind: "rewrite-record",
      record,
      row,
    });
  });

  it("never verified together: the file wins, as before", () => {
    const finding = changedPairFinding(heuristicRecord("x", 7, "r2"), heuristicRow(7, "x", "r"), false, context());
    expect(finding?.type).toBe("edited");
    expect(
      changedPairFinding(heuristicRecord("x", 7, "r"), heuristicRow(7, "x", "r"), false, withBase),
    ).toBeUndefined();
  });

  it("an unchanged record whose row was deleted is db-deleted, once; a changed one is a missing-row", () => {
    const record = heuristicRecord("x", 7, "r");
    const deleted = [{ row: { table: "heuristics" as const, id: 7 }, path: record.path, base }];
    expect(deletedRowOf(heuristicRecord("x", 7, "edited since"), [...deleted])).toBeUndefined();
    const pending = [...deleted];
    expect(deletedRowOf(record, pending)).toEqual({ table: "heuristics", id: 7 });
    expect(deletedRowOf(record, pending)).toBeUndefined();
    const result = matchRecords([record], [], context({ deleted }));
    expect(findingsOf(result)).toEqual([
      [
        "db-deleted",
        record.path,
        7,
        "heuristics row 7 was deleted in the database since the last sync",
        "remove-record",
      ],
    ]);
    expect(matchRecords([heuristicRecord("x", 7, "edited")], [], context({ deleted })).findings[0].type).toBe(
      "missing-row",
    );
  });

  it("a row without a lore id that no sync ever matched is db-only: written to markdown, kept", () => {
    const learned = heuristicRow(12, "x", "[LEARNED] from a hook");
    const outcome = unmatchedRowOutcome(learned, context());
    expect(outcome.leftAlone).toBe(false);
    expect(outcome.finding).toMatchObject({ type: "db-only", path: "memory/heuristics/x.md" });
    expect(outcome.finding?.action).toEqual({ kind: "restore-file", row: learned });
    // With a lore id, lore wrote its file: the file lost it.
    expect(unmatchedRowOutcome(heuristicRow(13, "x", "r", LORE_A), context()).finding?.type).toBe("missing-file");
  });
});
