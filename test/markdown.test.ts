// The markdown lore writes and reads, in ELF's format (docs: elf-format.md):
// free text (a failure's summary, a heuristic's explanation) is escaped so that
// it round-trips exactly and can never fake the structure around it; a failure
// file and a heuristic domain file parse back to exactly what was rendered;
// files written by ELF itself (no lore id, the `# TIME-FIX-3` comment, plain or
// upper-case field names, severity words, duplicate `H-0` ids) are read as ELF
// meant them; malformed input is a MarkdownParseError with a line number.
// (The file-name slugs are tested in slug.test.ts.)
// Round trips are also checked over records generated with a seeded PRNG
// (every field: markdown look-alikes, backslashes, unicode, empty optional
// fields), with LF and with CRLF line ends.
import { describe, expect, it } from "vitest";
import { escapeBlockText, readBlockLines, renderBlockText, unescapeBlockText } from "../src/journal/block-text.js";
import {
  MarkdownParseError,
  parseFailure,
  renderFailure,
  type FailureRecord,
} from "../src/journal/failure-markdown.js";
import {
  parseHeuristicFile,
  renderDomainHeader,
  renderHeuristicBlock,
  type HeuristicRecord,
} from "../src/journal/heuristic-markdown.js";
import { ELF_FAILURE_SECTIONS } from "./support/elf-format.js";
import { Prng } from "./support/prng.js";

const FRAGMENTS = [
  "#",
  "##",
  "\\",
  "\\\\",
  "\n\\#",
  "\n\\\\---",
  "\n\\<!--",
  "---",
  "--",
  "-",
  "<!--",
  "-->",
  "<!-- lore:id=0f0f0f0f-1111-2222-3333-444444444444 -->",
  "\n",
  "\n",
  "\n\n",
  " ",
  "  ",
  "\t",
  "a",
  "é",
  "日本",
  "## H-1: x",
  "## H-0: ",
  "**Confidence**: 1",
  "**Source**: fake",
  "**Created**: 2020-01-01",
  "# Heuristics: x",
  "## Summary",
  "## What Happened",
  "**Domain**: fake",
  "*",
  ":",
];

function generatedTexts(count: number, seed: number): string[] {
  const random = new Prng(seed);
  const texts: string[] = [];
  for (let index = 0; index < count; index++) {
    const length = Math.floor(random.next() * 25);
    let text = "";
    for (let part = 0; part < length; part++) text += random.pick(FRAGMENTS);
    texts.push(text);
  }
  return texts;
}

const TRICKY_TEXTS = [
  "",
  "\n",
  "\n\n",
  "\n\n\n\n",
  "plain text",
  "trailing newline\n",
  "trailing newlines\n\n\n",
  "\n\nleading blank lines",
  "\n\nboth\n\n",
  "# a heading",
  "## a subheading",
  "### deeper",
  "#no-space",
  "#",
  "---",
  "----",
  "--- x",
  "<!--",
  "<!-- lore:id=12345678-aaaa-bbbb-cccc-1234567890ab -->",
  "\\#",
  "\\# escaped already",
  "\\\\#",
  "\\\\\\# three backslashes",
  "\\---",
  "\\\\---",
  "\\<!--",
  "\\",
  "\\\\",
  "\\a",
  " # leading space",
  "   ---",
  "\t# tab",
  "## H-7: fake\n\n**Confidence**: 0.9\n**Source**: x\n**Created**: 2020-01-01\n\n---\n",
  "line one\n# two\n---\n<!-- three -->\n\\# four\nfive",
  "---\n---\n---",
  "#\n#\n",
  "unicode: é, ß, 日本語, emoji 🎉, ∑",
  "# 日本語の見出し\n--- 🎉",
  "a\n\n\nb",
  "**Confidence**: 1",
  "**Source**: fake\nrest",
];

/** Lines of a text that would read as structure (heading, separator, id comment) if written raw. */
function structuralLines(text: string): string[] {
  return text.split("\n").filter((line) => /^(#|---|<!--)/.test(line));
}

describe("block text escaping", () => {
  it("round-trips every tricky text exactly", () => {
    for (const text of TRICKY_TEXTS) {
      expect(unescapeBlockText(escapeBlockText(text)), JSON.stringify(text)).toBe(text);
    }
  });

  it("round-trips 500 generated texts exactly, and leaves no line that could fake structure", () => {
    const texts = generatedTexts(500, 20251201);
    // The generator must actually produce the hostile cases it exists for.
    expect(texts.filter((text) => structuralLines(text).length > 0).length).toBeGreaterThan(100);
    expect(texts.filter((text) => /(^|\n)\\+(#|---|<!--)/.test(text)).length).toBeGreaterThan(20);
    for (const text of texts) {
      const escaped = escapeBlockText(text);
      expect(structuralLines(escaped), JSON.stringify(text)).toEqual([]);
      expect(unescapeBlockText(escaped), JSON.stringify(text)).toBe(text);
    }
  });

  it("escapes with one more backslash, and only structural lines", () => {
    expect(escapeBlockText("# x")).toBe("\\# x");
    expect(escapeBlockText("---")).toBe("\\---");
    expect(escapeBlockText("<!-- c -->")).toBe("\\<!-- c -->");
    expect(escapeBlockText("\\# x")).toBe("\\\\# x");
    expect(escapeBlockText("\\\\---")).toBe("\\\\\\---");
    expect(escapeBlockText(" # x\nplain\n\\n\n-- x")).toBe(" # x\nplain\n\\n\n-- x");
  });

  it("renderBlockText frames the text so readBlockLines gets it back exactly", () => {
    for (const text of [...TRICKY_TEXTS, ...generatedTexts(200, 7)]) {
      const rendered = renderBlockText(text);
      // In a file the next line follows the final newline: the lines of the block are all but the last "".
      const lines = rendered.split("\n").slice(0, -1);
      expect(readBlockLines(lines), JSON.stringify(text)).toBe(text);
    }
  });
});

const LORE_ID = "3f2b8c1e-9a4d-4e6f-8b7a-0c1d2e3f4a5b";

function failure(overrides: Partial<FailureRecord> = {}): FailureRecord {
  return {
    loreId: LORE_ID,
    title: "Lock race in the recorder",
    domain: "Concurrency",
    severity: 4,
    tags: "lock, race,sqlite",
    summary: "Two recorders wrote the same file.\nThe second one won.",
    date: "2025-12-01",
    ...overrides,
  };
}

const HOSTILE_SUMMARIES = [
  "",
  "\n",
  "\n\nleading blank lines",
  "trailing blank lines\n\n\n",
  "## What Happened\n\nNothing, this is fake.",
  "## Summary\nfake again",
  "# Fake title",
  "<!-- lore:id=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee -->",
  "first\n<!-- lore:id=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee -->\nlast",
  "---\nfront: matter\n---",
  "**Domain**: fake\n**Severity**: 1\n**Date**: 1999-01-01",
  "\\## already escaped\n\\\\---",
  "## Related\n\n- **Experiments**:\n",
  "unicode ✓ 日本語\n# 見出し",
  ...generatedTexts(100, 99),
];

describe("failure markdown", () => {
  it("renderFailure then parseFailure gives back every field exactly", () => {
    const records = [
      failure(),
      failure({ severity: 1, tags: "", domain: "x" }),
      failure({ severity: 5, title: "Title: with colon, punctuation! and ## hashes", date: "1999-12-31" }),
      failure({ domain: "Mixed Case Domain", tags: "a,b,c", summary: "No summary provided" }),
      ...HOSTILE_SUMMARIES.map((summary, index) => failure({ summary, severity: (index % 5) + 1 })),
    ];
    for (const record of records) {
      const text = renderFailure(record);
      expect(parseFailure(text), JSON.stringify(record.summary)).toEqual(record);
    }
  });

  it("keeps ELF's layout: headings, fields and the lore id as the last line", () => {
    const text = renderFailure(failure({ summary: "## What Happened" }));
    const lines = text.split("\n");
    expect(lines.slice(0, 9)).toEqual([
      "# Lock race in the recorder",
      "",
      "**Domain**: Concurrency",
      "**Severity**: 4",
      "**Tags**: lock, race,sqlite",
      "**Date**: 2025-12-01",
      "",
      "## Summary",
      "",
    ]);
    // Exactly one real "## What Happened" heading: the hostile summary is escaped.
    expect(lines.filter((line) => line === "## What Happened")).toHaveLength(1);
    expect(lines).toContain("\\## What Happened");
    expect(lines.filter((line) => line.startsWith("## "))).toEqual([
      "## Summary",
      "## What Happened",
      "## Root Cause",
      "## Impact",
      "## Prevention",
      "## Related",
    ]);
    expect(text.endsWith(`\n<!-- lore:id=${LORE_ID} -->\n`)).toBe(true);
  });

  it("a fake lore id line in the summary does not replace the real one", () => {
    const fake = "<!-- lore:id=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee -->";
    const parsed = parseFailure(renderFailure(failure({ summary: `${fake}\n${fake}` })));
    expect(parsed.loreId).toBe(LORE_ID);
    expect(parsed.summary).toBe(`${fake}\n${fake}`);
  });

  it("reads ELF's template exactly, with the TIME-FIX-3 comment on the Date line", () => {
    const elf = [
      "# Database locked during parallel writes",
      "",
      "**Domain**: Concurrency",
      "**Severity**: 4",
      "**Tags**: sqlite, lock",
      "**Date**: 2025-12-01  # TIME-FIX-3: Use consistent captured date",
      "",
      "## Summary",
      "",
      "Two hooks wrote at once and one got SQLITE_BUSY.",
      "",
      ...ELF_FAILURE_SECTIONS,
      "",
    ].join("\n");
    expect(parseFailure(elf)).toEqual({
      loreId: undefined,
      title: "Database locked during parallel writes",
      domain: "Concurrency",
      severity: 4,
      tags: "sqlite, lock",
      summary: "Two hooks wrote at once and one got SQLITE_BUSY.",
      date: "2025-12-01",
    });
  });

  it("reads ELF's default summary and empty tags", () => {
    const elf =
      "# t\n\n**Domain**: d\n**Severity**: 3\n**Tags**: \n**Date**: 2025-01-02  # TIME-FIX-3: Use consistent captured date\n\n" +
      "## Summary\n\nNo summary provided\n\n## What Happened\n\n[Describe the failure in detail]\n";
    const parsed = parseFailure(elf);
    expect(parsed.summary).toBe("No summary provided");
    expect(parsed.tags).toBe("");
    expect(parsed.date).toBe("2025-01-02");
    expect(parsed.loreId).toBeUndefined();
  });

  it("reads plain `Domain:` / `Severity: high` lines, field names in any case, severity words", () => {
    const plain = "# Plain fields\n\nDomain: infra\nSeverity: high\nTags: a,b\nDate: 2024-02-29\n\n## Summary\n\nS\n";
    expect(parseFailure(plain)).toEqual({
      loreId: undefined,
      title: "Plain fields",
      domain: "infra",
      severity: 4,
      tags: "a,b",
      summary: "S",
      date: "2024-02-29",
    });

    const upper =
      "# Upper\n\n**DOMAIN**: Net\n**SEVERITY**: critical\n**TAGS**: x\n**DATE**: 2025-03-04  # TIME-FIX-3: Use consistent captured date\n\n## Summary\n\nU\n";
    expect(parseFailure(upper)).toMatchObject({ domain: "Net", severity: 5, tags: "x", date: "2025-03-04" });

    const words: Array<[string, number]> = [
      ["low", 2],
      ["Medium", 3],
      ["HIGH", 4],
      ["critical", 5],
      ["1", 1],
      ["5", 5],
    ];
    for (const [word, severity] of words) {
      expect(parseFailure(`# w\n\n**severity**: ${word}\n\n## Summary\n\nx\n`).severity, word).toBe(severity);
    }
    expect(parseFailure("# w\n\nSeverity: banana\n").severity).toBeUndefined();
  });

  it("a file with no `# ` title heading throws MarkdownParseError", () => {
    for (const text of ["", "no heading at all\n", "#NoSpace\n\n**Domain**: x\n", "## Summary\n\nx\n"]) {
      expect(() => parseFailure(text), JSON.stringify(text)).toThrow(MarkdownParseError);
    }
    try {
      parseFailure("**Domain**: x\n");
      expect.unreachable("parseFailure accepted a file without a title");
    } catch (error) {
      expect(error).toBeInstanceOf(MarkdownParseError);
      expect((error as MarkdownParseError).line).toBeGreaterThanOrEqual(1);
      expect((error as Error).message).toMatch(/^line \d+: /);
    }
  });
});

function heuristic(overrides: Partial<HeuristicRecord> = {}): HeuristicRecord {
  return {
    id: 1,
    loreId: "11111111-2222-4333-8444-555555555555",
    rule: "Take the journal lock before touching the index",
    confidence: 0.7,
    source: "observation",
    explanation: "Two writers corrupt the file otherwise.",
    created: "2025-12-01",
    ...overrides,
  };
}

/** A domain file built the way lore builds it, with the expected 1-based heading line of each block. */
function domainFile(domain: string, records: HeuristicRecord[]): { text: string; lines: number[] } {
  let text = renderDomainHeader(domain);
  const lines: number[] = [];
  for (const record of records) {
    lines.push(text.split("\n").length);
    text += renderHeuristicBlock(record);
  }
  return { text, lines };
}

describe("heuristic markdown", () => {
  it("writes ELF's domain header and block layout", () => {
    expect(renderDomainHeader("testing-stuff")).toBe(
      "# Heuristics: testing-stuff\n\nGenerated from failures, successes, and observations in the **testing-stuff** domain.\n\n---\n\n",
    );
    expect(renderHeuristicBlock(heuristic({ id: 12, confidence: 0.85, source: "failure" }))).toBe(
      "## H-12: Take the journal lock before touching the index\n" +
        "<!-- lore:id=11111111-2222-4333-8444-555555555555 -->\n\n" +
        "**Confidence**: 0.85\n**Source**: failure\n**Created**: 2025-12-01\n\n" +
        "Two writers corrupt the file otherwise.\n\n---\n\n",
    );
  });

  it("parses several blocks back exactly, with the heading line numbers", () => {
    const records = [
      heuristic(),
      heuristic({
        id: 2,
        loreId: "22222222-2222-4333-8444-555555555555",
        rule: "r2",
        confidence: 0,
        source: "failure",
      }),
      heuristic({ id: 3, loreId: "33333333-2222-4333-8444-555555555555", rule: "Rule: with colon", confidence: 1 }),
      heuristic({
        id: 40,
        loreId: "44444444-2222-4333-8444-555555555555",
        confidence: 0.33,
        explanation: "multi\nline\n\nexplanation",
      }),
      heuristic({
        id: 41,
        loreId: "45444444-2222-4333-8444-555555555555",
        source: "free text source",
        created: "1999-01-31",
      }),
    ];
    const { text, lines } = domainFile("concurrency", records);
    expect(lines[0]).toBe(7);
    const parsed = parseHeuristicFile(text);
    expect(parsed).toEqual(records.map((record, index) => ({ ...record, line: lines[index] })));
    // The line numbers point at the headings.
    const fileLines = text.split("\n");
    for (const block of parsed) expect(fileLines[block.line - 1]).toBe(`## H-${block.id}: ${block.rule}`);
  });

  it("hostile explanations round-trip exactly and create no extra block", () => {
    const hostile = [
      "## H-7: fake",
      "## H-7: fake\n<!-- lore:id=99999999-2222-4333-8444-555555555555 -->\n\n**Confidence**: 0.1\n**Source**: fake\n**Created**: 2000-01-01\n\nfake\n\n---\n",
      "---",
      "before\n---\nafter",
      "**Source**: fake",
      "**Source**: fake\n**Confidence**: 0.01\n**Created**: 1900-01-01",
      "**Confidence**: not a number",
      "",
      "\n",
      "\n\nleading and trailing\n\n",
      "# Heuristics: other",
      "<!-- lore:id=99999999-2222-4333-8444-555555555555 -->",
      "\\## H-8: escaped already\n\\\\---",
      ...generatedTexts(100, 4242),
    ];
    const records = hostile.map((explanation, index) =>
      heuristic({
        id: index + 1,
        loreId: `${String(index).padStart(8, "0")}-2222-4333-8444-555555555555`,
        rule: `rule ${index}`,
        explanation,
      }),
    );
    const { text, lines } = domainFile("hostile", records);
    const parsed = parseHeuristicFile(text);
    expect(parsed).toHaveLength(records.length);
    for (let index = 0; index < records.length; index++) {
      expect(parsed[index], JSON.stringify(hostile[index])).toEqual({ ...records[index], line: lines[index] });
    }
  });

  it("reads ELF-written blocks without a lore id, and lore blocks appended after them", () => {
    const elf =
      "# Heuristics: concurrency\n\n" +
      "Generated from failures, successes, and observations in the **concurrency** domain.\n\n---\n\n" +
      "## H-3: Retry on SQLITE_BUSY\n\n**Confidence**: 0.85\n**Source**: failure\n**Created**: 2025-11-30\n\n" +
      "Hooks collide under load.\n\n---\n\n" +
      "## H-4: Use WAL\n\n**Confidence**: 0.7\n**Source**: observation\n**Created**: 2025-12-01\n\n" +
      "Readers do not block the writer.\nSecond line.\n\n---\n\n";
    const appended = heuristic({ id: 5, rule: "lore block" });
    const parsed = parseHeuristicFile(elf + renderHeuristicBlock(appended));
    expect(parsed).toEqual([
      {
        id: 3,
        loreId: undefined,
        rule: "Retry on SQLITE_BUSY",
        confidence: 0.85,
        source: "failure",
        created: "2025-11-30",
        explanation: "Hooks collide under load.",
        line: 7,
      },
      {
        id: 4,
        loreId: undefined,
        rule: "Use WAL",
        confidence: 0.7,
        source: "observation",
        created: "2025-12-01",
        explanation: "Readers do not block the writer.\nSecond line.",
        line: 17,
      },
      { ...appended, line: 28 },
    ]);
  });

  it("returns both of ELF's duplicate `## H-0:` blocks", () => {
    const block = (rule: string, confidence: string) =>
      `## H-0: ${rule}\n\n**Confidence**: ${confidence}\n**Source**: observation\n**Created**: 2025-12-01\n\n${rule} because.\n\n---\n\n`;
    const text = renderDomainHeader("x") + block("first", "0.7") + block("second", "0.3");
    const parsed = parseHeuristicFile(text);
    expect(parsed.map((entry) => [entry.id, entry.rule, entry.confidence, entry.explanation, entry.line])).toEqual([
      [0, "first", 0.7, "first because.", 7],
      [0, "second", 0.3, "second because.", 17],
    ]);
    expect(parsed.every((entry) => entry.loreId === undefined)).toBe(true);
  });

  it("a non-numeric confidence throws MarkdownParseError with its line number", () => {
    const good = renderHeuristicBlock(heuristic());
    const bad =
      "## H-9: broken\n\n**Confidence**: high\n**Source**: observation\n**Created**: 2025-12-01\n\nx\n\n---\n\n";
    const text = renderDomainHeader("x") + good + bad;
    const confidenceLine = text.split("\n").indexOf("**Confidence**: high") + 1;
    expect(confidenceLine).toBeGreaterThan(7);
    let thrown: unknown;
    try {
      parseHeuristicFile(text);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MarkdownParseError);
    expect((thrown as MarkdownParseError).line).toBe(confidenceLine);
    expect((thrown as Error).message).toContain(`line ${confidenceLine}`);

    for (const value of ["", "abc", "0.5x", "NaN", "Infinity"]) {
      const one = `## H-1: r\n\n**Confidence**: ${value}\n**Source**: s\n**Created**: 2025-12-01\n\nx\n\n---\n`;
      expect(() => parseHeuristicFile(one), JSON.stringify(value)).toThrow(MarkdownParseError);
    }
  });
});

/**
 * Pieces of one-line values: markdown structure and field look-alikes,
 * backslashes, unicode (combining, astral, right-to-left mark, no-break
 * space, BOM). No line terminator: no CR or LF (the input checks reject them),
 * and no U+2028 or U+2029 (a known bug, tested below).
 */
const LINE_FRAGMENTS = [
  "#",
  "# ",
  "## ",
  "## H-3: ",
  "## 4. ",
  "---",
  "-",
  "<!--",
  "-->",
  "<!-- lore:id=0f0f0f0f-1111-2222-3333-444444444444 -->",
  "\\",
  "\\\\",
  "\\#",
  "**",
  "**Domain**: ",
  "**Confidence**: 0.1",
  "**Source**: x",
  "Severity: 1",
  ": ",
  ":",
  " ",
  "  ",
  "\t",
  "  # TIME-FIX-3: x",
  "> ",
  "a",
  "Z",
  "42",
  "é",
  "e\u0301",
  "ß",
  "日本語",
  "🎉",
  "\u200f",
  "\u00a0",
  "\ufeff",
  "`",
  "[x](y)",
];

/** Multi-line text: the one-line pieces, blank lines and lines that open with structure. */
const TEXT_FRAGMENTS = [...LINE_FRAGMENTS, "\n", "\n", "\n\n", "\n#", "\n---", "\n<!--", "\n\\#", "\n\\\\---", "\n\t"];

function generatedLine(random: Prng, maxParts: number): string {
  let text = "";
  for (let part = random.int(0, maxParts); part > 0; part--) text += random.pick(LINE_FRAGMENTS);
  return text;
}

function generatedText(random: Prng): string {
  let text = "";
  for (let part = random.int(0, 30); part > 0; part--) text += random.pick(TEXT_FRAGMENTS);
  return text;
}

/** Empty one time in five: the optional fields. */
function optional(random: Prng, value: string): string {
  return random.chance(0.2) ? "" : value;
}

function generatedLoreId(random: Prng): string {
  const hex = (count: number) => Array.from({ length: count }, () => random.int(0, 15).toString(16)).join("");
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${random.pick(["8", "9", "a", "b"])}${hex(3)}-${hex(12)}`;
}

function generatedDate(random: Prng): string {
  const two = (value: number) => String(value).padStart(2, "0");
  return `${random.int(1970, 2099)}-${two(random.int(1, 12))}-${two(random.int(1, 28))}`;
}

function generatedFailure(random: Prng): FailureRecord {
  return {
    loreId: generatedLoreId(random),
    title: generatedLine(random, 10),
    domain: optional(random, generatedLine(random, 6)),
    severity: random.int(1, 5),
    tags: optional(random, generatedLine(random, 8)),
    summary: optional(random, generatedText(random)),
    date: generatedDate(random),
  };
}

function generatedHeuristic(random: Prng): HeuristicRecord {
  const rule = generatedLine(random, 10);
  return {
    id: random.chance(0.1) ? 0 : random.int(1, 2_000_000),
    loreId: generatedLoreId(random),
    // A rule is never blank (the input checks require one; a blank heading is unparseable).
    rule: rule.trim() === "" ? `r${rule}` : rule,
    confidence: random.pick([0, 1, 0.3, 0.6, 0.7, 0.85, 1e-7, random.next(), random.int(0, 1000) / 1000]),
    source: optional(random, generatedLine(random, 6)),
    explanation: optional(random, generatedText(random)),
    created: generatedDate(random),
  };
}

const crlf = (text: string) => text.replace(/\n/g, "\r\n");

describe("generated round trips (seeded)", () => {
  it("generates the hostile and the empty values it exists for", () => {
    const random = new Prng(1);
    const failures = Array.from({ length: 400 }, () => generatedFailure(random));
    const structural = /(^|\n)\\*(#|---|<!--)/;
    expect(failures.filter((record) => structural.test(record.summary)).length).toBeGreaterThan(100);
    expect(
      failures.filter((record) => /^\\+(#|---|<!--)|\n\\+(#|---|<!--)/.test(record.summary)).length,
    ).toBeGreaterThan(20);
    expect(failures.filter((record) => /^(#|---|<!--)/.test(record.title)).length).toBeGreaterThan(20);
    expect(failures.filter((record) => record.tags === "").length).toBeGreaterThan(40);
    expect(failures.filter((record) => record.summary === "").length).toBeGreaterThan(40);
    expect(failures.filter((record) => /[^\t -~]/.test(record.domain)).length).toBeGreaterThan(40);
    expect(failures.filter((record) => /^[ \t]/.test(record.domain)).length).toBeGreaterThan(10);
  });

  it("a failure file gives back every field exactly, with LF and with CRLF line ends", () => {
    const random = new Prng(20251202);
    for (let index = 0; index < 600; index++) {
      const record = generatedFailure(random);
      const text = renderFailure(record);
      expect(parseFailure(text), `case ${index}: ${JSON.stringify(record)}`).toEqual(record);
      expect(parseFailure(crlf(text)), `case ${index} (CRLF): ${JSON.stringify(record)}`).toEqual(record);
    }
  });

  it("a generated failure file keeps ELF's structure: one title, ELF's sections, one lore id line last", () => {
    const random = new Prng(77);
    for (let index = 0; index < 300; index++) {
      const record = generatedFailure(random);
      const lines = renderFailure(record).split("\n");
      const context = `case ${index}: ${JSON.stringify(record)}`;
      expect(
        lines.filter((line) => line.startsWith("# ")),
        context,
      ).toEqual([`# ${record.title}`]);
      expect(
        lines.filter((line) => line.startsWith("## ")),
        context,
      ).toEqual(["## Summary", "## What Happened", "## Root Cause", "## Impact", "## Prevention", "## Related"]);
      expect(
        lines.filter((line) => line.startsWith("<!--")),
        context,
      ).toEqual([`<!-- lore:id=${record.loreId} -->`]);
      expect(lines.slice(-2), context).toEqual([`<!-- lore:id=${record.loreId} -->`, ""]);
    }
  });

  it("a domain file of generated blocks gives back every block and its line exactly, LF and CRLF", () => {
    const random = new Prng(4343);
    for (let file = 0; file < 200; file++) {
      const domain = random.pick(["x", "testing-stuff", "a-1", "0", "concurrency-control"]);
      const records = Array.from({ length: random.int(1, 6) }, () => generatedHeuristic(random));
      const { text, lines } = domainFile(domain, records);
      const expected = records.map((record, index) => ({ ...record, line: lines[index] }));
      expect(parseHeuristicFile(text), `file ${file}: ${JSON.stringify(records)}`).toEqual(expected);
      expect(parseHeuristicFile(crlf(text)), `file ${file} (CRLF): ${JSON.stringify(records)}`).toEqual(expected);
    }
  });

  it("a generated domain file has one heading and one `---` per block, and no other structure", () => {
    const random = new Prng(9001);
    for (let file = 0; file < 200; file++) {
      const records = Array.from({ length: random.int(1, 6) }, () => generatedHeuristic(random));
      const { text } = domainFile("x", records);
      const lines = text.split("\n");
      const context = `file ${file}: ${JSON.stringify(records)}`;
      expect(
        lines.filter((line) => line.startsWith("#")),
        context,
      ).toEqual(["# Heuristics: x", ...records.map((record) => `## H-${record.id}: ${record.rule}`)]);
      expect(lines.filter((line) => line === "---").length, context).toBe(records.length + 1);
      expect(
        lines.filter((line) => line.startsWith("<!--")),
        context,
      ).toEqual(records.map((record) => `<!-- lore:id=${record.loreId} -->`));
    }
  });

  it("empty optional fields read back empty: tags, summary, domain; source, explanation", () => {
    const record = failure({ domain: "", tags: "", summary: "" });
    expect(parseFailure(renderFailure(record))).toEqual(record);
    expect(parseFailure(crlf(renderFailure(record)))).toEqual(record);
    const block = heuristic({ source: "", explanation: "" });
    expect(parseHeuristicFile(renderDomainHeader("x") + renderHeuristicBlock(block))).toEqual([{ ...block, line: 7 }]);
  });

  it("the block text of every generated text comes back through a CRLF file", () => {
    const random = new Prng(555);
    for (let index = 0; index < 300; index++) {
      const text = generatedText(random);
      const lines = crlf(renderBlockText(text)).replace(/\r\n/g, "\n").split("\n").slice(0, -1);
      expect(readBlockLines(lines), JSON.stringify(text)).toBe(text);
    }
  });
});

describe("a domain file cut short", () => {
  it("is a MarkdownParseError at or after the cut block's heading, at every cut inside the last block lore wrote", () => {
    const random = new Prng(2718);
    for (let file = 0; file < 40; file++) {
      const records = Array.from({ length: random.int(1, 4) }, () => generatedHeuristic(random));
      const { text, lines } = domainFile("x", records);
      const idLine = text.lastIndexOf("\n<!-- lore:id=") + 1;
      const separatorEnd = text.length - "\n\n".length;
      const heading = lines[lines.length - 1];
      // From the first byte of its lore id line to the last before its `---` line is whole.
      for (let cut = idLine + 1; cut < separatorEnd; cut++) {
        const context = `file ${file}, cut at ${cut}: ${JSON.stringify(text.slice(idLine, cut))}`;
        let thrown: unknown;
        try {
          parseHeuristicFile(text.slice(0, cut));
        } catch (error) {
          thrown = error;
        }
        expect(thrown, context).toBeInstanceOf(MarkdownParseError);
        expect((thrown as MarkdownParseError).line, context).toBeGreaterThanOrEqual(heading);
      }
      // With its `---` line whole, nothing is missing.
      for (const cut of [separatorEnd, separatorEnd + 1, text.length]) {
        expect(parseHeuristicFile(text.slice(0, cut)), `file ${file}, cut at ${cut}`).toHaveLength(records.length);
      }
    }
  });

  it("names the missing part: a field line, the `---` line, or the lore id line", () => {
    const block = renderHeuristicBlock(heuristic({ id: 4 }));
    const file = renderDomainHeader("x") + block;
    const without = (line: string) => file.replace(`${line}\n`, "");
    expect(() => parseHeuristicFile(without("**Source**: observation"))).toThrow(/H-4: no \*\*Source\*\* line/);
    expect(() => parseHeuristicFile(without("**Created**: 2025-12-01"))).toThrow(/H-4: no \*\*Created\*\* line/);
    expect(() => parseHeuristicFile(file.slice(0, file.lastIndexOf("---")))).toThrow(/H-4: no `---` line/);
    expect(() => parseHeuristicFile(file.replace("-->", ""))).toThrow(/line 8: H-4: its lore id line is cut short/);
    // A block lore wrote, followed by another heading without its `---` line (an edit by hand), is still read.
    const elfBlock = "## H-5: theirs\n\n**Confidence**: 0.5\n**Source**: s\n**Created**: 2025-12-01\n\nx\n";
    const edited = file.slice(0, file.lastIndexOf("---")) + elfBlock;
    expect(parseHeuristicFile(edited).map((entry) => entry.id)).toEqual([4, 5]);
  });
});
