// Where a search's phrases occur in a text, against FTS5's own reading: each
// text goes into a real FTS5 table with the journal's tokenizer, and the
// stretches its `highlight` marks for each phrase must be the stretches
// phraseOccurrences finds.
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { foldedTokens, phraseOccurrences } from "../src/read/phrase-occurrences.js";
import { ftsQueryOf } from "../src/read/search-text.js";

const db = new Database(":memory:");
db.exec("CREATE VIRTUAL TABLE t USING fts5(a, tokenize = 'unicode61 remove_diacritics 2', prefix = '3 4 5 6')");
afterAll(() => db.close());

type Stretch = [number, number];

/** The stretches FTS5 marks in `text` for the search `search`, overlapping ones as one. */
function marksByFts(text: string, search: string): Stretch[] {
  db.exec("DELETE FROM t");
  db.prepare("INSERT INTO t(rowid, a) VALUES (1, ?)").run(text);
  const marked = db
    .prepare("SELECT highlight(t, 0, char(1), char(2)) FROM t WHERE t MATCH ?")
    .pluck()
    .get(ftsQueryOf(search).match) as string | undefined;
  const stretches: Stretch[] = [];
  let removed = 0;
  for (let open = marked?.indexOf("\u0001") ?? -1; marked && open >= 0; open = marked.indexOf("\u0001", open + 1)) {
    const close = marked.indexOf("\u0002", open);
    stretches.push([open - removed, close - removed - 1]);
    removed += 2;
  }
  return stretches;
}

/** The stretches phraseOccurrences finds, merged as marks are. */
function marksFound(text: string, search: string): Stretch[] {
  const found = phraseOccurrences(text, ftsQueryOf(search).phrases).sort((a, b) => a.start - b.start);
  const stretches: Stretch[] = [];
  for (const { start, end } of found) {
    const last = stretches[stretches.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else stretches.push([start, end]);
  }
  return stretches;
}

const CASES: Array<[string, string[]]> = [
  ["WAL mode: the wal file grew; walrus is no WAL.", ["wal", "walr*", '"wal file"', "wal OR walrus"]],
  ["Lock-order broken: take the lock, then order.", ['"lock order"', "lock", '"lock ord"*', "order AND lock"]],
  ["It’s a “quoted” word — with dashes… and → arrows", ["quoted", "word", "dashes", "arrows", "it"]],
  ["Café crashes in Zürich; naïve retry of the café", ["cafe", "CAFÉ", "zurich", "naive", '"naive retry"', "caf*"]],
  ["Cafe\u0301 decomposed, and caf\u00e9 composed", ["cafe", "decomposed", '"cafe decomposed"']],
  ["東京 timeout; 日本語 docs ½ done", ["東京", "日本語", "timeout", "docs", "½"]],
  ["한국어 문서 and 한국 prefix", ["한국어", "문서", "한국*", "prefix"]],
  ["नमस्ते दुनिया, and more", ["नमस", "त", "दुनिया", "more"]],
  ["İstanbul trip, ISTANBUL again", ["istanbul", "trip", "again"]],
  ["🔥deploy failed🚀 twice; 𝐁old math", ["deploy", "failed", "twice", "𝐁old"]],
  ["snake_case and kebab-case, v2.3.1 build", ["snake", "case", "kebab", "v2", "3", '"v2 3 1"', "build"]],
  ["Ünïcödé ÅNGSTRÖM straße ﬁle", ["unicode", "angstrom", "straße", "ﬁle"]],
  // Marks other than Latin accents, beside letters that fold; a character past the BMP that decomposes.
  ["שָׁלוֹם and café; n\u0303\u0323o; 𝅗𝅥 half note, naïve", ["and", "cafe", "no", "half", '"half note"', "naive"]],
];

describe("phraseOccurrences", () => {
  for (const [text, searches] of CASES) {
    it(`marks what FTS5 marks in ${JSON.stringify(text)}`, () => {
      for (const search of searches) {
        const byFts = marksByFts(text, search);
        expect(byFts.length, `FTS5 finds ${search}`).toBeGreaterThan(0);
        expect(marksFound(text, search), search).toEqual(byFts);
      }
    });
  }

  it("counts each phrase apart, its occurrences not overlapping", () => {
    const { phrases } = ftsQueryOf('wal OR "wal file"');
    const found = phraseOccurrences("wal file, wal file", phrases);
    expect(found.map(({ phrase }) => phrase).sort()).toEqual([0, 0, 1, 1]);
  });

  it("folds a search's words as it folds the text", () => {
    expect(foldedTokens("Café ZÜRICH nai\u0308ve 東京 İstanbul")).toEqual([
      "cafe",
      "zurich",
      "naive",
      "東京",
      "istanbul",
    ]);
  });
});
