/**
 * The journal's full-text search index: an SQLite FTS5 table per record
 * table, `lore_search_learnings` and `lore_search_heuristics`, over the text
 * of every row of `learnings` and `heuristics`.
 *
 * Guarantee: the index changes in the same transaction as the row, whoever
 * writes the row. Triggers on both tables keep it (after INSERT, DELETE, and
 * UPDATE of a column it holds), so a row lore commits, a row ELF's scripts or
 * hooks insert, and a row ELF's dashboard edits are searchable, or gone from
 * the index, at that very commit. Nothing outside this module writes the
 * table.
 *
 *   Entry of a learnings row id N:   lore_search_learnings rowid N,  title = title, body = summary,
 *                                    tags = tags, domain = domain, source = NULL
 *   Entry of a heuristics row id N:  lore_search_heuristics rowid N, title = rule, body = explanation,
 *                                    tags = NULL, domain = domain, source = source_type
 *
 * The rowid is the row's id, so the triggers and a search reach an entry
 * through FTS5's rowid, never by a scan. A table each, not one for both
 * (schema version 9): a search reads each table's newest matches, and in one
 * table the lists of a word hold both tables' entries, so that the newest
 * matches of the smaller table sat behind those of the other, and a rare
 * phrase's were read twice (docs/PERFORMANCE.md). The entry
 * holds its own copy of the text (a regular FTS5 table, not an external
 * content one): snippets and matched fields come from it, and `lore sync`
 * compares it with the rows (`searchIndexDifferences`).
 * Tokens: FTS5's `unicode61` with diacritics removed, so `café` finds `cafe`;
 * prefixes of 3 to 6 characters are indexed too, so that a prefix search
 * (`dep*`, `deplo*`) reads one list instead of merging one per word it
 * starts (docs/DESIGN.md#search-ranking). Only what SQLite 3.40's FTS5
 * reads is used (no contentless delete, no locale), since ELF's Python and
 * `sqlite3` write these tables too, and their SQLite must run the triggers;
 * a SQLite built without FTS5 cannot write a record row once the index
 * exists (docs/DESIGN.md#the-search-index).
 *
 * Calling sequence, each inside a write transaction where it writes:
 *   - `rebuildSearchIndex(db)` drops the tables and their triggers where
 *     they are (the one table of schema versions 5 to 8 too), makes them anew
 *     and indexes every row, each table merged into one segment: the
 *     migration to schema version 9 makes the index with it, `lore sync
 *     --fix` repairs it, and `lore sync --rebuild` makes its candidate's
 *     once every row is in, having dropped it (`dropSearchIndex`) before the
 *     first;
 *   - `searchIndexLooksIntact(db, rows)` is sync's quick look on every run:
 *     the tables and triggers by name, each table's number of entries against
 *     its number of rows, and the entries of `rows` (those changed since sync
 *     last looked);
 *   - `searchIndexDifferences(db)` compares every entry with every row (one
 *     pass over each table): sync runs it with `--full`, or when the quick
 *     look found something, to say what differs.
 * Errors: what SQLite throws (a SQLite without FTS5: "no such module").
 */
import type Database from "better-sqlite3";
import { prepared } from "./prepared.js";

/** The indexed fields, in each table's column order (highlight() names a field by its place here). */
export const SEARCH_COLUMNS = ["title", "body", "tags", "domain", "source"] as const;
export type SearchColumn = (typeof SEARCH_COLUMNS)[number];

/** For each record table: its index table, and the row's column for each indexed field. */
export const INDEXED_TABLES = {
  learnings: {
    index: "lore_search_learnings",
    fields: { title: "title", body: "summary", tags: "tags", domain: "domain", source: null },
  },
  heuristics: {
    index: "lore_search_heuristics",
    fields: { title: "rule", body: "explanation", tags: null, domain: "domain", source: "source_type" },
  },
} as const satisfies Record<string, { index: string; fields: Record<SearchColumn, string | null> }>;
export type IndexedTable = keyof typeof INDEXED_TABLES;

/** The record tables, in the order their indexes are made and checked. */
export const INDEXED_TABLE_NAMES = Object.keys(INDEXED_TABLES) as IndexedTable[];

/**
 * The one index table of schema versions 5 to 8, the entry of a row at twice
 * its id plus its table's bit: a rebuild drops it where it is, and a search
 * reads it in a journal not migrated yet (read/search.ts).
 */
export const ONE_TABLE_INDEX = { name: "lore_search", bit: { learnings: 0, heuristics: 1 } } as const;

/** The triggers that keep the index, by name (the names of schema versions 5 to 8). */
export const SEARCH_TRIGGERS = INDEXED_TABLE_NAMES.flatMap((table) =>
  ["insert", "update", "delete"].map((event) => `lore_search_${table}_${event}`),
);

/** The values of an entry, from `row` (NEW in a trigger, or a table alias): rowid (the row's id) first, then each field. */
function entryValues(table: IndexedTable, row: string): string {
  const fields = INDEXED_TABLES[table].fields;
  return [`${row}.id`, ...SEARCH_COLUMNS.map((column) => (fields[column] ? `${row}.${fields[column]}` : "NULL"))].join(
    ", ",
  );
}

const ENTRY_COLUMNS = `rowid, ${SEARCH_COLUMNS.join(", ")}`;

function triggersOf(table: IndexedTable): string {
  const { index, fields } = INDEXED_TABLES[table];
  const watched = Object.values(fields).filter((column) => column !== null);
  const insert = `INSERT INTO ${index}(${ENTRY_COLUMNS}) VALUES (${entryValues(table, "NEW")});`;
  const remove = `DELETE FROM ${index} WHERE rowid = OLD.id;`;
  return `
CREATE TRIGGER IF NOT EXISTS lore_search_${table}_insert AFTER INSERT ON ${table}
BEGIN ${insert} END;
CREATE TRIGGER IF NOT EXISTS lore_search_${table}_update AFTER UPDATE OF id, ${watched.join(", ")} ON ${table}
BEGIN ${remove} ${insert} END;
CREATE TRIGGER IF NOT EXISTS lore_search_${table}_delete AFTER DELETE ON ${table}
BEGIN ${remove} END;`;
}

function fillFrom(db: Database.Database, table: IndexedTable): void {
  db.exec(
    `INSERT INTO ${INDEXED_TABLES[table].index}(${ENTRY_COLUMNS}) SELECT ${entryValues(table, "r")} FROM ${table} r`,
  );
}

/**
 * Drops the tables and their triggers where they are (the one table of
 * schema versions 5 to 8 too). Inside a write transaction, by a writer that
 * then inserts many rows one statement at a time and calls
 * `rebuildSearchIndex` once they are in (`lore sync --rebuild`): FTS5 writes
 * its pending terms out as a new segment at the end of every statement, so a
 * trigger's entry costs three times what the same entry costs in one
 * INSERT ... SELECT.
 */
export function dropSearchIndex(db: Database.Database): void {
  for (const trigger of SEARCH_TRIGGERS) db.exec(`DROP TRIGGER IF EXISTS ${trigger}`);
  for (const table of [ONE_TABLE_INDEX.name, ...INDEXED_TABLE_NAMES.map((name) => INDEXED_TABLES[name].index)]) {
    db.exec(`DROP TABLE IF EXISTS ${table}`);
  }
}

/**
 * Drops the tables and their triggers where they are, makes them anew and
 * indexes every row, in one INSERT ... SELECT per table, then merges each
 * table's segments into one (FTS5's `optimize`). Inside a write transaction.
 * New tables rather than their entries deleted: FTS5 would read each old
 * entry back to delete its terms. The merge: an INSERT of many rows leaves
 * FTS5 with a segment per megabyte or so of pending terms, half merged, and
 * a search reads every segment's list of each word; one segment made a
 * word's newest matches 2.6 x faster to find at 100,000 records, and a
 * phrase's 1.2 x, for about 3.5 s more (docs/PERFORMANCE.md).
 */
export function rebuildSearchIndex(db: Database.Database): void {
  dropSearchIndex(db);
  for (const table of INDEXED_TABLE_NAMES) {
    const { index } = INDEXED_TABLES[table];
    db.exec(
      `CREATE VIRTUAL TABLE ${index} USING fts5(${SEARCH_COLUMNS.join(", ")}, tokenize = 'unicode61 remove_diacritics 2', prefix = '3 4 5 6')`,
    );
    fillFrom(db, table);
    db.exec(`INSERT INTO ${index}(${index}) VALUES ('optimize')`);
    db.exec(triggersOf(table));
  }
}

/** The tables FTS5 keeps a regular table in. */
function shadowTablesOf(index: string): string[] {
  return ["data", "idx", "content", "docsize", "config"].map((name) => `${index}_${name}`);
}

/** The names of the tables and triggers `db` lacks: each index table, else those FTS5 keeps it in. */
function missingObjects(db: Database.Database): { tables: string[]; triggers: string[] } {
  const names = new Set(db.prepare("SELECT name FROM sqlite_master").pluck().all() as string[]);
  const absent = (name: string) => !names.has(name);
  return {
    tables: INDEXED_TABLE_NAMES.flatMap((table) => {
      const { index } = INDEXED_TABLES[table];
      return absent(index) ? [index] : shadowTablesOf(index).filter(absent);
    }),
    triggers: SEARCH_TRIGGERS.filter(absent),
  };
}

/** The SQL that holds when an entry `s` holds what row `r` of `table` gives it (`s` a LEFT JOIN: NULL when missing). */
function sameText(table: IndexedTable): string {
  const fields = INDEXED_TABLES[table].fields;
  return SEARCH_COLUMNS.map((column) => `s.${column} IS ${fields[column] ? `r.${fields[column]}` : "NULL"}`).join(
    " AND ",
  );
}

function rowCount(db: Database.Database, table: IndexedTable): number {
  return Number(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
}

/**
 * sync's quick look (about 16 ms at 100,000 rows, in a new process): the
 * tables and every trigger are there, each table has as many entries as its
 * record table has rows, and each of `rows` (the rows changed since sync
 * last looked; one that is gone must have no entry) has its entry, with its
 * text. True when all of these hold; false when one fails, or when `rows`
 * are more than a quarter of all rows (looked up one by one, they would cost
 * more than `searchIndexDifferences`, which the caller runs on false).
 * The entries are counted in FTS5's `_docsize` tables (one row per entry):
 * counting an index table itself reads every entry's text.
 */
export function searchIndexLooksIntact(
  db: Database.Database,
  rows: ReadonlyArray<{ table: IndexedTable; id: number }>,
): boolean {
  const missing = missingObjects(db);
  if (missing.tables.length > 0 || missing.triggers.length > 0) return false;
  let total = 0;
  for (const table of INDEXED_TABLE_NAMES) {
    const entries = Number(db.prepare(`SELECT count(*) FROM ${INDEXED_TABLES[table].index}_docsize`).pluck().get());
    const count = rowCount(db, table);
    if (entries !== count) return false;
    total += count;
  }
  if (rows.length * 4 > total) return false;
  return rows.every(({ table, id }) => {
    const { index } = INDEXED_TABLES[table];
    const row = prepared(
      db,
      `SELECT s.rowid IS NOT NULL AND ${sameText(table)} FROM ${table} r LEFT JOIN ${index} s ON s.rowid = r.id WHERE r.id = ?`,
    )
      .pluck()
      .get(id);
    if (row !== undefined) return row === 1;
    // Cast: better-sqlite3 binds a number as a REAL, and FTS5 then ignores a rowid constraint.
    return prepared(db, `SELECT 1 FROM ${index} WHERE rowid = CAST(? AS INTEGER)`).get(id) === undefined;
  });
}

export interface SearchIndexDifferences {
  /** An index table, or one FTS5 keeps it in, missing by name (the counts are then 0). */
  missingTables: string[];
  /** Triggers missing by name. */
  missingTriggers: string[];
  /** Rows with no entry, or whose entry holds other text. */
  stale: number;
  /** Entries with no row. */
  orphaned: number;
}

/**
 * How the index differs from the rows: every row's entry looked up by rowid
 * and compared (one pass over each table), and the entries counted; an entry
 * no row reached has no row.
 */
export function searchIndexDifferences(db: Database.Database): SearchIndexDifferences {
  const missing = missingObjects(db);
  if (missing.tables.length > 0)
    return { missingTables: missing.tables, missingTriggers: missing.triggers, stale: 0, orphaned: 0 };
  let stale = 0;
  let orphaned = 0;
  for (const table of INDEXED_TABLE_NAMES) {
    const { index } = INDEXED_TABLES[table];
    const counts = db
      .prepare(
        `SELECT count(s.rowid) AS reached, coalesce(sum(s.rowid IS NULL OR NOT (${sameText(table)})), 0) AS stale
         FROM ${table} r LEFT JOIN ${index} s ON s.rowid = r.id`,
      )
      .get() as { reached: number; stale: number };
    stale += counts.stale;
    orphaned += Number(db.prepare(`SELECT count(*) FROM ${index}`).pluck().get()) - counts.reached;
  }
  return { missingTables: [], missingTriggers: missing.triggers, stale, orphaned };
}

/** Whether the differences are none. */
export function searchIndexMatches(differences: SearchIndexDifferences): boolean {
  return (
    differences.missingTables.length === 0 &&
    differences.missingTriggers.length === 0 &&
    differences.stale === 0 &&
    differences.orphaned === 0
  );
}
