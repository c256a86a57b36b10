/**
 * Full-text search over a journal's records: the ranked hits of a search
 * text, with the fields each one matched and a snippet of the best one.
 *
 *   const journal = openReadJournal(layout);
 *   const result = journal.snapshot(() => searchJournal(journal, { text, limit: 10 }));
 *   // result.hits: best first; result.searched: what was searched, for "nothing found"
 *
 * Reads only the search index (`lore_search`, src/db/search-index.ts) and the
 * rows of its hits; writes nothing, takes no lock. The text is made an FTS5
 * query by search-text.ts, so no text is an SQL or FTS5 error; a bad one is
 * InvalidFieldError (exit 2). A journal without the index (a database lore
 * has not migrated since the index came, or whose index was dropped) is
 * `SearchIndexMissingError` (exit 3: `lore sync --fix` makes it).
 *
 * Ranking (docs/DESIGN.md#search-ranking): the candidates are the newest
 * POOL matches of each table (by row id: all of them, unless the text
 * matches more than POOL failures or POOL heuristics); each is scored
 *
 *   score = relevance x standing x recency
 *   relevance = -bm25, the fields weighted title 4, tags 2, domain 2,
 *               body 1, source 0.5 (FTS5's bm25 is lower for a better match)
 *   standing  = heuristics: (0.5 + confidence) x (1 + 0.1 x ln(1 + times_validated)),
 *               x 1.2 for a golden rule; failures and other learnings: 1
 *   recency   = 0.5 + 0.5 x 0.5^(age in days / 30): a 30-day half-life, at least 0.5
 *
 * and the hits are the `limit` best by score, ties by newer row first. A
 * heuristic at confidence 0.5 with no validations, and a failure, stand
 * level: confidence and validations lift a heuristic by at most 1.5 x 1.3
 * (x 1.2 if golden) over bm25 alone. Ages are UTC: SQLite's stored time is
 * UTC, and ELF's hooks' local time without a zone is read as UTC.
 */
import { ExitCode, LoreError } from "../base/errors.js";
import { prepared } from "../db/prepared.js";
import {
  type IndexedTable,
  INDEXED_TABLES,
  RANK_INDEXES,
  SEARCH_COLUMNS,
  SEARCH_TABLE,
  type SearchColumn,
} from "../db/search-index.js";
import type { ReadJournal } from "./read-journal.js";
import { ftsQueryOf } from "./search-text.js";

/** bm25's weight of each field, in SEARCH_COLUMNS order. */
const FIELD_WEIGHTS: Readonly<Record<SearchColumn, number>> = {
  title: 4,
  body: 1,
  tags: 2,
  domain: 2,
  source: 0.5,
};
/** The newest matches of each table that are ranked: bm25 reads each match's field lengths, about 2 µs a match. */
const POOL = 200;
const HALF_LIFE_DAYS = 30;

/** `--type`: the heuristics, or the learnings of one type. */
export const SEARCH_TYPES = ["failure", "heuristic", "success", "observation", "experiment"] as const;
export type SearchType = (typeof SEARCH_TYPES)[number];

export interface SearchRequest {
  text: string;
  domain?: string;
  type?: SearchType;
  limit: number;
}

export interface SearchHit {
  /** `failure`, `heuristic`, ...: the heuristics table's rows are `heuristic`, a learnings row its type. */
  type: string;
  table: "learnings" | "heuristics";
  id: number;
  loreId: string | null;
  domain: string | null;
  /** A failure's title, a heuristic's rule. */
  title: string;
  /** Where the record is: a learning's file (its `filepath`), a heuristic's domain file (`memory/heuristics/<domain>.md`). */
  path: string | null;
  createdAt: string | null;
  confidence: number | null;
  timesValidated: number | null;
  isGolden: boolean;
  score: number;
  bm25: number;
  /** The record's fields that matched, by their names in the row (title, summary, tags, domain; rule, explanation, source_type, domain). */
  matched: string[];
  /** The best-matching stretch of text, matches between `**`. */
  snippet: string;
}

export interface SearchResult {
  hits: SearchHit[];
  /** What was searched: the terms, and the filters. */
  searched: { terms: string[]; domain?: string; type?: SearchType };
}

export class SearchIndexMissingError extends LoreError {
  readonly exitCode = ExitCode.OutOfSync;
}

const MARK_OPEN = "\u0001";
const MARK_CLOSE = "\u0002";

interface Candidate {
  rowid: number;
  bm25: number;
}

interface Shown {
  loreId: string | null;
  domain: string | null;
  title: string;
  path: string | null;
}

interface Standing {
  id: number;
  type: string;
  createdAt: string | null;
  confidence: number | null;
  timesValidated: number | null;
  isGolden: number | null;
}

interface ScoredHit {
  table: IndexedTable;
  rowid: number;
  bm25: number;
  score: number;
  row: Standing;
}

export function searchJournal(journal: ReadJournal, request: SearchRequest): SearchResult {
  const query = ftsQueryOf(request.text);
  const missing = [SEARCH_TABLE, ...Object.values(RANK_INDEXES).map((index) => index.name)].filter(
    (name) => !(name === SEARCH_TABLE ? journal.hasColumns(name) : journal.hasIndex(name)),
  );
  if (missing.length > 0) {
    throw new SearchIndexMissingError(
      `${journal.layout.dbFile} has no search index (missing: ${missing.join(", ")}); \`lore sync --fix\` makes it`,
    );
  }
  const filter = filterOf(request);
  const pools = new Map(filter.tables.map((table) => [table, poolOf(journal, table, query.match, filter)]));
  const best = bestOf(journal, pools, request.limit, filter);
  const hits = best.map((hit) =>
    hitOf(hit, shownOf(journal, hit.table, hit.row.id), detailsOf(journal, hit.rowid, query.match)),
  );
  return { hits, searched: searchedOf(query.terms, request) };
}

function searchedOf(terms: string[], request: SearchRequest): SearchResult["searched"] {
  return {
    terms,
    ...(request.domain !== undefined ? { domain: request.domain } : {}),
    ...(request.type !== undefined ? { type: request.type } : {}),
  };
}

interface Filter {
  /** The tables searched. */
  tables: IndexedTable[];
  /** A condition on the index's entries: its `domain` column. */
  entry: string;
  /** The learnings rows' type, when only one is searched. */
  learningsType: string | undefined;
  values: string[];
}

function filterOf(request: SearchRequest): Filter {
  const tables: IndexedTable[] =
    request.type === undefined
      ? ["learnings", "heuristics"]
      : request.type === "heuristic"
        ? ["heuristics"]
        : ["learnings"];
  // The entry's domain is the row's, exactly: an FTS5 column filter would match the domain's words, not the whole.
  const values = request.domain === undefined ? [] : [request.domain];
  return {
    tables,
    entry: request.domain === undefined ? "" : " AND domain = ?",
    learningsType: request.type !== undefined && request.type !== "heuristic" ? request.type : undefined,
    values,
  };
}

/** The newest POOL matches of `table`, with their bm25. */
function poolOf(journal: ReadJournal, table: IndexedTable, match: string, filter: Filter): Candidate[] {
  const weights = SEARCH_COLUMNS.map((column) => FIELD_WEIGHTS[column]).join(", ");
  const sql = `SELECT rowid, bm25(${SEARCH_TABLE}, ${weights}) AS bm25 FROM ${SEARCH_TABLE}
    WHERE ${SEARCH_TABLE} MATCH ? AND rowid % 2 = ${INDEXED_TABLES[table].bit}${filter.entry}
    ORDER BY rowid DESC LIMIT ${POOL}`;
  return prepared(journal.sqlite, sql).all(match, ...filter.values) as Candidate[];
}

/** What ranking reads of `table`'s candidate rows, from its rank index (RANK_INDEXES), by id. */
function standingsOf(journal: ReadJournal, table: IndexedTable, ids: number[]): Map<number, Standing> {
  const index = RANK_INDEXES[table].name;
  const sql =
    table === "heuristics"
      ? `SELECT id, 'heuristic' AS type, created_at AS createdAt, confidence, times_validated AS timesValidated,
           is_golden AS isGolden FROM heuristics INDEXED BY ${index} WHERE id IN (SELECT value FROM json_each(?))`
      : `SELECT id, type, created_at AS createdAt, NULL AS confidence, NULL AS timesValidated, NULL AS isGolden
         FROM learnings INDEXED BY ${index} WHERE id IN (SELECT value FROM json_each(?))`;
  const rows = prepared(journal.sqlite, sql).all(JSON.stringify(ids)) as Standing[];
  return new Map(rows.map((row) => [row.id, row]));
}

/** What a hit shows besides its standing: its ids, domain, title and file. */
function shownOf(journal: ReadJournal, table: IndexedTable, id: number): Shown {
  const sql =
    table === "heuristics"
      ? "SELECT lore_id AS loreId, domain, rule AS title, NULL AS path FROM heuristics WHERE id = ?"
      : "SELECT lore_id AS loreId, domain, title, filepath AS path FROM learnings WHERE id = ?";
  return prepared(journal.sqlite, sql).get(id) as Shown;
}

/** Milliseconds since the epoch of a stored time: SQLite's UTC text, or ELF's hooks' local ISO time, read as UTC. */
function timeOf(stored: string | null): number {
  if (!stored) return Number.NaN;
  const iso = stored.includes("T") ? stored : stored.replace(" ", "T");
  return Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`);
}

const DAY_MS = 86_400_000;

/** The score of a candidate (see the header): relevance x standing x recency. */
function scoreOf(bm25: number, row: Standing, now: number): number {
  const standing =
    row.type === "heuristic"
      ? (0.5 + (row.confidence ?? 0.5)) *
        (1 + 0.1 * Math.log1p(Math.max(0, row.timesValidated ?? 0))) *
        (row.isGolden === 1 ? 1.2 : 1)
      : 1;
  const ageDays = Math.max(0, (now - timeOf(row.createdAt)) / DAY_MS);
  const recency = Number.isNaN(ageDays) ? 1 : 0.5 + 0.5 * 0.5 ** (ageDays / HALF_LIFE_DAYS);
  return -bm25 * standing * recency;
}

/** The `limit` best candidates by score, with their rows; ties by the newer entry. */
function bestOf(
  journal: ReadJournal,
  pools: Map<IndexedTable, Candidate[]>,
  limit: number,
  filter: Filter,
): ScoredHit[] {
  const now = Date.now();
  const scored: ScoredHit[] = [];
  for (const [table, candidates] of pools) {
    const rows = standingsOf(
      journal,
      table,
      candidates.map((candidate) => candidate.rowid >> 1),
    );
    for (const candidate of candidates) {
      const row = rows.get(candidate.rowid >> 1);
      if (!row || (filter.learningsType !== undefined && row.type !== filter.learningsType)) continue;
      scored.push({
        table,
        rowid: candidate.rowid,
        bm25: candidate.bm25,
        score: scoreOf(candidate.bm25, row, now),
        row,
      });
    }
  }
  return scored.sort((a, b) => b.score - a.score || b.rowid - a.rowid).slice(0, limit);
}

interface HitDetails {
  /** Each field's text with the matches between MARK_OPEN and MARK_CLOSE, in SEARCH_COLUMNS order. */
  highlights: Array<string | null>;
  snippet: string;
}

/**
 * The highlighted fields and the snippet of one entry, for the query `match`.
 * better-sqlite3 binds a JS number as a REAL, and FTS5 then drops a `rowid =`
 * constraint (every match comes back): the rowid is cast to an integer.
 */
function detailsOf(journal: ReadJournal, rowid: number, match: string): HitDetails {
  const highlights = SEARCH_COLUMNS.map(
    (_, index) => `highlight(${SEARCH_TABLE}, ${index}, '${MARK_OPEN}', '${MARK_CLOSE}')`,
  ).join(", ");
  const sql = `SELECT json_array(${highlights}) AS highlights,
      snippet(${SEARCH_TABLE}, -1, '${MARK_OPEN}', '${MARK_CLOSE}', '…', 16) AS snippet
    FROM ${SEARCH_TABLE} WHERE ${SEARCH_TABLE} MATCH ? AND rowid = CAST(? AS INTEGER)`;
  const row = prepared(journal.sqlite, sql).get(match, rowid) as { highlights: string; snippet: string };
  return { highlights: JSON.parse(row.highlights) as Array<string | null>, snippet: row.snippet };
}

function hitOf(hit: ScoredHit, shown: Shown, details: HitDetails): SearchHit {
  const { row, table } = hit;
  const fields = INDEXED_TABLES[table].fields;
  const matched = SEARCH_COLUMNS.flatMap((column, index) => {
    const field = fields[column];
    return field && details.highlights[index]?.includes(MARK_OPEN) ? [field] : [];
  });
  return {
    type: row.type,
    table,
    id: row.id,
    loreId: shown.loreId,
    domain: shown.domain,
    title: shown.title,
    path: table === "learnings" ? shown.path : `memory/heuristics/${shown.domain}.md`,
    createdAt: row.createdAt,
    confidence: row.confidence,
    timesValidated: row.timesValidated,
    isGolden: row.isGolden === 1,
    score: hit.score,
    bm25: hit.bm25,
    matched,
    snippet: details.snippet.replaceAll(MARK_OPEN, "**").replaceAll(MARK_CLOSE, "**"),
  };
}
