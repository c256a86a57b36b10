/**
 * `lore search TEXT...`: full-text search over every record (src/read/search.ts),
 * the words after the command (and its options) being the text,
 * ranked, printed as text or `--json` (src/read/search-output.ts). Reads only:
 * no lock, nothing written. Exit 0 with or without hits; 2 for bad input; 3
 * when the journal has no search index yet.
 */
import type { Options } from "yargs";
import { locateJournal } from "../../journal/layout.js";
import { InvalidFieldError, quoted } from "../../record/fields.js";
import { openReadJournal } from "../../read/read-journal.js";
import { SEARCH_TYPES, type SearchType, searchJournal } from "../../read/search.js";
import { searchJson, searchText } from "../../read/search-output.js";
import { defineCommand } from "../command.js";
import { journalOptions } from "../journal-options.js";

const MAX_LIMIT = 1000;

const searchOptions = {
  domain: { type: "string", describe: "only records of this domain (exactly as stored)" },
  type: { type: "string", describe: `only this kind: ${SEARCH_TYPES.join("|")}` },
  limit: { type: "string", describe: `at most this many hits, 1-${MAX_LIMIT} (default 10)` },
  json: {
    type: "boolean",
    default: false,
    describe: "print one JSON object: each hit with its matched fields and snippet",
  },
  color: { type: "boolean", default: false, describe: "show matches in bold (ANSI), for a terminal" },
  base: journalOptions.base,
} satisfies Record<string, Options>;

interface Args {
  _: string[];
  domain?: string;
  type?: string;
  limit?: string;
  json: boolean;
  color: boolean;
  base?: string;
}

function limitOf(value: string | undefined): number {
  if (value === undefined) return 10;
  const limit = Number(value);
  if (!/^\d+$/.test(value.trim()) || limit < 1 || limit > MAX_LIMIT) {
    throw new InvalidFieldError("limit", `must be a whole number from 1 to ${MAX_LIMIT} (got ${quoted(value)})`);
  }
  return limit;
}

function typeOf(value: string | undefined): SearchType | undefined {
  if (value === undefined) return undefined;
  if (!(SEARCH_TYPES as readonly string[]).includes(value)) {
    throw new InvalidFieldError("type", `must be one of ${SEARCH_TYPES.join(", ")} (got ${quoted(value)})`);
  }
  return value as SearchType;
}

export const searchCommand = defineCommand<Args>({
  command: "search [text..]",
  describe: 'full-text search: words, "phrases", prefix*, AND/OR/NOT, ( ); best match first',
  options: searchOptions,
  run: async (args) => {
    const request = {
      text: args._.join(" "),
      domain: args.domain,
      type: typeOf(args.type),
      limit: limitOf(args.limit),
    };
    const journal = openReadJournal(locateJournal({ base: args.base, env: process.env, cwd: process.cwd() }));
    try {
      const result = journal.snapshot(() => searchJournal(journal, request));
      process.stdout.write(args.json ? searchJson(result) : searchText(result, { color: args.color }));
    } finally {
      journal.close();
    }
    return 0;
  },
});
