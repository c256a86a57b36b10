/**
 * What `lore search` prints: the hits as text for a person, or one JSON
 * object.
 *
 *   process.stdout.write(searchText(result, { color }));
 *   process.stdout.write(searchJson(result));
 *   searchAnswer(result)   // the JSON's object, for a caller that serializes it itself
 *
 * Text: one block per hit, best first: its kind, domain and title (a
 * heuristic's rule), the record's file, the fields that matched, and the
 * snippet (matches in bold with `color`, else between `**`). No hit: one
 * line saying what was searched where, so an empty answer is never mistaken
 * for a search of the wrong thing.
 * JSON: `{ "searched": { terms, domain?, type? }, "count": n, "hits": [hit] }`,
 * each hit as `SearchHit` (src/read/search.ts), `matched` naming the record's
 * own fields and `snippet` with `**` around each match.
 */
import type { SearchHit, SearchResult } from "./search.js";

const BOLD = "\u001b[1m";
const RESET = "\u001b[0m";

/** The fields a search reads, as the line saying nothing matched names them. */
function searchedWhere(result: SearchResult): string {
  const type = result.searched.type;
  const heuristics = "the rule, explanation, source and domain of heuristics";
  const learnings = (kind: string) => `the title, summary, tags and domain of ${kind}`;
  const where =
    type === "heuristic"
      ? heuristics
      : type !== undefined
        ? learnings(`${type} records`)
        : `${learnings("failures and other learnings")}, and ${heuristics}`;
  return result.searched.domain === undefined ? where : `${where}, in domain ${JSON.stringify(result.searched.domain)}`;
}

function describeHit(hit: SearchHit, color: boolean): string {
  const snippet = color ? hit.snippet.replace(/\*\*(.*?)\*\*/g, `${BOLD}$1${RESET}`) : hit.snippet;
  const standing =
    hit.table === "heuristics"
      ? ` (confidence ${(hit.confidence ?? 0.5).toFixed(2)}, validated ${hit.timesValidated ?? 0}x${hit.isGolden ? ", golden" : ""})`
      : "";
  return [
    `${hit.type} [${hit.domain ?? ""}] ${hit.title}${standing}`,
    `  ${hit.path ?? ""}  matched: ${hit.matched.join(", ")}`,
    `  ${snippet.replace(/\s*\n\s*/g, " ")}`,
  ].join("\n");
}

export function searchText(result: SearchResult, options: { color: boolean }): string {
  const terms = result.searched.terms.join(" ");
  if (result.hits.length === 0) return `No record matches ${terms}: searched ${searchedWhere(result)}.\n`;
  const blocks = result.hits.map((hit) => describeHit(hit, options.color));
  const count = `${result.hits.length} ${result.hits.length === 1 ? "record matches" : "records match"} ${terms}, best first:`;
  return `${count}\n\n${blocks.join("\n\n")}\n`;
}

/** The result as `--json` shows it (and `lore mcp`'s search tool). */
export function searchAnswer(result: SearchResult): Record<string, unknown> {
  return { searched: result.searched, count: result.hits.length, hits: result.hits };
}

export function searchJson(result: SearchResult): string {
  return `${JSON.stringify(searchAnswer(result), null, 2)}\n`;
}
