/**
 * Full-text search over a journal's records: the ranked hits of a search
 * text, with the fields each one matched and a snippet of the best one.
 *
 *   const journal = openReadJournal(layout);
 *   const result = journal.snapshot(() => searchJournal(journal, { text, limit: 10 }));
 *   // result.hits: best first; result.searched: what was searched, for "nothing found"
 *
 * Reads only the search index (`lore_search_learnings` and
 * `lore_search_heuristics`, src/db/search-index.ts) and the rows of the
 * matches it ranks; writes nothing, takes no lock. The text is made an FTS5
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
 * matches more than POOL failures or POOL heuristics), their rows read by id,
 * and where each phrase occurs in each field found in the row's text
 * (phrase-occurrences.ts); each is scored
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
 * a common word, where this costs the pool and a capped count. The fields
 * that matched and the snippet come from the same occurrences: FTS5's
 * `highlight` would tokenize every field of every candidate again. A row
 * FTS5 matched in which none of the phrases is found (a letter or mark
 * folded otherwise than FTS5 folds it) is asked of `highlight` instead.
 * Ages are SQLite's `julianday`, in UTC: SQLite's stored time is UTC, and
 * ELF's hooks' local time without a zone is read as UTC.
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
import { type PhraseOccurrence, phraseOccurrences } from "./phrase-occurrences.js";
import type { ReadJournal } from "./read-journal.js";
import { type FtsQuery, ftsQueryOf, type SearchPhrase } from "./search-text.js";

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

/** The fields each table fills, in SEARCH_COLUMNS order. */
const FILLED_FIELDS: Readonly<Record<IndexedTable, SearchColumn[]>> = {
  learnings: filledFieldsOf("learnings"),
  heuristics: filledFieldsOf("heuristics"),
};

function filledFieldsOf(table: IndexedTable): SearchColumn[] {
  return SEARCH_COLUMNS.filter((column) => INDEXED_TABLES[table].fields[column] !== null);
}

/** A candidate's row: what ranking and its hit read of it. */
interface CandidateRow {
  id: number;
  type: string;
  createdAt: string | null;
  /** Days since `createdAt` (SQLite's julianday: a time without a zone is UTC); null when it is no time. */
  ageDays: number | null;
  confidence: number | null;
  timesValidated: number | null;
  isGolden: number | null;
  loreId: string | null;
  /** A learning's file (its `filepath`); null for a heuristic. */
  path: string | null;
}

/** A field's text, and where the search's phrases occur in it. */
interface FieldMatches {
  text: string | null;
  occurrences: PhraseOccurrence[];
}

/** A match of a table's pool, with its row and each of the table's FILLED_FIELDS. */
interface Candidate {
  table: IndexedTable;
  row: CandidateRow;
  fields: FieldMatches[];
}

interface ScoredCandidate {
  candidate: Candidate;
  relevance: number;
  score: number;
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
  rowidOf(id: number): number;
}

function entrySourcesOf(journal: ReadJournal): Record<IndexedTable, EntrySource> {
  const indexTables = Object.values(INDEXED_TABLES).map((table) => table.index as string);
  const missing = indexTables.filter((name) => !journal.hasColumns(name));
  if (missing.length === 0) {
    const own = (table: IndexedTable) => ({
      index: INDEXED_TABLES[table].index,
      entries: "",
      idOf: (rowid: number) => rowid,
      rowidOf: (id: number) => id,
    });
    return { learnings: own("learnings"), heuristics: own("heuristics") };
  }
  if (journal.hasColumns(ONE_TABLE_INDEX.name)) {
    const inOneTable = (table: IndexedTable) => ({
      index: ONE_TABLE_INDEX.name,
      entries: ` AND rowid % 2 = ${ONE_TABLE_INDEX.bit[table]}`,
      idOf: (rowid: number) => rowid >> 1,
      rowidOf: (id: number) => id * 2 + ONE_TABLE_INDEX.bit[table],
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
  const candidates = filter.tables.flatMap((table) => candidatesOf(journal, sources[table], table, query, filter));
  const weights = phraseWeightsOf(journal, sources, query.phrases);
  const hits = bestOf(candidates, weights, request.limit).map(hitOf);
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

/**
 * A row's `created_at` as a julian day: SQLite's own time, ELF's hooks' ISO
 * time without a zone (UTC) or with one; an offset written without its
 * colon (`+0530`), which julianday refuses, is read with it. NULL when it is
 * no time.
 */
const CREATED_AT_DAY = `coalesce(julianday(created_at),
  julianday(substr(created_at, 1, length(created_at) - 2) || ':' || substr(created_at, -2)))`;

/**
 * The statement that reads `table`'s candidate rows by the JSON array of
 * their ids, as arrays (better-sqlite3 makes an object's every property
 * through V8's API, several times the cost of an array's): a
 * CandidateRow's values in its order, then each of the table's
 * FILLED_FIELDS.
 */
function candidateRowsSql(table: IndexedTable): string {
  const age = `julianday('now') - ${CREATED_AT_DAY}`;
  const standing =
    table === "heuristics"
      ? `'heuristic', created_at, ${age}, confidence, times_validated, is_golden, lore_id, NULL`
      : `type, created_at, ${age}, NULL, NULL, NULL, lore_id, filepath`;
  const fields = FILLED_FIELDS[table].map((column) => INDEXED_TABLES[table].fields[column]);
  return `SELECT id, ${standing}, ${fields.join(", ")} FROM ${table} WHERE id IN (SELECT value FROM json_each(?))`;
}

/** The values of CandidateRow, in candidateRowsSql's order. */
type CandidateValues = [
  number,
  string,
  string | null,
  number | null,
  number | null,
  number | null,
  number | null,
  string | null,
  string | null,
  ...Array<string | null>,
];
const ROW_VALUES = 9;

/**
 * The newest POOL matches of `table` (an entry no row has is left out), with
 * their rows, and where the phrases occur in each field.
 */
function candidatesOf(
  journal: ReadJournal,
  source: EntrySource,
  table: IndexedTable,
  query: FtsQuery,
  filter: Filter,
): Candidate[] {
  const { index } = source;
  const rowids = prepared(
    journal.sqlite,
    `SELECT rowid FROM ${index} WHERE ${index} MATCH ?${source.entries}${filter.entry} ORDER BY rowid DESC LIMIT ${POOL}`,
  )
    .pluck()
    .all(query.match, ...filter.values) as number[];
  const rows = prepared(journal.sqlite, candidateRowsSql(table))
    .raw()
    .all(JSON.stringify(rowids.map((rowid) => source.idOf(rowid)))) as CandidateValues[];
  const candidates: Candidate[] = [];
  for (const values of rows) {
    const [id, type, createdAt, ageDays, confidence, timesValidated, isGolden, loreId, path] = values;
    if (filter.learningsType !== undefined && type !== filter.learningsType) continue;
    const row = { id, type, createdAt, ageDays, confidence, timesValidated, isGolden, loreId, path };
    const fields = values.slice(ROW_VALUES).map((text) => ({
      text: text as string | null,
      occurrences: text ? phraseOccurrences(text as string, query.phrases) : [],
    }));
    const found = fields.some((field) => field.occurrences.length > 0);
    candidates.push({ table, row, fields: found ? fields : fieldsMarkedByFts(journal, source, table, query, id) });
  }
  return candidates;
}

/**
 * A row's fields as FTS5's `highlight` marks them: for a row FTS5 matched
 * in which phraseOccurrences found no phrase (a letter or mark it folds
 * otherwise than FTS5, phrase-occurrences.ts). Each marked stretch is an
 * occurrence of the phrases found in it, or else of the first phrase.
 */
function fieldsMarkedByFts(
  journal: ReadJournal,
  source: EntrySource,
  table: IndexedTable,
  query: FtsQuery,
  id: number,
): FieldMatches[] {
  const { index } = source;
  const marked = FILLED_FIELDS[table].map(
    (column, at) => `highlight(${index}, ${SEARCH_COLUMNS.indexOf(column)}, '${MARK_OPEN}', '${MARK_CLOSE}') AS f${at}`,
  );
  // Cast: better-sqlite3 binds a number as a REAL, and FTS5 then ignores a rowid constraint.
  const row = prepared(
    journal.sqlite,
    `SELECT ${marked.join(", ")} FROM ${index} WHERE ${index} MATCH ? AND rowid = CAST(? AS INTEGER)`,
  ).get(query.match, source.rowidOf(id)) as Record<string, string | null>;
  return FILLED_FIELDS[table].map((_, at) => unmarked(row[`f${at}`], query.phrases));
}

/** A field's text without its marks, each marked stretch an occurrence (see fieldsMarkedByFts). */
function unmarked(marked: string | null, phrases: SearchPhrase[]): FieldMatches {
  if (marked === null) return { text: null, occurrences: [] };
  const occurrences: PhraseOccurrence[] = [];
  let text = "";
  let at = 0;
  for (let open = marked.indexOf(MARK_OPEN); open >= 0; open = marked.indexOf(MARK_OPEN, at)) {
    const close = marked.indexOf(MARK_CLOSE, open);
    const end = close < 0 ? marked.length : close;
    text += marked.slice(at, open);
    const stretch = marked.slice(open + 1, end);
    const found = phraseOccurrences(stretch, phrases);
    const start = text.length;
    occurrences.push(
      ...(found.length > 0
        ? found.map((occurrence) => ({ ...occurrence, start: start + occurrence.start, end: start + occurrence.end }))
        : [{ phrase: 0, start, end: start + stretch.length }]),
    );
    text += stretch;
    at = end + 1;
  }
  return { text: text + marked.slice(at), occurrences };
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

/** Each field's mean length (characters) over the candidates, for BM25's length normalisation. */
type MeanLengths = Partial<Record<SearchColumn, number>>;

function meanLengthsOf(candidates: Candidate[]): MeanLengths {
  const sums = new Map<SearchColumn, { total: number; count: number }>();
  for (const { table, fields } of candidates) {
    FILLED_FIELDS[table].forEach((column, at) => {
      const sum = sums.get(column) ?? { total: 0, count: 0 };
      sum.total += fields[at].text?.length ?? 0;
      sum.count++;
      sums.set(column, sum);
    });
  }
  return Object.fromEntries([...sums].map(([column, sum]) => [column, sum.total / sum.count]));
}

/**
 * A candidate's relevance (docs/DESIGN.md#search-ranking): BM25 over the
 * fields (BM25F), each phrase's weighted frequency
 *   tf = sum over fields of weight x occurrences / (1 - B + B x length / mean length)
 * saturated as tf x (K1 + 1) / (tf + K1), times the phrase's IDF, summed.
 */
function relevanceOf(candidate: Candidate, weights: number[], means: MeanLengths): number {
  const frequencies = weights.map(() => 0);
  FILLED_FIELDS[candidate.table].forEach((column, at) => {
    const { text, occurrences } = candidate.fields[at];
    if (!text || occurrences.length === 0) return;
    const mean = means[column] ?? 0;
    const factor = FIELD_WEIGHTS[column] / (mean > 0 ? 1 - B + (B * text.length) / mean : 1);
    for (const occurrence of occurrences) frequencies[occurrence.phrase] += factor;
  });
  return frequencies.reduce(
    (sum, frequency, phrase) => sum + (weights[phrase] * frequency * (K1 + 1)) / (frequency + K1),
    0,
  );
}

/** The score of a candidate (see the header): relevance x standing x recency. */
function scoreOf(relevance: number, row: CandidateRow): number {
  const standing =
    row.type === "heuristic"
      ? (0.5 + (row.confidence ?? 0.5)) *
        (1 + 0.1 * Math.log1p(Math.max(0, row.timesValidated ?? 0))) *
        (row.isGolden === 1 ? 1.2 : 1)
      : 1;
  const recency = row.ageDays === null ? 1 : 0.5 + 0.5 * 0.5 ** (Math.max(0, row.ageDays) / HALF_LIFE_DAYS);
  return relevance * standing * recency;
}

/** Tie order: the higher row id first, and a heuristic before a learning of the same id. */
function newerFirst(a: ScoredCandidate, b: ScoredCandidate): number {
  const heuristic = (scored: ScoredCandidate) => (scored.candidate.table === "heuristics" ? 1 : 0);
  return b.candidate.row.id - a.candidate.row.id || heuristic(b) - heuristic(a);
}

/** The `limit` best candidates by score; ties by the newer row. */
function bestOf(candidates: Candidate[], weights: number[], limit: number): ScoredCandidate[] {
  const means = meanLengthsOf(candidates);
  return candidates
    .map((candidate) => {
      const relevance = relevanceOf(candidate, weights, means);
      return { candidate, relevance, score: scoreOf(relevance, candidate.row) };
    })
    .sort((a, b) => b.score - a.score || newerFirst(a, b))
    .slice(0, limit);
}

/** A field's text with its occurrences between MARK_OPEN and MARK_CLOSE, overlapping ones as one stretch. */
function markedText({ text, occurrences }: FieldMatches): string {
  if (!text) return "";
  const stretches: Array<{ start: number; end: number }> = [];
  for (const { start, end } of [...occurrences].sort((a, b) => a.start - b.start)) {
    const last = stretches[stretches.length - 1];
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else stretches.push({ start, end });
  }
  let marked = "";
  let at = 0;
  for (const { start, end } of stretches) {
    marked += `${text.slice(at, start)}${MARK_OPEN}${text.slice(start, end)}${MARK_CLOSE}`;
    at = end;
  }
  return marked + text.slice(at);
}

/** The words a snippet shows, and how many before the first match. */
const SNIPPET_WORDS = 16;
const SNIPPET_LEAD = 3;

/**
 * A hit's snippet: SNIPPET_WORDS words of its field with the most matches
 * (the first such field in SEARCH_COLUMNS order), from a few words before its
 * first match, `…` where the field goes on.
 */
function snippetOf(fields: FieldMatches[]): string {
  let best: FieldMatches | undefined;
  for (const field of fields) {
    if (field.occurrences.length > (best?.occurrences.length ?? 0)) best = field;
  }
  if (best === undefined) return "";
  const words = markedText(best)
    .split(/\s+/)
    .filter((word) => word !== "");
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

function hitOf({ candidate, relevance, score }: ScoredCandidate): SearchHit {
  const { row, table, fields } = candidate;
  const textOf = (column: SearchColumn) => fields[FILLED_FIELDS[table].indexOf(column)].text;
  const domain = textOf("domain");
  const matched = FILLED_FIELDS[table].flatMap((column, at) => {
    const field = INDEXED_TABLES[table].fields[column];
    return field && fields[at].occurrences.length > 0 ? [field] : [];
  });
  return {
    type: row.type,
    table,
    id: row.id,
    loreId: row.loreId,
    domain,
    title: textOf("title") ?? "",
    path: table === "learnings" ? row.path : `memory/heuristics/${domain}.md`,
    createdAt: row.createdAt,
    confidence: row.confidence,
    timesValidated: row.timesValidated,
    isGolden: row.isGolden === 1,
    score,
    relevance,
    matched,
    snippet: snippetOf(fields).replaceAll(MARK_OPEN, "**").replaceAll(MARK_CLOSE, "**"),
  };
}
