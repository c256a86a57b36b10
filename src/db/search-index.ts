/**
 * The journal's full-text search index: one SQLite FTS5 table, `lore_search`,
 * over the text of every row of `learnings` and `heuristics`.
 *
 * Guarantee: the index changes in the same transaction as the row, whoever
 * writes the row. Triggers on both tables keep it (after INSERT, DELETE, and
 * UPDATE of a column it holds), so a row lore commits, a row ELF's scripts or
 * hooks insert, and a row ELF's dashboard edits are searchable, or gone from
 * the index, at that very commit. Nothing outside this module writes the
 * table.
 *
 *   Entry of a learnings row id N:   rowid 2N,     title = title,  body = summary,
 *                                    tags = tags,  domain = domain, source = NULL
 *   Entry of a heuristics row id N:  rowid 2N+1,   title = rule,   body = explanation,
 *                                    tags = NULL,  domain = domain, source = source_type
 *
 * The rowid names the row (its table is the low bit), so the triggers and a
 * search reach an entry through FTS5's rowid, never by a scan. The entry
 * holds its own copy of the text (a regular FTS5 table, not an external
 * content one): snippets and matched fields come from it, and `lore sync`
 * compares it with the rows (`searchIndexDifferences`).
 * Tokens: FTS5's `unicode61` with diacritics removed, so `café` finds `cafe`;
 * prefixes of 3 and 4 characters are indexed too, so that a short prefix
 * search (`dep*`) reads one list instead of merging one per word it starts
 * (docs/DESIGN.md#the-search-index).
 * Only what SQLite 3.40's FTS5 reads is used (no contentless delete, no
 * locale), since ELF's Python and `sqlite3` write these tables too, and
 * their SQLite must run the triggers; a SQLite built without FTS5 cannot
 * write a record row once the index exists (docs/DESIGN.md#the-search-index).
 *
 * Calling sequence: `createSearchIndex(db)` in a migration (inside a write
 * transaction) makes the table and triggers and indexes every row;
 * `rebuildSearchIndex(db)` empties and refills it (sync's repair), and makes
 * the rank indexes (RANK_INDEXES) where missing;
 * `searchIndexDifferences(db)` tells how it differs from the rows.
 */
import type Database from "better-sqlite3";

export const SEARCH_TABLE = "lore_search";

/** The indexed fields, in the table's column order (bm25 weights follow this order). */
export const SEARCH_COLUMNS = ["title", "body", "tags", "domain", "source"] as const;
export type SearchColumn = (typeof SEARCH_COLUMNS)[number];

/** For each record table: the row's column for each indexed field, and the low bit of its rowid. */
export const INDEXED_TABLES = {
  learnings: {
    bit: 0,
    fields: { title: "title", body: "summary", tags: "tags", domain: "domain", source: null },
  },
  heuristics: {
    bit: 1,
    fields: { title: "rule", body: "explanation", tags: null, domain: "domain", source: "source_type" },
  },
} as const satisfies Record<string, { bit: 0 | 1; fields: Record<SearchColumn, string | null> }>;
export type IndexedTable = keyof typeof INDEXED_TABLES;

/**
 * An index per table holding what a search's ranking reads of each matching
 * row besides its text (its age, a heuristic's standing): a search reads a
 * few hundred such rows, and the row itself is long (a failure's summary
 * comes before its created_at). Searches name it (INDEXED BY).
 */
export const RANK_INDEXES = {
  learnings: { name: "idx_lore_learnings_search_rank", columns: ["id", "type", "created_at"] },
  heuristics: {
    name: "idx_lore_heuristics_search_rank",
    columns: ["id", "created_at", "confidence", "times_validated", "is_golden"],
  },
} as const satisfies Record<string, { name: string; columns: readonly string[] }>;

/** The triggers that keep the index, by name. */
export const SEARCH_TRIGGERS = Object.keys(INDEXED_TABLES).flatMap((table) =>
  ["insert", "update", "delete"].map((event) => `${SEARCH_TABLE}_${table}_${event}`),
);

/** `row.id`'s entry rowid in `table` (row is NEW or OLD in a trigger, or a table alias). */
function entryRowid(table: IndexedTable, row: string): string {
  return `${row}.id * 2 + ${INDEXED_TABLES[table].bit}`;
}

/** The values of an entry, from `row` (NEW in a trigger, or a table alias): rowid first, then each field. */
function entryValues(table: IndexedTable, row: string): string {
  const fields = INDEXED_TABLES[table].fields;
  return [
    entryRowid(table, row),
    ...SEARCH_COLUMNS.map((column) => (fields[column] ? `${row}.${fields[column]}` : "NULL")),
  ].join(", ");
}

const ENTRY_COLUMNS = `rowid, ${SEARCH_COLUMNS.join(", ")}`;

function triggersOf(table: IndexedTable): string {
  const watched = Object.values(INDEXED_TABLES[table].fields).filter((column) => column !== null);
  const insert = `INSERT INTO ${SEARCH_TABLE}(${ENTRY_COLUMNS}) VALUES (${entryValues(table, "NEW")});`;
  const remove = `DELETE FROM ${SEARCH_TABLE} WHERE rowid = ${entryRowid(table, "OLD")};`;
  return `
CREATE TRIGGER IF NOT EXISTS ${SEARCH_TABLE}_${table}_insert AFTER INSERT ON ${table}
BEGIN ${insert} END;
CREATE TRIGGER IF NOT EXISTS ${SEARCH_TABLE}_${table}_update AFTER UPDATE OF id, ${watched.join(", ")} ON ${table}
BEGIN ${remove} ${insert} END;
CREATE TRIGGER IF NOT EXISTS ${SEARCH_TABLE}_${table}_delete AFTER DELETE ON ${table}
BEGIN ${remove} END;`;
}

function fillFrom(db: Database.Database, table: IndexedTable): void {
  db.exec(`INSERT INTO ${SEARCH_TABLE}(${ENTRY_COLUMNS}) SELECT ${entryValues(table, "r")} FROM ${table} r`);
}

/** Makes the table and its triggers where missing, and indexes every row. Inside a write transaction. */
export function createSearchIndex(db: Database.Database): void {
  db.exec(
    `CREATE VIRTUAL TABLE IF NOT EXISTS ${SEARCH_TABLE} USING fts5(${SEARCH_COLUMNS.join(", ")}, tokenize = 'unicode61 remove_diacritics 2', prefix = '3 4')`,
  );
  rebuildSearchIndex(db);
}

/** Drops and makes again the triggers, empties the table and indexes every row; makes a missing rank index. Inside a write transaction. */
export function rebuildSearchIndex(db: Database.Database): void {
  for (const trigger of SEARCH_TRIGGERS) db.exec(`DROP TRIGGER IF EXISTS ${trigger}`);
  db.exec(`DELETE FROM ${SEARCH_TABLE}`);
  for (const table of Object.keys(INDEXED_TABLES) as IndexedTable[]) {
    fillFrom(db, table);
    db.exec(triggersOf(table));
    const rank = RANK_INDEXES[table];
    db.exec(`CREATE INDEX IF NOT EXISTS ${rank.name} ON ${table}(${rank.columns.join(", ")})`);
  }
}

export interface SearchIndexDifferences {
  /** The table is missing (the other counts are then 0). */
  missingTable: boolean;
  /** Triggers missing by name. */
  missingTriggers: string[];
  /** Rank indexes (RANK_INDEXES) missing by name. */
  missingIndexes: string[];
  /** Rows with no entry, or whose entry holds other text. */
  stale: number;
  /** Entries with no row. */
  orphaned: number;
}

/** How the index differs from the rows: a full comparison, one pass over each table. */
export function searchIndexDifferences(db: Database.Database): SearchIndexDifferences {
  const names = new Set(db.prepare("SELECT name FROM sqlite_master").pluck().all() as string[]);
  const missingTriggers = SEARCH_TRIGGERS.filter((trigger) => !names.has(trigger));
  const missingIndexes = Object.values(RANK_INDEXES)
    .map((index) => index.name)
    .filter((name) => !names.has(name));
  if (!names.has(SEARCH_TABLE)) return { missingTable: true, missingTriggers, missingIndexes, stale: 0, orphaned: 0 };
  let stale = 0;
  let orphaned = 0;
  for (const [table, { bit, fields }] of Object.entries(INDEXED_TABLES)) {
    const same = SEARCH_COLUMNS.map((column) => `s.${column} IS ${fields[column] ? `r.${fields[column]}` : "NULL"}`);
    stale += Number(
      db
        .prepare(
          `SELECT count(*) FROM ${table} r LEFT JOIN ${SEARCH_TABLE} s ON s.rowid = r.id * 2 + ${bit} WHERE s.rowid IS NULL OR NOT (${same.join(" AND ")})`,
        )
        .pluck()
        .get(),
    );
    orphaned += Number(
      db
        .prepare(
          `SELECT count(*) FROM ${SEARCH_TABLE} s WHERE s.rowid % 2 = ${bit} AND NOT EXISTS (SELECT 1 FROM ${table} r WHERE r.id = s.rowid / 2)`,
        )
        .pluck()
        .get(),
    );
  }
  return { missingTable: false, missingTriggers, missingIndexes, stale, orphaned };
}

/** Whether the differences are none. */
export function searchIndexMatches(differences: SearchIndexDifferences): boolean {
  return (
    !differences.missingTable &&
    differences.missingTriggers.length === 0 &&
    differences.missingIndexes.length === 0 &&
    differences.stale === 0 &&
    differences.orphaned === 0
  );
}
