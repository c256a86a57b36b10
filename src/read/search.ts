/**
 * Full-text search over a journal's records: the ranked hits of a search
 * text, with the fields each one matched and a snippet of the best one.
 *
 *   const journal = openReadJournal(layout);
 *   const result = journal.snapshot(() => searchJournal(journal, { text, limit: 10 }));
 *   // result.hits: best first; result.searched: what was searched, for "nothing found"
 *
 * Reads only the search index (`lore_search_learnings` and
 * `lore_search_heuristics`, src/db/search-index.ts) and the
 * rows of its hits; writes nothing, takes no lock. The text is made an FTS5
 * query by search-text.ts, so no text is an SQL or FTS5 error; a bad one is
 * InvalidFieldError (exit 2). A journal no writer has migrated to schema
 * version 9 yet (a read-only one, or one read right after an upgrade) is
 * searched in the one index table of versions 5 to 8, with the same hits
 * (entrySourcesOf). A journal without either (a database lore has not
 * migrated since the index came, or whose index was dropped) is
 * `SearchIndexMissingError` (exit 3: `lore sync --fix` makes it).
 *
 * Ranking (docs/DESIGN.md#search-ranking): the candidates are the newest
 * POOL matches of each table (by row id: all of them, unless the text
 * matches more than POOL failures or POOL heuristics), read with each field's
 * text, its matches marked by FTS5's `highlight`; each is scored
 *
 *   score = relevance x standing x recency
 *   relevance = BM25 over the fields (BM25F, relevanceOf): each phrase's
 *               occurrences, the fields weighted title 4, tags 2, domain 2,
 *               body 1, source 0.5, normalised by the field's length, times
 *               the phrase's IDF (its matches counted up to COUNT_CAP)
 *   standing  = heuristics: (0.5 + confidence) x (1 + 0.1 x ln(1 + times_validated)),
 *               x 1.2 for a golden rule; failures and other learnings: 1
 *   recency   = 0.5 + 0.5 x 0.5^(age in days / 30): a 30-day half-life, at least 0.5
 *
 * and the hits are the `limit` best by score, ties by newer row first. A
 * heuristic at confidence 0.5 with no validations, and a failure, stand
 * level: confidence and validations lift a heuristic by at most 1.5 x 1.3
 * (x 1.2 if golden) over its relevance alone. FTS5's own bm25 is not used: it
 * counts every match of each phrase for its IDF, a scan of the whole list of
 * a common word, where this costs the pool and a capped count. The snippet
 * is cut from the pool's marked text, not by FTS5's `snippet`, which would
 * read the hit again. Ages are UTC: SQLite's stored time is
 * UTC, and ELF's hooks' local time without a zone is read as UTC.
 */
import { ExitCode, LoreError } from "../base/errors.js";
import { prepared } from "../db/prepared.js";
import {
  type IndexedTable,
  INDEXED_TABLES,
  ONE_TABLE_INDEX,
  SEARCH_COLUMNS,
  type SearchColumn,
} from "../db/search-index.js";
import type { ReadJournal } from "./read-journal.js";
import { type FtsQuery, foldedTokens, ftsQueryOf, type SearchPhrase } from "./search-text.js";

/** Each field's weight in a record's relevance. */
const FIELD_WEIGHTS: Readonly<Record<SearchColumn, number>> = {
  title: 4,
  body: 1,
  tags: 2,
  domain: 2,
  source: 0.5,
};
/** The newest matches of each table that are ranked. */
const POOL = 50;
/** A phrase's matches are counted up to this many, for its weight (its IDF). */
const COUNT_CAP = 1000;
/** BM25's saturation and length normalisation, as FTS5's bm25 sets them. */
const K1 = 1.2;
const B = 0.75;
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
  /** How well the text matches, before standing and recency (see the header). */
  relevance: number;
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

/** The fields each table fills: a pool entry carries their text, matches marked. */
const FILLED_FIELDS: Readonly<Record<IndexedTable, SearchColumn[]>> = {
  learnings: filledFieldsOf("learnings"),
  heuristics: filledFieldsOf("heuristics"),
};

function filledFieldsOf(table: IndexedTable): SearchColumn[] {
  return SEARCH_COLUMNS.filter((column) => INDEXED_TABLES[table].fields[column] !== null);
}

/** A match in a table's pool, as its pool statement reads it. */
interface PoolEntry {
  /** Its row's id. */
  id: number;
  /** Each of the table's FILLED_FIELDS, its matches between MARK_OPEN and MARK_CLOSE. */
  fields: Array<string | null>;
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
  entry: PoolEntry;
  relevance: number;
  score: number;
  row: Standing;
}

/**
 * Where a record table's entries are: its own index table (schema version
 * 9), each entry at its row's id; or, in a journal no writer has migrated
 * since (read-only, or read before the next write), the one table of
 * versions 5 to 8, the entry of row N at 2N + `bit`.
 */
interface EntrySource {
  index: string;
  /** The condition that keeps the table's entries. */
  entries: string;
  idOf(rowid: number): number;
}

function entrySourcesOf(journal: ReadJournal): Record<IndexedTable, EntrySource> {
  const indexTables = Object.values(INDEXED_TABLES).map((table) => table.index as string);
  const missing = indexTables.filter((name) => !journal.hasColumns(name));
  if (missing.length === 0) {
    const own = (table: IndexedTable) => ({
      index: INDEXED_TABLES[table].index,
      entries: "",
      idOf: (id: number) => id,
    });
    return { learnings: own("learnings"), heuristics: own("heuristics") };
  }
  if (journal.hasColumns(ONE_TABLE_INDEX.name)) {
    const inOneTable = (table: IndexedTable) => ({
      index: ONE_TABLE_INDEX.name,
      entries: ` AND rowid % 2 = ${ONE_TABLE_INDEX.bit[table]}`,
      idOf: (rowid: number) => rowid >> 1,
    });
    return { learnings: inOneTable("learnings"), heuristics: inOneTable("heuristics") };
  }
  throw new SearchIndexMissingError(
    `${journal.layout.dbFile} has no search index (missing: ${missing.join(", ")}); \`lore sync --fix\` makes it`,
  );
}

export function searchJournal(journal: ReadJournal, request: SearchRequest): SearchResult {
  const query = ftsQueryOf(request.text);
  const sources = entrySourcesOf(journal);
  const filter = filterOf(request);
  const pools = new Map(filter.tables.map((table) => [table, poolOf(journal, sources[table], table, query, filter)]));
  const weights = phraseWeightsOf(journal, sources, query.phrases);
  const best = bestOf(journal, pools, query.phrases, weights, request.limit, filter);
  const hits = best.map((hit) => hitOf(hit, shownOf(journal, hit.table, hit.row.id)));
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

/** The newest POOL matches of `table`, each field's text with its matches marked. */
function poolOf(
  journal: ReadJournal,
  source: EntrySource,
  table: IndexedTable,
  query: FtsQuery,
  filter: Filter,
): PoolEntry[] {
  const { index } = source;
  const marked = FILLED_FIELDS[table].map(
    (column, at) => `highlight(${index}, ${SEARCH_COLUMNS.indexOf(column)}, '${MARK_OPEN}', '${MARK_CLOSE}') AS f${at}`,
  );
  const sql = `SELECT rowid, ${marked.join(", ")} FROM ${index}
    WHERE ${index} MATCH ?${source.entries}${filter.entry} ORDER BY rowid DESC LIMIT ${POOL}`;
  const rows = prepared(journal.sqlite, sql).all(query.match, ...filter.values) as Array<Record<string, unknown>>;
  return rows.map((row) => ({
    id: source.idOf(row.rowid as number),
    fields: FILLED_FIELDS[table].map((_, at) => row[`f${at}`] as string | null),
  }));
}

/**
 * Each phrase's weight, BM25's IDF: ln(1 + (N - n + 0.5) / (n + 0.5)), N the
 * journal's records, n the phrase's matches counted up to COUNT_CAP (so a
 * common phrase costs a bounded count, and all common phrases weigh alike).
 */
function phraseWeightsOf(
  journal: ReadJournal,
  sources: Record<IndexedTable, EntrySource>,
  phrases: SearchPhrase[],
): number[] {
  // A lone phrase's weight would scale every score alike: it weighs 1, and nothing is counted.
  if (phrases.length === 1) return [1];
  const records = prepared(
    journal.sqlite,
    "SELECT (SELECT ifnull(max(id), 0) FROM learnings) + (SELECT ifnull(max(id), 0) FROM heuristics)",
  )
    .pluck()
    .get() as number;
  const counts = Object.values(sources).map(({ index, entries }) =>
    prepared(
      journal.sqlite,
      `SELECT count(*) FROM (SELECT 1 FROM ${index} WHERE ${index} MATCH ?${entries} LIMIT ?)`,
    ).pluck(),
  );
  return phrases.map((phrase) => {
    // Each table counted up to what the tables before it left of the cap.
    const matches = counts.reduce(
      (counted, count) =>
        counted < COUNT_CAP ? counted + (count.get(phrase.match, COUNT_CAP - counted) as number) : counted,
      0,
    );
    return Math.log(1 + (Math.max(records, matches) - matches + 0.5) / (matches + 0.5));
  });
}

/** What ranking reads of `table`'s candidate rows, by id. */
function standingsOf(journal: ReadJournal, table: IndexedTable, ids: number[]): Map<number, Standing> {
  const sql =
    table === "heuristics"
      ? `SELECT id, 'heuristic' AS type, created_at AS createdAt, confidence, times_validated AS timesValidated,
           is_golden AS isGolden FROM heuristics WHERE id IN (SELECT value FROM json_each(?))`
      : `SELECT id, type, created_at AS createdAt, NULL AS confidence, NULL AS timesValidated, NULL AS isGolden
         FROM learnings WHERE id IN (SELECT value FROM json_each(?))`;
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

/** How many times each phrase occurs in a field's marked text (its marked stretches, token by token). */
function occurrencesIn(marked: string, phrases: SearchPhrase[], counts: number[]): void {
  for (let open = marked.indexOf(MARK_OPEN); open >= 0; open = marked.indexOf(MARK_OPEN, open + 1)) {
    const close = marked.indexOf(MARK_CLOSE, open);
    const tokens = foldedTokens(marked.slice(open + 1, close < 0 ? undefined : close));
    for (let at = 0; at < tokens.length; ) {
      const found = phrases.findIndex((phrase) => phraseAt(phrase, tokens, at));
      if (found >= 0) counts[found]++;
      at += found >= 0 ? phrases[found].tokens.length : 1;
    }
  }
}

function phraseAt(phrase: SearchPhrase, tokens: string[], at: number): boolean {
  const last = phrase.tokens.length - 1;
  return phrase.tokens.every((token, offset) => {
    const actual = tokens[at + offset];
    if (actual === undefined) return false;
    return offset === last && phrase.prefix ? actual.startsWith(token) : actual === token;
  });
}

/** Each field's mean length (characters) over the pools, for BM25's length normalisation. */
type MeanLengths = Partial<Record<SearchColumn, number>>;

function meanLengthsOf(pools: Map<IndexedTable, PoolEntry[]>): MeanLengths {
  const sums = new Map<SearchColumn, { total: number; count: number }>();
  const add = (column: SearchColumn, length: number) => {
    const sum = sums.get(column) ?? { total: 0, count: 0 };
    sum.total += length;
    sum.count++;
    sums.set(column, sum);
  };
  for (const [table, entries] of pools) {
    for (const entry of entries) {
      FILLED_FIELDS[table].forEach((column, at) => {
        add(column, entry.fields[at]?.length ?? 0);
      });
    }
  }
  return Object.fromEntries([...sums].map(([column, sum]) => [column, sum.total / sum.count]));
}

/**
 * An entry's relevance (docs/DESIGN.md#search-ranking): BM25 over the fields
 * (BM25F), each phrase's weighted frequency
 *   tf = sum over fields of weight x occurrences / (1 - B + B x length / mean length)
 * saturated as tf x (K1 + 1) / (tf + K1), times the phrase's IDF, summed.
 */
function relevanceOf(
  table: IndexedTable,
  entry: PoolEntry,
  phrases: SearchPhrase[],
  weights: number[],
  means: MeanLengths,
): number {
  const frequencies = phrases.map(() => 0);
  FILLED_FIELDS[table].forEach((column, at) => {
    const marked = entry.fields[at];
    if (!marked?.includes(MARK_OPEN)) return;
    const counts = phrases.map(() => 0);
    occurrencesIn(marked, phrases, counts);
    const mean = means[column] ?? 0;
    const factor = FIELD_WEIGHTS[column] / (mean > 0 ? 1 - B + (B * marked.length) / mean : 1);
    counts.forEach((count, phrase) => {
      frequencies[phrase] += count * factor;
    });
  });
  return frequencies.reduce(
    (sum, frequency, phrase) => sum + (weights[phrase] * frequency * (K1 + 1)) / (frequency + K1),
    0,
  );
}

/** The score of a candidate (see the header): relevance x standing x recency. */
function scoreOf(relevance: number, row: Standing, now: number): number {
  const standing =
    row.type === "heuristic"
      ? (0.5 + (row.confidence ?? 0.5)) *
        (1 + 0.1 * Math.log1p(Math.max(0, row.timesValidated ?? 0))) *
        (row.isGolden === 1 ? 1.2 : 1)
      : 1;
  const ageDays = Math.max(0, (now - timeOf(row.createdAt)) / DAY_MS);
  const recency = Number.isNaN(ageDays) ? 1 : 0.5 + 0.5 * 0.5 ** (ageDays / HALF_LIFE_DAYS);
  return relevance * standing * recency;
}

/** Tie order: the higher row id first, and a heuristic before a learning of the same id. */
function newerFirst(a: ScoredHit, b: ScoredHit): number {
  return b.entry.id - a.entry.id || (b.table === "heuristics" ? 1 : 0) - (a.table === "heuristics" ? 1 : 0);
}

/** The `limit` best candidates by score, with their rows; ties by the newer entry. */
function bestOf(
  journal: ReadJournal,
  pools: Map<IndexedTable, PoolEntry[]>,
  phrases: SearchPhrase[],
  weights: number[],
  limit: number,
  filter: Filter,
): ScoredHit[] {
  const now = Date.now();
  const means = meanLengthsOf(pools);
  const scored: ScoredHit[] = [];
  for (const [table, entries] of pools) {
    const rows = standingsOf(
      journal,
      table,
      entries.map((entry) => entry.id),
    );
    for (const entry of entries) {
      const row = rows.get(entry.id);
      if (!row || (filter.learningsType !== undefined && row.type !== filter.learningsType)) continue;
      const relevance = relevanceOf(table, entry, phrases, weights, means);
      scored.push({ table, entry, relevance, score: scoreOf(relevance, row, now), row });
    }
  }
  return scored.sort((a, b) => b.score - a.score || newerFirst(a, b)).slice(0, limit);
}

/** The words a snippet shows, and how many before the first match. */
const SNIPPET_WORDS = 16;
const SNIPPET_LEAD = 3;

/**
 * A hit's snippet: SNIPPET_WORDS words of its field with the most matches
 * (the first such field in SEARCH_COLUMNS order), from a few words before its
 * first match, `…` where the field goes on.
 */
function snippetOf(entry: PoolEntry): string {
  let best: string | undefined;
  let bestCount = 0;
  for (const marked of entry.fields) {
    const count = marked?.split(MARK_OPEN).length ?? 0;
    if (marked && count > bestCount) {
      best = marked;
      bestCount = count;
    }
  }
  if (best === undefined) return "";
  const words = best.split(/\s+/).filter((word) => word !== "");
  const first = Math.max(
    0,
    words.findIndex((word) => word.includes(MARK_OPEN)),
  );
  const start = Math.max(0, first - SNIPPET_LEAD);
  const end = Math.min(words.length, start + SNIPPET_WORDS);
  let text = words.slice(start, end).join(" ");
  if (text.split(MARK_OPEN).length > text.split(MARK_CLOSE).length) text += MARK_CLOSE;
  return `${start > 0 ? "…" : ""}${text}${end < words.length ? "…" : ""}`;
}

function hitOf(hit: ScoredHit, shown: Shown): SearchHit {
  const { row, table, entry } = hit;
  const fields = INDEXED_TABLES[table].fields;
  const matched = SEARCH_COLUMNS.flatMap((column) => {
    const field = fields[column];
    const found = entry.fields[FILLED_FIELDS[table].indexOf(column)]?.includes(MARK_OPEN);
    return field && found ? [field] : [];
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
    relevance: hit.relevance,
    matched,
    snippet: snippetOf(entry).replaceAll(MARK_OPEN, "**").replaceAll(MARK_CLOSE, "**"),
  };
}
