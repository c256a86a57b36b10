/**
 * The rows sync compares with the markdown, loaded a few at a time or all at
 * once.
 *
 *   const rows = new RowSet();
 *   rows.add(loadRows(db, refs));                     // returns the rows new to the set
 *   rows.add(rowsWithLoreIds(db, "heuristics", ids));
 *
 * In scope are every `heuristics` row and the `learnings` rows of type
 * `failure`, those of type `observation` whose `filepath` names one of lore's
 * observation files (`memory/successes/obs_...`), and those with a
 * `filepath` starting `auto-` (the rows ELF's hooks insert for files that
 * never existed). Other learnings (ELF's successes and patterns,
 * experiments, observations with files of their own) are not lore's and are
 * never loaded, so never changed (`isLoresLearning` says the same of a row
 * read whole, for a rebuild). Reads only.
 * Row objects are never changed.
 */
import type Database from "better-sqlite3";
import { OBSERVATION_FILE_PREFIX, type RecordTable, SUCCESSES_DIR } from "../journal/journal-file.js";
import type { RowRef } from "./sync-cache.js";
import { prepared } from "../db/prepared.js";

export interface Row {
  table: RecordTable;
  id: number;
  loreId: string | null;
  /** The whole row as SQLite returned it. */
  values: Record<string, string | number | null>;
}

const OBSERVATION_FILES = `${SUCCESSES_DIR}/${OBSERVATION_FILE_PREFIX}`;

const IN_SCOPE: Record<RecordTable, string> = {
  learnings:
    "(type = 'failure' OR filepath LIKE 'auto-%' OR " +
    `(type = 'observation' AND substr(filepath, 1, ${OBSERVATION_FILES.length}) = '${OBSERVATION_FILES}'))`,
  heuristics: "1",
};

/** Whether a `learnings` row, read whole, is in sync's scope (IN_SCOPE's `learnings`, in JavaScript). */
export function isLoresLearning(values: Record<string, unknown>): boolean {
  const filepath = String(values.filepath);
  return (
    values.type === "failure" ||
    filepath.startsWith("auto-") ||
    (values.type === "observation" && filepath.startsWith(OBSERVATION_FILES))
  );
}

/** A learnings row that ELF's hooks inserted for a file that never existed. */
export function isHookRow(row: Row): boolean {
  return row.table === "learnings" && String(row.values.filepath ?? "").startsWith("auto-");
}

export function rowKey(table: RecordTable, id: number): string {
  return `${table}:${id}`;
}

type Values = Row["values"];

/** Columns whose values repeat across rows (a domain, a tag list, the type): each value held once. */
const REPEATING = new Set(["type", "domain", "tags", "source_type"]);

/**
 * The repeating strings read on each connection: a row's type, domain, tags
 * and source are held once however many rows carry them.
 */
const stringsRead = new WeakMap<Database.Database, Map<string, string>>();

/** `values` with its repeating strings shared with the rows read before (the same strings, fewer copies). */
function shareStrings(values: Values, strings: Map<string, string>): Values {
  for (const column in values) {
    const value = values[column];
    if (typeof value !== "string" || !REPEATING.has(column)) continue;
    const known = strings.get(value);
    if (known === undefined) strings.set(value, value);
    else values[column] = known;
  }
  if (values.updated_at === values.created_at) values.updated_at = values.created_at;
  return values;
}

function toRow(db: Database.Database, table: RecordTable, values: Values): Row {
  let strings = stringsRead.get(db);
  if (!strings) {
    strings = new Map();
    stringsRead.set(db, strings);
  }
  return {
    table,
    id: Number(values.id),
    loreId: (values.lore_id as string | null) ?? null,
    values: shareStrings(values, strings),
  };
}

const CHUNK = 500;

function selectIn(
  db: Database.Database,
  table: RecordTable,
  column: string,
  keys: Array<string | number>,
  extra = "",
): Row[] {
  const rows: Row[] = [];
  const unique = [...new Set(keys)];
  for (let start = 0; start < unique.length; start += CHUNK) {
    const chunk = unique.slice(start, start + CHUNK);
    const sql = `SELECT * FROM ${table} WHERE ${IN_SCOPE[table]} AND ${column} IN (${chunk.map(() => "?").join(", ")})${extra}`;
    for (const values of prepared(db, sql).iterate(...chunk) as Iterable<Values>) rows.push(toRow(db, table, values));
  }
  return rows;
}

export function loadRows(db: Database.Database, refs: RowRef[]): Row[] {
  const byTable = new Map<RecordTable, number[]>();
  for (const ref of refs) {
    const ids = byTable.get(ref.table);
    if (ids) ids.push(ref.id);
    else byTable.set(ref.table, [ref.id]);
  }
  return [...byTable].flatMap(([table, ids]) => selectIn(db, table, "id", ids));
}

export function rowsWithLoreIds(db: Database.Database, table: RecordTable, loreIds: string[]): Row[] {
  return selectIn(db, table, "lore_id", loreIds);
}

/** Failure and observation rows stored under these file paths. */
export function failureRowsAt(db: Database.Database, filepaths: string[]): Row[] {
  return selectIn(db, "learnings", "filepath", filepaths);
}

/** Heuristic rows of these domains that carry no lore id (ELF's), the candidates for ELF's blocks. */
export function unidentifiedHeuristics(db: Database.Database, domains: string[]): Row[] {
  return selectIn(db, "heuristics", "domain", domains, " AND lore_id IS NULL");
}

/** Every row in scope, by table and id. */
export function rowRefsInScope(db: Database.Database): RowRef[] {
  const refs: RowRef[] = [];
  for (const table of ["learnings", "heuristics"] as const) {
    const ids = prepared(db, `SELECT id FROM ${table} WHERE ${IN_SCOPE[table]} ORDER BY id`).pluck().iterate();
    for (const id of ids as Iterable<number>) refs.push({ table, id });
  }
  return refs;
}

/** What says where these rows belong (a failure's filepath, a heuristic's domain), by table and id; a row that is gone is absent. */
export function homesOfRows(
  db: Database.Database,
  refs: RowRef[],
): Record<RecordTable, Map<number, Pick<Row, "table" | "values">>> {
  const homes: Record<RecordTable, Map<number, Pick<Row, "table" | "values">>> = {
    learnings: new Map(),
    heuristics: new Map(),
  };
  const column = { learnings: "filepath", heuristics: "domain" } as const;
  for (const table of ["learnings", "heuristics"] as const) {
    const ids = [...new Set(refs.filter((ref) => ref.table === table).map((ref) => ref.id))];
    for (let start = 0; start < ids.length; start += CHUNK) {
      const chunk = ids.slice(start, start + CHUNK);
      const sql = `SELECT id, ${column[table]} FROM ${table} WHERE id IN (${chunk.map(() => "?").join(", ")})`;
      for (const values of prepared(db, sql).iterate(...chunk) as Iterable<Values>)
        homes[table].set(Number(values.id), { table, values });
    }
  }
  return homes;
}

/** Rows by table and id, each once, in the order they were added; never those `skipped` names. */
export class RowSet {
  private readonly ids: Record<RecordTable, Set<number>> = { learnings: new Set(), heuristics: new Set() };
  private readonly rows: Row[] = [];

  constructor(private readonly skipped: { has(row: RowRef): boolean } = { has: () => false }) {}

  /** Adds the rows not yet present; returns those. */
  add(rows: Row[]): Row[] {
    const added: Row[] = [];
    for (const row of rows) {
      const ids = this.ids[row.table];
      if (ids.has(row.id) || this.skipped.has(row)) continue;
      ids.add(row.id);
      this.rows.push(row);
      added.push(row);
    }
    return added;
  }

  values(): Row[] {
    return [...this.rows];
  }
}
