// `lore search`: the real CLI on real journals (lore's records, and rows as
// ELF's tools insert them), the FTS5 index as the triggers keep it.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asOneTableIndex, createJournal, runSql } from "./support/journal.js";
import { holdJournalLock, recordFailure, recordHeuristic, runLore } from "./support/lore.js";

interface Hit {
  type: string;
  table: string;
  id: number;
  loreId: string | null;
  domain: string;
  title: string;
  path: string;
  matched: string[];
  snippet: string;
  score: number;
  relevance: number;
}

interface SearchJson {
  searched: { terms: string[]; domain?: string; type?: string };
  count: number;
  hits: Hit[];
}

async function search(dir: string, args: string[]): Promise<SearchJson> {
  const result = await runLore(["search", "--json", ...args], { cwd: dir });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as SearchJson;
}

function titles(found: SearchJson): string[] {
  return found.hits.map((hit) => hit.title);
}

describe("lore search", () => {
  let dir: string;
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    dir = await createJournal({ git: false });
    const failures: Array<Record<string, string>> = [
      {
        title: "Café crashes on boot",
        domain: "setup",
        summary: "The WAL was lost after a power cut",
        tags: "sqlite,wal",
      },
      { title: "Deployment stalled", domain: "deploy", summary: "The release pipeline waited on a lock", tags: "ci" },
      { title: "Parser rejects C++ comments", domain: "build", summary: "A // comment in the config broke parsing" },
      { title: "東京 timeout", domain: "network", summary: "Requests to the Tokyo region timed out", tags: "latency" },
    ];
    for (const failure of failures) expect((await recordFailure(dir, { ...failure })).code).toBe(0);
    const heuristics = [
      {
        rule: "Always fsync the directory after a rename",
        domain: "setup",
        explanation: "A rename is not durable alone",
      },
      { rule: "Prefer small deployments", domain: "deploy", explanation: "A small release is easy to roll back" },
    ];
    for (const heuristic of heuristics) expect((await recordHeuristic(dir, { ...heuristic })).code).toBe(0);
  }, 60_000);

  it("finds a word in any field, and names the fields that matched", async () => {
    const found = await search(dir, ["wal"]);
    expect(titles(found)).toEqual(["Café crashes on boot"]);
    expect(found.hits[0].matched.sort()).toEqual(["summary", "tags"]);
    expect(found.hits[0].snippet).toMatch(/\*\*WAL\*\*/);
    expect(found.hits[0].path).toMatch(/^memory\/failures\/.*\.md$/);
    const rule = await search(dir, ["durable"]);
    expect(rule.hits.map((hit) => [hit.type, hit.matched])).toEqual([["heuristic", ["explanation"]]]);
    expect(rule.hits[0].path).toBe("memory/heuristics/setup.md");
  });

  it("finds phrases, prefixes, AND, OR and NOT", async () => {
    expect(titles(await search(dir, ['"release pipeline"']))).toEqual(["Deployment stalled"]);
    expect(titles(await search(dir, ['"pipeline release"']))).toEqual([]);
    expect(titles(await search(dir, ["deploy*"])).sort()).toEqual(["Deployment stalled", "Prefer small deployments"]);
    expect(titles(await search(dir, ["release", "lock"]))).toEqual(["Deployment stalled"]);
    expect(titles(await search(dir, ["release", "AND", "durable"]))).toEqual([]);
    expect(titles(await search(dir, ["wal OR parsing"])).sort()).toEqual([
      "Café crashes on boot",
      "Parser rejects C++ comments",
    ]);
    expect(titles(await search(dir, ["deploy*", "NOT", "pipeline"]))).toEqual(["Prefer small deployments"]);
    expect(titles(await search(dir, ["(wal OR parsing) AND config"]))).toEqual(["Parser rejects C++ comments"]);
  });

  it("matches across accents and scripts", async () => {
    expect(titles(await search(dir, ["cafe"]))).toEqual(["Café crashes on boot"]);
    expect(titles(await search(dir, ["CAFÉ"]))).toEqual(["Café crashes on boot"]);
    expect(titles(await search(dir, ["東京"]))).toEqual(["東京 timeout"]);
  });

  it("filters by domain and type", async () => {
    expect(titles(await search(dir, ["deploy*", "--domain", "deploy", "--type", "heuristic"]))).toEqual([
      "Prefer small deployments",
    ]);
    expect(titles(await search(dir, ["deploy*", "--type", "failure"]))).toEqual(["Deployment stalled"]);
    expect(titles(await search(dir, ["wal", "--domain", "deploy"]))).toEqual([]);
  });

  it("treats FTS5 syntax in the text as text, or refuses it with exit 2 naming TEXT; never an SQL error", async () => {
    const asText = [
      "c++",
      "a:b",
      "title:wal",
      "^wal",
      "-wal",
      "{wal}",
      "wal.",
      "NEAR(wal lost)",
      "'; DROP TABLE learnings; --",
      "%_\\ wal",
      "and or not",
    ];
    for (const text of asText) {
      const result = await runLore(["search", "--json", "--", text], { cwd: dir });
      expect(result.stderr, text).toBe("");
      expect(result.code, text).toBe(0);
    }
    expect(titles(await search(dir, ["--", "c++ comments"]))).toEqual(["Parser rejects C++ comments"]);
    expect(titles(await search(dir, ["--", "power-cut"]))).toEqual(["Café crashes on boot"]);
    expect(titles(await search(dir, ["--", "- wal ;"]))).toEqual(["Café crashes on boot"]);
    const refused: Array<[string, RegExp]> = [
      ['"wal', /quote .* never closed/],
      ["(wal", /\( is never closed/],
      ["wal)", /\) closes no \(/],
      ["wal OR", /ends with an operator/],
      ["OR wal", /cannot start with OR/],
      ["NOT wal", /cannot start with NOT/],
      ["wal AND OR lost", /OR needs a word on each side/],
      ["*", /\* must follow a word/],
      ["w*l", /\* may only end a word/],
      ["()", /\(\) holds nothing/],
      ["!!!", /has no word to search for/],
      ['"" -', /has no word to search for/],
      ["   ", /has no word to search for/],
    ];
    for (const [text, rule] of refused) {
      const result = await runLore(["search", "--", text], { cwd: dir });
      expect(result.code, text).toBe(2);
      expect(result.stdout, text).toBe("");
      expect(result.stderr.trim().split("\n"), text).toHaveLength(1);
      expect(result.stderr, text).toMatch(/^lore search: TEXT: /);
      expect(result.stderr, text).toMatch(rule);
    }
  });

  it("says what it searched when nothing matches", async () => {
    const result = await runLore(["search", "zeppelin", "--domain", "deploy"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'No record matches zeppelin: searched the title, summary, tags and domain of failures and other learnings, and the rule, explanation, source and domain of heuristics, in domain "deploy".\n',
    );
    const json = await search(dir, ["zeppelin", "--type", "heuristic"]);
    expect(json).toEqual({ searched: { terms: ["zeppelin"], type: "heuristic" }, count: 0, hits: [] });
  });

  it("checks its options: exit 2 naming the field", async () => {
    for (const [args, field] of [
      [["wal", "--limit", "0"], "limit"],
      [["wal", "--limit", "1001"], "limit"],
      [["wal", "--limit", "ten"], "limit"],
      [["wal", "--type", "failures"], "type"],
    ] as const) {
      const result = await runLore(["search", ...args], { cwd: dir });
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^lore search: ${field}: `));
    }
  });

  it("reads while the journal lock is held, and writes nothing", async () => {
    const db = path.join(dir, "memory", "index.db");
    const before = fs.readFileSync(db);
    const holder = await holdJournalLock(path.join(dir, "memory", ".lore", "journal.lock"));
    try {
      expect(titles(await search(dir, ["wal"]))).toEqual(["Café crashes on boot"]);
    } finally {
      holder.kill();
    }
    expect(fs.readFileSync(db).equals(before)).toBe(true);
  });
});

describe("lore search: ranking and freshness", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await createJournal({ git: false });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("finds a record as soon as the command that recorded it exits", async () => {
    for (let round = 0; round < 3; round++) {
      const word = `needle${round}`;
      expect((await recordFailure(dir, { title: `Lost ${word}`, domain: "fresh" })).code).toBe(0);
      expect(titles(await search(dir, [word]))).toEqual([`Lost ${word}`]);
    }
  });

  it("finds rows ELF's tools write, and forgets rows they delete", async () => {
    runSql(
      dir,
      "INSERT INTO learnings(type, filepath, title, summary, domain) VALUES ('observation', 'auto-observations/x.md', 'Observed zebra', 'seen', 'zoo')",
    );
    runSql(
      dir,
      "INSERT INTO heuristics(domain, rule, explanation, source_type) VALUES ('zoo', 'Never feed the zebra', 'it bites', 'auto')",
    );
    expect(titles(await search(dir, ["zebra"])).sort()).toEqual(["Never feed the zebra", "Observed zebra"]);
    runSql(dir, "UPDATE heuristics SET rule = 'Never feed the okapi' WHERE rule = 'Never feed the zebra'");
    runSql(dir, "DELETE FROM learnings WHERE title = 'Observed zebra'");
    expect(titles(await search(dir, ["zebra"]))).toEqual([]);
    expect(titles(await search(dir, ["okapi"]))).toEqual(["Never feed the okapi"]);
  });

  it("ranks a heuristic of more confidence and validations, or a newer record, above an equal match", async () => {
    const insert = (rule: string, confidence: number, validated: number, createdAt: string) =>
      runSql(
        dir,
        "INSERT INTO heuristics(domain, rule, confidence, times_validated, created_at) VALUES ('rank', ?, ?, ?, ?)",
        rule,
        confidence,
        validated,
        createdAt,
      );
    const now = new Date().toISOString().slice(0, 19).replace("T", " ");
    // Rules of one length: the same relevance for all three, so the order is the standing and recency alone.
    insert("quokka weak", 0.3, 0, now);
    insert("quokka firm", 0.9, 20, now);
    insert("quokka aged", 0.9, 20, "2020-01-01 00:00:00");
    const found = await search(dir, ["quokka"]);
    expect(titles(found)).toEqual(["quokka firm", "quokka aged", "quokka weak"]);
    expect(new Set(found.hits.map((hit) => hit.relevance.toFixed(9))).size).toBe(1);
  });

  it("reads a record's age from any of the times ELF's tools and hooks store, with or without a zone", async () => {
    const insert = (rule: string, createdAt: string) =>
      runSql(dir, "INSERT INTO heuristics(domain, rule, created_at) VALUES ('ages', ?, ?)", rule, createdAt);
    insert("dunnart today", new Date().toISOString().slice(0, 19).replace("T", " "));
    insert("dunnart zoned", "2020-01-01T05:30:00+0530");
    insert("dunnart naive", "2020-01-01T00:00:00.123456");
    // The two of 2020 are as old as each other, and stand below today's; between them, the newer row first.
    const found = await search(dir, ["dunnart"]);
    expect(titles(found)).toEqual(["dunnart today", "dunnart naive", "dunnart zoned"]);
    expect(found.hits[1].score).toBeCloseTo(found.hits[2].score, 6);
    expect(found.hits[0].score).toBeGreaterThan(found.hits[1].score * 1.9);
  });

  it("weighs where the words are: a rule above an explanation, a rare word above a common one", async () => {
    const insert = (rule: string, explanation: string) =>
      runSql(
        dir,
        "INSERT INTO heuristics(domain, rule, explanation, confidence, created_at) VALUES ('weigh', ?, ?, 0.5, '2026-01-01 00:00:00')",
        rule,
        explanation,
      );
    insert("Count the numbat", "by day");
    insert("Count the possum", "a numbat too");
    expect(titles(await search(dir, ["numbat"]))).toEqual(["Count the numbat", "Count the possum"]);
    for (let i = 0; i < 30; i++) insert(`Wallaby ${i}`, "seen near the creek");
    insert("Bilby in a creek", "rare");
    insert("Wallaby at dusk", "seen");
    // "wallaby" is in 31 rules, "bilby" in one: a rule holding bilby outranks one holding wallaby.
    const found = await search(dir, ["bilby OR wallaby", "--limit", "3"]);
    expect(found.hits[0].title).toBe("Bilby in a creek");
    expect(found.hits[0].relevance).toBeGreaterThan(found.hits[1].relevance);
  });

  it("shows as its snippet a stretch of the field with the most matches, cut with …", async () => {
    const long = Array.from({ length: 40 }, (_, i) => `word${i}`);
    long.splice(20, 0, "dingo");
    runSql(
      dir,
      "INSERT INTO heuristics(domain, rule, explanation) VALUES ('snip', 'Watch the dingo', ?)",
      `${long.join(" ")} and a second dingo`,
    );
    const [hit] = (await search(dir, ["dingo"])).hits;
    expect(hit.matched.sort()).toEqual(["explanation", "rule"]);
    expect(hit.snippet).toBe(
      "…word17 word18 word19 **dingo** word20 word21 word22 word23 word24 word25 word26 word27 word28 word29 word30 word31…",
    );
  });

  it("shows what FTS5 matched where lore's tokenizer reads a letter otherwise", async () => {
    // U+19B0, a New Tai Lue vowel: a letter to JavaScript's Unicode, a separator to FTS5's (Unicode 6.1).
    runSql(
      dir,
      "INSERT INTO heuristics(domain, rule, explanation) VALUES ('marsupials', ?, 'seen at dusk')",
      "Quokka\u19b0burrow under the boardwalk",
    );
    const [hit] = (await search(dir, ["burrow"])).hits;
    expect(hit.title).toBe("Quokka\u19b0burrow under the boardwalk");
    expect(hit.matched).toEqual(["rule"]);
    expect(hit.snippet).toBe("Quokka\u19b0**burrow** under the boardwalk");
    expect(hit.relevance).toBeGreaterThan(0);
  });

  it("exits 3 naming the fix when the journal has no search index", async () => {
    runSql(dir, "DROP TABLE lore_search_heuristics");
    const result = await runLore(["search", "wal"], { cwd: dir });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      /^lore search: .*has no search index \(missing: lore_search_heuristics\); `lore sync --fix` makes it\n$/,
    );
  });
});

describe("lore search: a journal whose index is still one table (schema versions 5 to 8)", () => {
  it("reads the one table with the same hits until a writer migrates the journal, and writes nothing", async () => {
    const dir = await createJournal({ git: false });
    try {
      expect((await recordFailure(dir, { title: "Kiwi lost", domain: "birds", summary: "Night walk" })).code).toBe(0);
      expect((await recordHeuristic(dir, { domain: "birds", rule: "Count kiwi at night" })).code).toBe(0);
      // U+19B0 parts words for FTS5 only: "nest" is marked by FTS5, in whichever index table.
      expect((await recordHeuristic(dir, { domain: "birds", rule: "Kiwi\u19b0nest by the creek" })).code).toBe(0);
      const queries = [["kiwi"], ['"kiwi lost"'], ["night", "OR", "birds"], ["kiw*"], ["nest"]];
      const found = async () => {
        const answers = [];
        for (const query of queries) {
          const { hits } = await search(dir, query);
          answers.push(
            hits.map(({ table, id, matched, snippet, relevance }) => ({ table, id, matched, snippet, relevance })),
          );
        }
        return answers;
      };
      const fromOwnTables = await found();
      expect(fromOwnTables.every((hits) => hits.length > 0)).toBe(true);
      asOneTableIndex(dir);
      const db = path.join(dir, "memory", "index.db");
      const before = fs.readFileSync(db);
      expect(await found()).toEqual(fromOwnTables);
      expect(fs.readFileSync(db).equals(before)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
