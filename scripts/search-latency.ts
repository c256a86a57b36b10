// Times `lore search` inside one process, as a long-lived server runs it: one
// journal opened once, then many searches, each timed alone.
//
//   node dist-test/search-latency.js --base DIR [--queries 500] [--seed 1]
//   -> {"queries":500,"p50Ms":..,"p95Ms":..,"maxMs":..,"hitsMedian":..,"mix":{...}}
//   node dist-test/search-latency.js --base DIR --list
//   -> [["word","cache"],["phrase","\"lock order\""],...]: the searches alone, not run
//      (`npm run bench` sends them to `lore mcp`)
//
// The searches are made from the journal's own text, so each finds records:
// words of a random record's title (a learnings row or a heuristic's rule,
// picked by a seeded PRNG) as one word (40%), two words (20%), a prefix of a
// word's first 3 to 6 letters (15%), a phrase of two adjacent words (15%), and
// two words joined by OR (10%). Each search asks for 10 hits, like the CLI.
// A first pass over the same searches warms SQLite's page cache and the
// prepared statements; only the second pass is timed.
import { parseArgs } from "node:util";
import { journalLayout } from "../src/journal/layout.js";
import { openReadJournal } from "../src/read/read-journal.js";
import { searchJournal } from "../src/read/search.js";
import { Prng } from "../test/support/prng.js";

const { values } = parseArgs({
  options: {
    base: { type: "string" },
    queries: { type: "string", default: "500" },
    seed: { type: "string", default: "1" },
    list: { type: "boolean", default: false },
  },
});
if (!values.base) throw new Error("--base DIR is required");
const journal = openReadJournal(journalLayout(values.base));
const prng = new Prng(Number(values.seed));
const titles = journal.sqlite
  .prepare("SELECT title FROM learnings UNION ALL SELECT rule FROM heuristics")
  .pluck()
  .all() as string[];

function wordsOf(text: string): string[] {
  return text.match(/[\p{L}\p{N}]{3,}/gu) ?? [];
}

type Kind = "word" | "twoWords" | "prefix" | "phrase" | "or";
function searchText(): [Kind, string] {
  for (;;) {
    const words = wordsOf(prng.pick(titles));
    if (words.length < 2) continue;
    const at = prng.int(0, words.length - 2);
    const roll = prng.next();
    if (roll < 0.4) return ["word", words[at]];
    if (roll < 0.6) return ["twoWords", `${words[at]} ${words[at + 1]}`];
    if (roll < 0.75) return ["prefix", `${words[at].slice(0, prng.int(3, 6))}*`];
    if (roll < 0.9) return ["phrase", `"${words[at]} ${words[at + 1]}"`];
    return ["or", `${words[at]} OR ${words[at + 1]}`];
  }
}

const searches = Array.from({ length: Number(values.queries) }, searchText);
if (values.list) {
  process.stdout.write(`${JSON.stringify(searches)}\n`);
  process.exit(0);
}
for (const [, text] of searches) journal.snapshot(() => searchJournal(journal, { text, limit: 10 }));
const timesByKind = new Map<Kind, number[]>();
const times: number[] = [];
const hits: number[] = [];
for (const [kind, text] of searches) {
  const start = performance.now();
  const result = journal.snapshot(() => searchJournal(journal, { text, limit: 10 }));
  const ms = performance.now() - start;
  times.push(ms);
  timesByKind.set(kind, [...(timesByKind.get(kind) ?? []), ms]);
  hits.push(result.hits.length);
}
/** The `share` quantile of `values` (nearest rank). */
function quantile(values: number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))];
}
const byKind = Object.fromEntries(
  [...timesByKind].map(([kind, list]) => [
    kind,
    { count: list.length, p50Ms: quantile(list, 0.5), p95Ms: quantile(list, 0.95) },
  ]),
);
process.stdout.write(
  `${JSON.stringify({ queries: searches.length, p50Ms: quantile(times, 0.5), p95Ms: quantile(times, 0.95), maxMs: quantile(times, 1), hitsMedian: quantile(hits, 0.5), byKind })}\n`,
);
