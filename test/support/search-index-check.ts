// The search index checked against the rows, for the invariants of the tests,
// the chaos harness and the power-loss simulator. Written apart from sync's
// own comparison (src/db/search-index.ts searchIndexDifferences), so that a
// mistake there cannot hide one in the triggers: every row's entry is worked
// out here, in JavaScript, from the mapping the index promises (a table per
// record table, the entry of row N at rowid N, and each field's column).
import type BetterSqlite3 from "better-sqlite3";
import { SEARCH_TRIGGERS } from "../../src/db/search-index.js";

const FIELDS = ["title", "body", "tags", "domain", "source"] as const;

/** Each record table's index table, and the entry each of its rows gives it: its rowid, then the fields in FIELDS' order. */
const ENTRY_OF = {
  learnings: {
    index: "lore_search_learnings",
    query: "SELECT id AS rowid, title, summary AS body, tags, domain, NULL AS source FROM learnings",
  },
  heuristics: {
    index: "lore_search_heuristics",
    query:
      "SELECT id AS rowid, rule AS title, explanation AS body, NULL AS tags, domain, source_type AS source FROM heuristics",
  },
} as const;

type Entry = Record<(typeof FIELDS)[number], unknown> & { rowid: number };

/** How `db`'s search index differs from its rows, one readable line each (none: it matches). */
export function searchIndexViolations(db: BetterSqlite3.Database): string[] {
  const names = new Set(db.prepare("SELECT name FROM sqlite_master").pluck().all() as string[]);
  const problems = SEARCH_TRIGGERS.filter((name) => !names.has(name)).map((name) => `search trigger ${name} missing`);
  for (const [table, { index, query }] of Object.entries(ENTRY_OF)) {
    if (!names.has(index)) {
      problems.push(`search table ${index} missing`);
      continue;
    }
    const entries = new Map(
      (db.prepare(`SELECT rowid, ${FIELDS.join(", ")} FROM ${index}`).all() as Entry[]).map((entry) => [
        entry.rowid,
        entry,
      ]),
    );
    for (const expected of db.prepare(query).all() as Entry[]) {
      const entry = entries.get(expected.rowid);
      const row = `${table} row ${expected.rowid}`;
      if (!entry) problems.push(`${row} has no search entry`);
      else {
        const differing = FIELDS.filter((field) => entry[field] !== expected[field]);
        if (differing.length > 0) problems.push(`${row}'s search entry differs in ${differing.join(", ")}`);
      }
      entries.delete(expected.rowid);
    }
    for (const rowid of entries.keys()) problems.push(`${index} entry ${rowid} has no row`);
  }
  return problems;
}
