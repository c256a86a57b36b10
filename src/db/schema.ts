/**
 * The journal database schema and its migrations.
 *
 * The `learnings` and `heuristics` tables, columns, indexes and validation
 * triggers are ELF's, so ELF's readers read what lore writes. lore only adds:
 *   - version 1: a `lore_id` column on both tables (the stable record id that
 *     also stands in the markdown), unique where set, and the `lore_meta` table
 *     with the schema version;
 *   - version 2, for `lore sync` (src/sync): an index on `learnings.filepath`;
 *     `lore_files` (each journal file as sync last verified it: stat, content
 *     id, and whether it differed from git's index) and `lore_file_rows` (which
 *     rows its records matched); `lore_dirty`, filled by triggers with every
 *     row inserted, deleted, or changed in a column sync compares, by anyone,
 *     ELF's tools included, so sync re-checks exactly those rows; and
 *     `lore_archive`, where sync keeps rows it takes out of the index (with
 *     their DB-only data) so that nothing is ever lost. Upgrading to version 2
 *     marks every existing row for checking;
 *   - version 3, a whole ELF journal: the rest of ELF's schema (elf-tables.ts:
 *     every other table, index and seed row of ELF's init_db.sql, and the
 *     `decisions` and `invariants` tables ELF's query.py creates). Upgrading to
 *     version 3 marks every failure row for checking, since sync now expects
 *     the whole summary in `learnings.summary`, as ELF stores it, where lore
 *     used to store its first line. It also adds `lore_file_rows.base`, what
 *     a matched record and its row agreed on when sync last verified them;
 *   - version 4: `lore_dirty.seq`, a number each mark takes (the triggers give
 *     a changed row the next one, even when it was marked already), so a sync
 *     clears only the marks it saw, never a change made while it ran;
 *   - version 5: the full-text search index `lore_search` and its triggers
 *     (search-index.ts), filled with every row when it is made;
 *   - version 6: the search index also indexes prefixes of 5 and 6
 *     characters; it is made anew (about 13 s at 100,000 records, once);
 *   - version 7: `lore_feedback_applied` and `lore_feedback_base`, what the
 *     database holds of the journal's feedback events (feedback-rows.ts).
 *     Upgrading to version 7 gives every existing row a base of no
 *     validations, not golden, at the confidence it has;
 *   - version 8, so that a sync with nothing changed reads neither every
 *     heuristic nor every feedback file: `lore_feedback_touched` and its
 *     triggers, which mark each row whose standing changes, by anyone
 *     (feedback-rows.ts), and `lore_feedback_files`, each feedback file as
 *     sync last verified it (its stat), in sync's cache (sync/sync-cache.ts).
 *     Upgrading to version 8 marks every row that differs from its base: the
 *     rows ELF's hooks changed before version 7 (their base has none of it)
 *     or since the last sync, with no trigger to mark them then;
 *   - version 9: the search index is a table per record table,
 *     `lore_search_learnings` and `lore_search_heuristics`, each entry's
 *     rowid its row's id, instead of one table for both (search-index.ts
 *     says why); it is made anew, once;
 *   - version 10: the covering indexes versions 5 to 9 made for a search's
 *     ranking, `idx_lore_learnings_search_rank` and
 *     `idx_lore_heuristics_search_rank`, are dropped: a search reads its
 *     candidate rows by id since, and they cost every write of a row.
 *
 * `learnings` and `heuristics` keep lore's definitions, in new journals too:
 * ELF's columns, types, defaults, indexes and trigger names, with the checks of
 * ELF's CHECK constraints and triggers made by the triggers alone.
 *
 * Migrations add, and drop only lore's own search objects: the migrations to
 * versions 6 and 9 drop the search index and make it anew, the one to
 * version 10 drops the rank indexes. They never drop or rewrite any other
 * table, a column or a row, so running lore on an existing ELF database
 * keeps everything in it. A table that exists is kept as it is, whatever its
 * columns; an index of ELF's is made only where its table has the columns it
 * names.
 * `migrate(db)` must run inside a write transaction; `schemaVersion(db)` reads
 * the version (0 for a database lore never touched).
 */
import type Database from "better-sqlite3";
import { ELF_INDEXES, ELF_SEED_ROWS, ELF_TABLES } from "./elf-tables.js";
import { rebuildSearchIndex } from "./search-index.js";
import { FEEDBACK_BASE_OF_EXISTING_ROWS, FEEDBACK_TABLES, MARK_ROWS_OFF_THEIR_BASE } from "./feedback-rows.js";

export const CURRENT_SCHEMA_VERSION = 10;

/** ELF's validation triggers: the same checks before every INSERT and UPDATE. */
function validationTriggers(table: string, cases: string): string {
  return ["insert", "update"]
    .map(
      (event) => `CREATE TRIGGER IF NOT EXISTS ${table}_validate_${event} BEFORE ${event.toUpperCase()} ON ${table}
BEGIN
  SELECT CASE
${cases}
  END;
END;`,
    )
    .join("\n");
}

const RECORD_TABLES = `
CREATE TABLE IF NOT EXISTS learnings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  filepath TEXT NOT NULL,
  title TEXT NOT NULL,
  summary TEXT,
  tags TEXT,
  domain TEXT,
  severity INTEGER DEFAULT 3,
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_learnings_domain ON learnings(domain);
CREATE INDEX IF NOT EXISTS idx_learnings_type ON learnings(type);
CREATE INDEX IF NOT EXISTS idx_learnings_tags ON learnings(tags);
CREATE INDEX IF NOT EXISTS idx_learnings_created_at ON learnings(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_learnings_domain_created ON learnings(domain, created_at DESC);
${validationTriggers(
  "learnings",
  `    WHEN NEW.type NOT IN ('failure', 'success', 'heuristic', 'experiment', 'observation')
      THEN RAISE(ABORT, 'Invalid learning type')
    WHEN NEW.severity IS NOT NULL AND (NEW.severity < 1 OR NEW.severity > 5)
      THEN RAISE(ABORT, 'Severity must be between 1 and 5')`,
)}

CREATE TABLE IF NOT EXISTS heuristics (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  domain TEXT NOT NULL,
  rule TEXT NOT NULL,
  explanation TEXT,
  source_type TEXT,
  source_id INTEGER,
  confidence REAL DEFAULT 0.5,
  times_validated INTEGER DEFAULT 0,
  times_violated INTEGER DEFAULT 0,
  is_golden INTEGER DEFAULT 0,
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_heuristics_domain ON heuristics(domain);
CREATE INDEX IF NOT EXISTS idx_heuristics_golden ON heuristics(is_golden);
CREATE INDEX IF NOT EXISTS idx_heuristics_confidence ON heuristics(confidence);
CREATE INDEX IF NOT EXISTS idx_heuristics_created_at ON heuristics(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_heuristics_domain_confidence ON heuristics(domain, confidence DESC);
${validationTriggers(
  "heuristics",
  `    WHEN NEW.confidence IS NOT NULL AND (NEW.confidence < 0.0 OR NEW.confidence > 1.0)
      THEN RAISE(ABORT, 'Confidence must be between 0.0 and 1.0')
    WHEN NEW.times_validated < 0 OR NEW.times_violated < 0
      THEN RAISE(ABORT, 'Validation counts cannot be negative')`,
)}
`;

const LORE_META = `
CREATE TABLE IF NOT EXISTS lore_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

/** The columns of each record table that sync compares with the markdown. */
const COMPARED_COLUMNS = {
  learnings: ["type", "filepath", "title", "summary", "tags", "domain", "severity", "lore_id"],
  heuristics: ["domain", "rule", "explanation", "source_type", "lore_id"],
} as const;

/** The dirty-marking triggers; each mark takes the next `seq`, so a change made after sync looked is never cleared by it. */
const DIRTY_TRIGGERS = ["insert", "update", "delete"].flatMap((event) =>
  ["learnings", "heuristics"].map((table) => `lore_dirty_${table}_${event}`),
);

function dirtyTriggers(table: keyof typeof COMPARED_COLUMNS): string {
  const mark = (row: "NEW" | "OLD") =>
    `INSERT INTO lore_dirty(tbl, row_id, seq) VALUES ('${table}', ${row}.id, (SELECT coalesce(max(seq), 0) + 1 FROM lore_dirty)) ON CONFLICT(tbl, row_id) DO UPDATE SET seq = excluded.seq;`;
  return `
CREATE TRIGGER IF NOT EXISTS lore_dirty_${table}_insert AFTER INSERT ON ${table}
BEGIN ${mark("NEW")} END;
CREATE TRIGGER IF NOT EXISTS lore_dirty_${table}_update AFTER UPDATE OF id, ${COMPARED_COLUMNS[table].join(", ")} ON ${table}
BEGIN ${mark("OLD")} ${mark("NEW")} END;
CREATE TRIGGER IF NOT EXISTS lore_dirty_${table}_delete AFTER DELETE ON ${table}
BEGIN ${mark("OLD")} END;`;
}

const SYNC_TABLES = `
CREATE INDEX IF NOT EXISTS idx_lore_learnings_filepath ON learnings(filepath);
CREATE TABLE IF NOT EXISTS lore_files (
  path TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  ino TEXT NOT NULL,
  content_id TEXT NOT NULL,
  verified_at_ms REAL NOT NULL,
  worktree_dirty INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_lore_files_dirty ON lore_files(path) WHERE worktree_dirty = 1;
CREATE TABLE IF NOT EXISTS lore_file_rows (
  tbl TEXT NOT NULL,
  row_id INTEGER NOT NULL,
  path TEXT NOT NULL,
  PRIMARY KEY (tbl, row_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_lore_file_rows_path ON lore_file_rows(path);
CREATE TABLE IF NOT EXISTS lore_dirty (
  tbl TEXT NOT NULL,
  row_id INTEGER NOT NULL,
  seq INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tbl, row_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_lore_dirty_seq ON lore_dirty(seq);
CREATE TABLE IF NOT EXISTS lore_archive (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tbl TEXT NOT NULL,
  row_id INTEGER NOT NULL,
  lore_id TEXT,
  match_key TEXT NOT NULL,
  row_json TEXT NOT NULL,
  reason TEXT NOT NULL,
  archived_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_lore_archive_lore_id ON lore_archive(lore_id);
CREATE INDEX IF NOT EXISTS idx_lore_archive_key ON lore_archive(tbl, match_key);
CREATE TABLE IF NOT EXISTS lore_feedback_files (
  path TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  ino TEXT NOT NULL,
  verified_at_ms REAL NOT NULL
) WITHOUT ROWID;
${dirtyTriggers("learnings")}
${dirtyTriggers("heuristics")}
`;

/** The covering indexes versions 5 to 9 made for a search's ranking, dropped by the migration to version 10. */
const SEARCH_RANK_INDEXES = ["idx_lore_learnings_search_rank", "idx_lore_heuristics_search_rank"] as const;

function columnsOf(db: Database.Database, table: string): Set<string> {
  const columns = db.prepare(`PRAGMA table_info("${table}")`).all() as Array<{ name: string }>;
  return new Set(columns.map((entry) => entry.name));
}

function hasColumn(db: Database.Database, table: string, column: string): boolean {
  return columnsOf(db, table).has(column);
}

/** The column an index entry names: `created_at DESC` names `created_at`. */
function indexedColumn(entry: string): string {
  return entry.replace(/ DESC$/, "");
}

/** ELF's other tables, their indexes (where they fit the table as it is) and seed rows (where missing). */
function addElfTables(db: Database.Database): void {
  for (const table of ELF_TABLES) db.exec(table);
  const names = new Set(db.prepare("SELECT name FROM sqlite_master").pluck().all() as string[]);
  for (const index of ELF_INDEXES) {
    const columns = columnsOf(db, index.table);
    if (names.has(index.name) || !index.columns.every((entry) => columns.has(indexedColumn(entry)))) continue;
    db.exec(`CREATE INDEX IF NOT EXISTS ${index.name} ON ${index.table}(${index.columns.join(", ")})`);
  }
  for (const seed of ELF_SEED_ROWS) {
    const columns = columnsOf(db, seed.table);
    const keys = Object.keys(seed.values);
    if (!keys.every((key) => columns.has(key))) continue;
    db.prepare(
      `INSERT OR IGNORE INTO ${seed.table} (${keys.join(", ")}) VALUES (${keys.map((key) => `@${key}`).join(", ")})`,
    ).run(seed.values);
  }
}

function addLoreIdColumn(db: Database.Database, table: "learnings" | "heuristics"): void {
  if (!hasColumn(db, table, "lore_id")) db.exec(`ALTER TABLE ${table} ADD COLUMN lore_id TEXT`);
  db.exec(`CREATE UNIQUE INDEX IF NOT EXISTS idx_${table}_lore_id ON ${table}(lore_id) WHERE lore_id IS NOT NULL`);
}

/** The lore schema version of `db`: 0 when lore never migrated it. */
export function schemaVersion(db: Database.Database): number {
  try {
    const row = db.prepare("SELECT value FROM lore_meta WHERE key = 'schema_version'").get() as
      | { value: string }
      | undefined;
    return row ? Number(row.value) : 0;
  } catch {
    return 0;
  }
}

/**
 * Brings `db` to CURRENT_SCHEMA_VERSION by adding what it lacks; it drops
 * only lore's own search objects of older versions (the search index it makes
 * anew, the rank indexes). Call inside a write transaction.
 */
export function migrate(db: Database.Database): void {
  const from = schemaVersion(db);
  db.exec(RECORD_TABLES);
  addElfTables(db);
  db.exec(LORE_META);
  addLoreIdColumn(db, "learnings");
  addLoreIdColumn(db, "heuristics");
  // Version 4: lore_dirty's marks are numbered, and its triggers number them.
  if (columnsOf(db, "lore_dirty").size > 0 && !hasColumn(db, "lore_dirty", "seq")) {
    db.exec("ALTER TABLE lore_dirty ADD COLUMN seq INTEGER NOT NULL DEFAULT 0");
  }
  if (from < 4) for (const trigger of DIRTY_TRIGGERS) db.exec(`DROP TRIGGER IF EXISTS ${trigger}`);
  db.exec(SYNC_TABLES);
  db.exec(FEEDBACK_TABLES);
  // Version 3: the compared columns each matched row and its record agreed on, the base of sync's three-way compare.
  if (!hasColumn(db, "lore_file_rows", "base")) db.exec("ALTER TABLE lore_file_rows ADD COLUMN base TEXT");
  if (from < 2) {
    // Rows from before the triggers: sync has never verified them.
    db.exec("INSERT OR IGNORE INTO lore_dirty(tbl, row_id) SELECT 'learnings', id FROM learnings");
    db.exec("INSERT OR IGNORE INTO lore_dirty(tbl, row_id) SELECT 'heuristics', id FROM heuristics");
  }
  if (from < 3) {
    // Failure rows sync verified against the first summary line: verify them again.
    db.exec(
      "INSERT OR IGNORE INTO lore_dirty(tbl, row_id) SELECT 'learnings', id FROM learnings WHERE type = 'failure'",
    );
  }
  if (from < 9) rebuildSearchIndex(db);
  if (from < 7) db.exec(FEEDBACK_BASE_OF_EXISTING_ROWS);
  if (from < 8) db.exec(MARK_ROWS_OFF_THEIR_BASE);
  // Version 10: nothing reads the rank indexes since (a search reads its rows by id), and they cost every write.
  if (from < 10) for (const index of SEARCH_RANK_INDEXES) db.exec(`DROP INDEX IF EXISTS ${index}`);
  db.prepare("INSERT OR REPLACE INTO lore_meta(key, value) VALUES ('schema_version', ?)").run(
    String(CURRENT_SCHEMA_VERSION),
  );
}
