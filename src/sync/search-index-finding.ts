/**
 * sync's finding about the full-text search index (db/search-index.ts):
 * whether the search index (`lore_search_learnings`, `lore_search_heuristics`)
 * matches the rows, and one line saying how it differs.
 *
 *   const finding = searchIndexFinding(db, { full, changedRows });   // undefined: it matches
 *
 * Every sync takes the quick look (`searchIndexLooksIntact`: the tables and
 * their triggers by name, as many entries as rows, the entries of the rows
 * changed since the last sync), about 16 ms at 100,000 records; `full`
 * (`--full`) compares every entry with its row, as sync does when the quick
 * look finds something, to say what differs. So a plain sync
 * finds a dropped table or trigger, an entry lost or left over, and a
 * changed row indexed wrongly; an unchanged row whose entry alone was
 * rewritten (through FTS5's own UPDATE) only `--full` finds.
 * The finding's action, `rebuild-search-index`, is applied inside the fix's
 * own transaction, after the row actions (apply-plan.ts). Reads only; throws
 * what SQLite throws.
 * Design: docs/DESIGN.md#the-search-index
 */
import type Database from "better-sqlite3";
import {
  type SearchIndexDifferences,
  searchIndexDifferences,
  searchIndexLooksIntact,
  searchIndexMatches,
} from "../db/search-index.js";
import type { Finding } from "./match.js";
import type { RowRef } from "./sync-cache.js";

function counted(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** What differs, in one line. */
export function describeDifferences(differences: SearchIndexDifferences): string {
  const { missingTables, missingTriggers, stale, orphaned } = differences;
  const parts: string[] = [];
  if (missingTables.length > 0)
    parts.push(`${missingTables.length === 1 ? "table" : "tables"} missing: ${missingTables.join(", ")}`);
  if (missingTriggers.length > 0)
    parts.push(`${missingTriggers.length === 1 ? "trigger" : "triggers"} missing: ${missingTriggers.join(", ")}`);
  if (stale > 0) parts.push(`${counted(stale, "row", "rows")} not indexed, or indexed with other text`);
  if (orphaned > 0) parts.push(`${counted(orphaned, "entry", "entries")} without a row`);
  return parts.join("; ");
}

export function searchIndexFinding(
  db: Database.Database,
  options: { full: boolean; changedRows: readonly RowRef[] },
): Finding | undefined {
  if (!options.full && searchIndexLooksIntact(db, options.changedRows)) return undefined;
  const differences = searchIndexDifferences(db);
  if (searchIndexMatches(differences)) return undefined;
  return {
    type: "search-index",
    path: "memory/index.db",
    detail: describeDifferences(differences),
    action: { kind: "rebuild-search-index" },
  };
}
