/**
 * ELF's query.py's relevance score and its similar-failure detection (its
 * elf-loop.md 3.5), on lore's one clock (UTC: journal-time.ts).
 *
 *   relevanceScore(row, domain, now)        // 0..1
 *   rankedBy(rows, (row) => [keys...])      // a copy, highest keys first (stable)
 *   const words = significantWords(task);
 *   wordOverlap(words, `${title} ${summary}`)  // { score, keywords }
 *   similarFailures(task, failures)         // score >= 0.3, best first, at most 5
 *
 * Relevance starts at 0.5; times (0.5 + 0.5 * 0.5^(age/7)), age being whole
 * days since created_at (a 7-day half-life, never below half); times 1.5 when
 * the row's domain is the one asked for; times 1.4 when it was validated more
 * than 10 times, else 1.2 when more than 5; at most 1.0. A time to come
 * counts as age 0 (query.py's local clock could make an age negative), and a
 * created_at that is not a time is not decayed.
 *
 * Words are the lower-cased runs of letters, digits and `_` longer than 3
 * characters. The overlap of two texts is the Jaccard ratio of their word
 * sets (shared words over all words), with the shared words in the order the
 * first text has them. A similar failure shares at least 0.3 of its words
 * with the task, rounded to 2 decimals, and shows at most 5 keywords.
 */
import { ageInWholeDays } from "./journal-time.js";
import type { Row } from "./query-selections.js";

const HALF_LIFE_DAYS = 7;
const SIMILARITY_THRESHOLD = 0.3;
const SIMILAR_FAILURES = 5;
const KEYWORDS_SHOWN = 5;

export function relevanceScore(row: Row, domain: string | undefined, now: Date): number {
  let score = 0.5;
  const age = ageInWholeDays(row.created_at, now);
  if (age !== undefined) score *= 0.5 + 0.5 * 0.5 ** (age / HALF_LIFE_DAYS);
  if (domain !== undefined && row.domain === domain) score *= 1.5;
  const validated = Number(row.times_validated ?? 0);
  if (validated > 10) score *= 1.4;
  else if (validated > 5) score *= 1.2;
  return Math.min(score, 1);
}

/** The rows sorted by `keys` (each compared in turn, the highest first); equal rows keep their order. */
export function rankedBy(rows: readonly Row[], keys: (row: Row) => number[]): Row[] {
  const keyed = rows.map((row) => ({ row, keys: keys(row) }));
  keyed.sort((a, b) => {
    for (let index = 0; index < a.keys.length; index++) {
      if (a.keys[index] !== b.keys[index]) return b.keys[index] - a.keys[index];
    }
    return 0;
  });
  return keyed.map((entry) => entry.row);
}

/** The distinct lower-cased words of `text` longer than 3 characters, in order. */
export function significantWords(text: string): string[] {
  const words = text.toLowerCase().split(/[^\p{L}\p{N}_]+/u);
  return [...new Set(words.filter((word) => word.length > 3))];
}

export interface Overlap {
  score: number;
  keywords: string[];
}

/** The Jaccard ratio of `words` and the words of `text`, and the words they share (in `words`' order). */
export function wordOverlap(words: readonly string[], text: string): Overlap {
  const other = new Set(significantWords(text));
  const keywords = words.filter((word) => other.has(word));
  const union = new Set([...words, ...other]).size;
  return { score: union === 0 ? 0 : keywords.length / union, keywords };
}

/** The text a failure is compared by: its title and summary. */
export function failureText(row: Row): string {
  return `${row.title ?? ""} ${row.summary ?? ""}`;
}

export interface SimilarFailure {
  score: number;
  keywords: string[];
  row: Row;
}

/** The failures most like `task`: a score of at least 0.3, best first (ties in their order), at most 5. */
export function similarFailures(task: string, failures: readonly Row[]): SimilarFailure[] {
  const words = significantWords(task);
  const similar: SimilarFailure[] = [];
  for (const row of failures) {
    const overlap = wordOverlap(words, failureText(row));
    if (overlap.score < SIMILARITY_THRESHOLD) continue;
    similar.push({
      score: Math.round(overlap.score * 100) / 100,
      keywords: overlap.keywords.slice(0, KEYWORDS_SHOWN),
      row,
    });
  }
  similar.sort((a, b) => b.score - a.score);
  return similar.slice(0, SIMILAR_FAILURES);
}
