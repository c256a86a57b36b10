// Bad and hostile input, with real `node bin/lore.js` child processes on a real
// journal in a real git repository, no mocks. It proves that every class of bad
// input (a severity or confidence out of range or not a word ELF knows, a
// missing or empty required field, control characters, a field over ELF's
// length limit up to 1 MB, a domain that is a path) exits 2 with exactly one
// line on stderr naming the field and the rule, writes nothing anywhere (no
// file under the journal or beside it, no row, no commit) and loses nothing
// recorded earlier; and that hostile text that is valid (fake headings, fake
// `H-<id>` lines and separators, fake lore ids, leading `---`, unicode) is
// stored exactly: the markdown parses back to the very value given, the file's
// own structure stays intact and the database holds exactly that record.
//
// Two values cannot travel through exec at all: a NUL byte, and an argument
// over Linux's 128 KiB per-string limit (MAX_ARG_STRLEN, so a 1 MB field gives
// E2BIG). Those cases run lore's built CLI (dist/lore.js, what bin/lore.js
// runs) in a real child node process that builds the argument list in memory,
// exactly as bin/run.js passes process.argv to it.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, recordFailure, recordHeuristic, runLore, runNode, type RunResult } from "./support/lore.js";
import {
  createJournalIn,
  git,
  invariantViolations,
  markdownRecords,
  readRows,
  tempDir,
  type HeuristicRow,
  type LearningRow,
} from "./support/journal.js";
import { parseFailure } from "../src/journal/failure-markdown.js";
import { parseHeuristicFile } from "../src/journal/heuristic-markdown.js";

/** An argument built inside the child: `repeat` repeated `count` times. */
type BigArg = { repeat: string; count: number };

const IN_MEMORY_ARGV = `
const spec = JSON.parse(process.argv[1]);
const { runCli } = await import(spec.cli);
const args = spec.args.map((a) => (typeof a === "string" ? a : a.repeat.repeat(a.count)));
process.exitCode = await runCli(args);
`;

/** lore's CLI in a real child process, with an argument list that exec could not carry. */
function runLoreInMemoryArgv(args: Array<string | BigArg>, cwd: string): Promise<RunResult> {
  const spec = JSON.stringify({ cli: pathToFileURL(path.join(REPO_ROOT, "dist", "lore.js")).href, args });
  return runNode(["--input-type=module", "-e", IN_MEMORY_ARGV, spec], { cwd });
}

/**
 * A journal at <outer>/<inner>/journal (in a git repository with the files
 * init wrote committed, as createJournal makes it), so that a file written
 * up to two levels outside the journal lands in a directory of the test's own.
 */
async function createNestedJournal(): Promise<{ outer: string; dir: string }> {
  const outer = tempDir("lore-bad-input-");
  const dir = path.join(outer, "inner", "journal");
  await createJournalIn(dir);
  return { outer, dir };
}

/** Every file below `root` (but .git and the SQLite files) with a hash of its content; directories too. */
function tree(root: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (directory: string) => {
    for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
      const full = path.join(directory, entry.name);
      const relative = path.relative(root, full);
      if (entry.name === ".git" || /^index\.db(-wal|-shm|-journal)?$/.test(entry.name)) continue;
      if (entry.isDirectory()) {
        entries[`${relative}/`] = "dir";
        walk(full);
      } else {
        entries[relative] = crypto.createHash("sha256").update(fs.readFileSync(full)).digest("hex");
      }
    }
  };
  walk(root);
  return entries;
}

interface Snapshot {
  head: string;
  commits: string;
  rows: { learnings: LearningRow[]; heuristics: HeuristicRow[] };
  tree: Record<string, string>;
}

function snapshot(outer: string, dir: string): Snapshot {
  return {
    head: git(dir, ["rev-parse", "HEAD"]).trim(),
    commits: git(dir, ["rev-list", "--all"]),
    rows: readRows(dir),
    tree: tree(outer),
  };
}

/** Exit 2, nothing on stdout, exactly one stderr line naming the field and the rule. */
function expectRejected(result: RunResult, field: string, rule: RegExp): void {
  expect(result.code, `stderr: ${result.stderr}`).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr.endsWith("\n")).toBe(true);
  const stderrLines = result.stderr.slice(0, -1).split("\n");
  expect(stderrLines).toHaveLength(1);
  expect(stderrLines[0]).toContain(field);
  expect(stderrLines[0]).toMatch(rule);
  // The message is short even for a 1 MB value: it never echoes a value whole.
  expect(stderrLines[0].length).toBeLessThan(400);
}

interface BadCase {
  name: string;
  command: "record-failure" | "record-heuristic";
  flags: Record<string, string | BigArg>;
  env?: Record<string, string>;
  field: string;
  rule: RegExp;
  /** The value cannot pass through exec (NUL byte, > 128 KiB): build argv in the child. */
  inMemory?: boolean;
}

const failure = (
  name: string,
  flags: BadCase["flags"],
  field: string,
  rule: RegExp,
  extra: Partial<BadCase> = {},
): BadCase => ({
  name,
  command: "record-failure",
  flags: { title: "Bad input", domain: "bad", ...flags },
  field,
  rule,
  ...extra,
});

const heuristic = (
  name: string,
  flags: BadCase["flags"],
  field: string,
  rule: RegExp,
  extra: Partial<BadCase> = {},
): BadCase => ({
  name,
  command: "record-heuristic",
  flags: { domain: "bad", rule: "bad input", ...flags },
  field,
  rule,
  ...extra,
});

const SEVERITY_RULE = /must be 1-5 or low, medium, high, critical/;
const CONFIDENCE_RULE = /must be a number from 0 to 1 or low, medium, high/;
const CONTROL_RULE = /control character/;
const PATH_RULE = /must be a name, not a path/;
const limit = (max: number) => new RegExp(`at most ${max} characters`);

const BAD_CASES: BadCase[] = [
  // Values ELF silently replaced.
  failure("severity 9", { severity: "9" }, "severity", SEVERITY_RULE),
  failure("severity banana", { severity: "banana" }, "severity", SEVERITY_RULE),
  failure("severity 0", { severity: "0" }, "severity", SEVERITY_RULE),
  failure("FAILURE_SEVERITY=9", {}, "severity", SEVERITY_RULE, { env: { FAILURE_SEVERITY: "9" } }),
  heuristic("confidence 2", { confidence: "2" }, "confidence", CONFIDENCE_RULE),
  heuristic("confidence sure", { confidence: "sure" }, "confidence", CONFIDENCE_RULE),
  heuristic("confidence -0.1", { confidence: "-0.1" }, "confidence", CONFIDENCE_RULE),
  heuristic("HEURISTIC_CONFIDENCE=sure", {}, "confidence", CONFIDENCE_RULE, { env: { HEURISTIC_CONFIDENCE: "sure" } }),
  // Missing or empty required fields (stdin is not a TTY: no prompt).
  {
    name: "missing --title",
    command: "record-failure",
    flags: { domain: "bad" },
    field: "--title",
    rule: /missing required/,
  },
  {
    name: "missing --domain (failure)",
    command: "record-failure",
    flags: { title: "t" },
    field: "--domain",
    rule: /missing required/,
  },
  {
    name: "missing --title and --domain",
    command: "record-failure",
    flags: { summary: "s" },
    field: "--title and --domain",
    rule: /missing required/,
  },
  {
    name: "missing --rule",
    command: "record-heuristic",
    flags: { domain: "bad" },
    field: "--rule",
    rule: /missing required/,
  },
  {
    name: "missing --domain (heuristic)",
    command: "record-heuristic",
    flags: { rule: "r" },
    field: "--domain",
    rule: /missing required/,
  },
  failure("empty title '   '", { title: "   " }, "title", /must not be empty/),
  failure("empty domain ''", { domain: "" }, "domain", /must not be empty/),
  heuristic("empty rule ' '", { rule: " " }, "rule", /must not be empty/),
  heuristic("domain with no letter or digit", { domain: "!!!" }, "domain", /must contain a letter or digit/),
  // Control characters.
  failure("title with BEL", { title: "bell \u0007 here" }, "title", CONTROL_RULE),
  failure("title with newline", { title: "two\nlines" }, "title", CONTROL_RULE),
  failure("title with ANSI escape", { title: "red \u001b[31mALERT\u001b[0m" }, "title", CONTROL_RULE),
  failure("summary with CR", { summary: "line one\r\nline two" }, "summary", CONTROL_RULE),
  failure("summary with NUL", { summary: "nul \u0000 inside" }, "summary", CONTROL_RULE, { inMemory: true }),
  failure("summary with ANSI escape", { summary: "ok\n\u001b[2Jcleared" }, "summary", CONTROL_RULE),
  failure("domain with newline", { domain: "a\nb" }, "domain", CONTROL_RULE),
  failure("tags with ESC", { tags: "a,\u001b[1mb" }, "tags", CONTROL_RULE),
  heuristic("rule with newline", { rule: "rule\nsecond line" }, "rule", CONTROL_RULE),
  heuristic("explanation with CR", { explanation: "a\rb" }, "explanation", CONTROL_RULE),
  heuristic("explanation with ANSI escape", { explanation: "\u001b[31mred" }, "explanation", CONTROL_RULE),
  heuristic("source with BEL", { source: "src\u0007" }, "source", CONTROL_RULE),
  // Lengths (counted before trimming, as ELF counts them).
  failure("1 MB title", { title: { repeat: "x", count: 1_048_576 } }, "title", limit(500), { inMemory: true }),
  failure("1 MB summary", { summary: { repeat: "y", count: 1_048_576 } }, "summary", limit(50000), { inMemory: true }),
  failure("title of 131,071 chars through exec", { title: "t".repeat(131_071) }, "title", limit(500)),
  failure("title of 501 chars", { title: "t".repeat(501) }, "title", limit(500)),
  failure("title of 499 chars + 2 spaces (before trimming)", { title: `${"t".repeat(499)}  ` }, "title", limit(500)),
  failure("summary of 50,001 chars", { summary: "s".repeat(50_001) }, "summary", limit(50000)),
  failure("domain of 101 chars (failure)", { domain: "d".repeat(101) }, "domain", limit(100)),
  heuristic("domain of 101 chars (heuristic)", { domain: "d".repeat(101) }, "domain", limit(100)),
  heuristic("rule of 501 chars", { rule: "r".repeat(501) }, "rule", limit(500)),
  heuristic("explanation of 5,001 chars", { explanation: "e".repeat(5_001) }, "explanation", limit(5000)),
  heuristic("1 MB explanation", { explanation: { repeat: "e", count: 1_048_576 } }, "explanation", limit(5000), {
    inMemory: true,
  }),
  // Path traversal in the domain.
  failure("failure domain ../../etc", { domain: "../../etc" }, "domain", PATH_RULE),
  failure("failure domain a/b", { domain: "a/b" }, "domain", PATH_RULE),
  failure("failure domain ..\\x", { domain: "..\\x" }, "domain", PATH_RULE),
  failure("failure domain ..", { domain: ".." }, "domain", PATH_RULE),
  heuristic("heuristic domain ../../etc", { domain: "../../etc" }, "domain", PATH_RULE),
  heuristic("heuristic domain a/b", { domain: "a/b" }, "domain", PATH_RULE),
  heuristic("heuristic domain ..\\x", { domain: "..\\x" }, "domain", PATH_RULE),
  heuristic("heuristic domain Concurrency Control/../x", { domain: "Concurrency Control/../x" }, "domain", PATH_RULE),
  {
    name: "HEURISTIC_DOMAIN=../../etc",
    command: "record-heuristic",
    flags: { rule: "bad input" },
    env: { HEURISTIC_DOMAIN: "../../etc" },
    field: "domain",
    rule: PATH_RULE,
  },
];

function argsOf(testCase: BadCase): Array<string | BigArg> {
  return [testCase.command, ...Object.entries(testCase.flags).flatMap(([name, value]) => [`--${name}`, value])];
}

describe("bad input: exit 2, one line naming the field and the rule, nothing written, nothing lost", () => {
  let outer: string;
  let dir: string;
  let goodFailureFile: string;
  let goodFailureText: string;
  let goodHeuristicText: string;

  beforeAll(async () => {
    ({ outer, dir } = await createNestedJournal());
    const good = await recordFailure(dir, {
      title: "Good failure",
      domain: "bad",
      severity: "4",
      tags: "good",
      summary: "kept\nacross bad input",
    });
    expect(good.code).toBe(0);
    const goodRule = await recordHeuristic(dir, {
      domain: "bad",
      rule: "good rule",
      explanation: "kept too",
      confidence: "0.4",
    });
    expect(goodRule.code).toBe(0);
    const rows = readRows(dir);
    goodFailureFile = path.join(dir, rows.learnings[0].filepath);
    goodFailureText = fs.readFileSync(goodFailureFile, "utf8");
    goodHeuristicText = fs.readFileSync(path.join(dir, "memory", "heuristics", "bad.md"), "utf8");
    expect(invariantViolations(dir)).toEqual([]);
  });

  it.each(BAD_CASES)("$command: $name", async (testCase) => {
    const before = snapshot(outer, dir);
    const args = argsOf(testCase);
    const result = testCase.inMemory
      ? await runLoreInMemoryArgv(args, dir)
      : await runLore(args as string[], { cwd: dir, env: testCase.env });
    expectRejected(result, testCase.field, testCase.rule);

    const after = snapshot(outer, dir);
    expect(after.head).toBe(before.head);
    expect(after.commits).toBe(before.commits);
    expect(after.rows).toEqual(before.rows);
    expect(after.tree).toEqual(before.tree);
    // Nothing escaped the journal either (../../etc from any of its directories).
    for (const base of [
      dir,
      path.join(dir, "memory"),
      path.join(dir, "memory", "heuristics"),
      path.join(dir, "memory", "failures"),
    ]) {
      expect(fs.existsSync(path.resolve(base, "../../etc.md"))).toBe(false);
      expect(fs.existsSync(path.resolve(base, "../../etc"))).toBe(false);
    }

    // What was recorded before is intact.
    expect(fs.readFileSync(goodFailureFile, "utf8")).toBe(goodFailureText);
    expect(fs.readFileSync(path.join(dir, "memory", "heuristics", "bad.md"), "utf8")).toBe(goodHeuristicText);
    expect(after.rows.learnings.map((row) => [row.title, row.summary, row.severity])).toEqual([
      ["Good failure", "kept across bad input", 4],
    ]);
    expect(after.rows.heuristics.map((row) => [row.rule, row.explanation, row.confidence])).toEqual([
      ["good rule", "kept too", 0.4],
    ]);
    expect(git(dir, ["status", "--porcelain"]).trim()).toBe("");
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("the in-memory route really reaches lore: the same child records a valid value", async () => {
    // Guards the NUL / 1 MB cases above against passing for the wrong reason.
    const { dir: fresh } = await createNestedJournal();
    const result = await runLoreInMemoryArgv(
      [
        "record-failure",
        "--title",
        { repeat: "z", count: 500 },
        "--domain",
        "in-memory",
        "--summary",
        { repeat: "s", count: 50_000 },
      ],
      fresh,
    );
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
    const [row] = readRows(fresh).learnings;
    expect(row.title).toBe("z".repeat(500));
    expect(parseFailure(fs.readFileSync(path.join(fresh, row.filepath), "utf8")).summary).toBe("s".repeat(50_000));
    expect(invariantViolations(fresh)).toEqual([]);
  });
});

describe("hostile but valid input is stored exactly", () => {
  async function freshJournal(): Promise<string> {
    return (await createNestedJournal()).dir;
  }

  function expectRecorded(result: RunResult): void {
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  }

  it("a summary faking headings, the lore id and a separator round-trips; the file's own sections stay intact", async () => {
    const dir = await freshJournal();
    const summary =
      "line1\n## Root Cause\nfake\n# Title\n<!-- lore:id=00000000-0000-0000-0000-000000000000 -->\n---\n\\## already escaped";
    const result = await recordFailure(dir, {
      title: "Real Title",
      domain: "hostile",
      severity: "2",
      tags: "t",
      summary,
    });
    expectRecorded(result);

    const { learnings } = readRows(dir);
    expect(learnings).toHaveLength(1);
    const [row] = learnings;
    // The row holds the whole summary, its line breaks turned into spaces, as ELF stores it.
    expect(row).toMatchObject({
      title: "Real Title",
      summary: summary.replace(/\n/g, " "),
      domain: "hostile",
      severity: 2,
      tags: "t",
    });
    const text = fs.readFileSync(path.join(dir, row.filepath), "utf8");
    const parsed = parseFailure(text);
    expect(parsed).toMatchObject({
      title: "Real Title",
      domain: "hostile",
      severity: 2,
      tags: "t",
      summary,
      loreId: row.lore_id,
    });

    const fileLines = text.split("\n");
    const count = (line: string) => fileLines.filter((l) => l === line).length;
    expect(fileLines[0]).toBe("# Real Title");
    expect(fileLines.filter((line) => line.startsWith("# "))).toEqual(["# Real Title"]);
    for (const heading of [
      "## Summary",
      "## What Happened",
      "## Root Cause",
      "## Impact",
      "## Prevention",
      "## Related",
    ]) {
      expect({ heading, count: count(heading) }).toEqual({ heading, count: 1 });
    }
    expect(fileLines.indexOf("## Root Cause")).toBeGreaterThan(fileLines.indexOf("## What Happened"));
    expect(fileLines[fileLines.indexOf("## Root Cause") + 2]).toBe("[What was the underlying issue?]");
    expect(fileLines.filter((line) => line.startsWith("<!-- lore:id="))).toEqual([`<!-- lore:id=${row.lore_id} -->`]);
    expect(count("---")).toBe(0);
    expect(markdownRecords(dir).failures).toEqual(new Map([[row.lore_id, row.filepath]]));
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("an explanation faking an H-line, a separator and a Confidence line stays inside its own block", async () => {
    const dir = await freshJournal();
    const file = path.join(dir, "memory", "heuristics", "hostile.md");
    const explanation = "x\n## H-999: fake rule\n---\n**Confidence**: 0.1";
    const first = await recordHeuristic(dir, {
      domain: "hostile",
      rule: "real rule",
      explanation,
      confidence: "0.4",
      source: "s1",
    });
    expectRecorded(first);
    const [row] = readRows(dir).heuristics;
    const blocks = parseHeuristicFile(fs.readFileSync(file, "utf8"));
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toMatchObject({
      id: row.id,
      loreId: row.lore_id,
      rule: "real rule",
      confidence: 0.4,
      source: "s1",
      explanation,
    });
    expect(row).toMatchObject({ rule: "real rule", explanation, confidence: 0.4 });
    expect(invariantViolations(dir)).toEqual([]);

    const second = await recordHeuristic(dir, {
      domain: "hostile",
      rule: "second rule",
      explanation: "plain",
      confidence: "high",
    });
    expectRecorded(second);
    const rows = readRows(dir).heuristics;
    expect(rows).toHaveLength(2);
    const after = parseHeuristicFile(fs.readFileSync(file, "utf8"));
    expect(after).toHaveLength(2);
    expect(after[0]).toMatchObject({
      id: row.id,
      loreId: row.lore_id,
      rule: "real rule",
      confidence: 0.4,
      explanation,
    });
    expect(after[1]).toMatchObject({
      id: rows[1].id,
      loreId: rows[1].lore_id,
      rule: "second rule",
      confidence: 0.85,
      source: "observation",
      explanation: "plain",
    });
    expect(after[1].id).not.toBe(after[0].id);
    expect(after.some((block) => block.id === 999)).toBe(false);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("a title or rule starting with '---', and a title with '# ' inside, are stored and read back exactly", async () => {
    const dir = await freshJournal();
    const titles = ["--- looks like front matter", "# starts like a heading", "fix the # heading ## parser"];
    for (const title of titles) {
      // `--title=value` and FAILURE_TITLE carry a leading "-" unambiguously.
      const viaFlag = await runLore(["record-failure", `--title=${title}`, "--domain", "dashes"], { cwd: dir });
      expectRecorded(viaFlag);
      const viaEnv = await runLore(["record-failure", "--domain", "dashes"], {
        cwd: dir,
        env: { FAILURE_TITLE: title },
      });
      expectRecorded(viaEnv);
    }
    const failures = readRows(dir).learnings;
    expect(failures.map((row) => row.title)).toEqual(titles.flatMap((title) => [title, title]));
    for (const row of failures) {
      expect(parseFailure(fs.readFileSync(path.join(dir, row.filepath), "utf8"))).toMatchObject({
        title: row.title,
        domain: "dashes",
        loreId: row.lore_id,
      });
      expect(path.basename(row.filepath)).toMatch(/^\d{8}_[a-z0-9-]+\.md$/);
    }

    const rules = ["--- looks like a separator", "---", "# not a heading"];
    for (const rule of rules) {
      const result = await runLore(["record-heuristic", "--domain", "dashes", `--rule=${rule}`], { cwd: dir });
      expectRecorded(result);
    }
    const viaEnv = await runLore(["record-heuristic", "--domain", "dashes"], {
      cwd: dir,
      env: { HEURISTIC_RULE: "--- from env" },
    });
    expectRecorded(viaEnv);
    const rows = readRows(dir).heuristics;
    expect(rows.map((row) => row.rule)).toEqual([...rules, "--- from env"]);
    const blocks = parseHeuristicFile(fs.readFileSync(path.join(dir, "memory", "heuristics", "dashes.md"), "utf8"));
    expect(blocks.map((block) => [block.id, block.loreId, block.rule])).toEqual(
      rows.map((row) => [row.id, row.lore_id, row.rule]),
    );
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("blank lines, indentation and backslashes at the edges of free text round-trip exactly", async () => {
    const dir = await freshJournal();
    const texts = [
      "\n\nstarts after blank lines",
      "ends with blank lines\n\n",
      "  indented\n\t\ttabbed\n",
      "\\\n\\\\# two\n\\---\n\\<!-- x -->",
      "   ",
    ];
    for (const text of texts) {
      expectRecorded(await recordFailure(dir, { title: "Edges", domain: "edges", summary: text }));
      expectRecorded(await recordHeuristic(dir, { domain: "edges", rule: "edges", explanation: text }));
    }
    const failures = readRows(dir).learnings;
    expect(failures.map((row) => parseFailure(fs.readFileSync(path.join(dir, row.filepath), "utf8")).summary)).toEqual(
      texts,
    );
    const blocks = parseHeuristicFile(fs.readFileSync(path.join(dir, "memory", "heuristics", "edges.md"), "utf8"));
    expect(blocks.map((block) => block.explanation)).toEqual(texts);
    expect(readRows(dir).heuristics.map((row) => row.explanation)).toEqual(texts);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("unicode (emoji, RTL text, combining marks) is stored exactly; limits count characters, not bytes", async () => {
    const dir = await freshJournal();
    const title = "Déploiement 🚀 échoué — فشل النشر — שגיאה בפריסה 👩‍👩‍👧";
    const summary = "Résumé: 💥\nשורה שנייה بالعربية\ne\u0301 (combining) and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢\n\tend 🧪";
    const domain = "Ünïcode 🌍";
    const failureResult = await recordFailure(dir, { title, domain, tags: "🏷️,تاج", summary });
    expectRecorded(failureResult);
    const [row] = readRows(dir).learnings;
    expect(row).toMatchObject({ title, domain, tags: "🏷️,تاج", summary: summary.replace(/\n/g, " ") });
    expect(path.basename(row.filepath)).toMatch(/^\d{8}_[a-z0-9-]+\.md$/);
    expect(parseFailure(fs.readFileSync(path.join(dir, row.filepath), "utf8"))).toMatchObject({
      title,
      domain,
      tags: "🏷️,تاج",
      summary,
      loreId: row.lore_id,
    });

    // 500 emoji are 500 characters (1,000 UTF-16 units, 2,000 bytes): at the limit, accepted.
    const emojiTitle = "🚀".repeat(500);
    expectRecorded(await recordFailure(dir, { title: emojiTitle, domain: "limits" }));
    const emojiRow = readRows(dir).learnings[1];
    expect(emojiRow.title).toBe(emojiTitle);
    expect(path.basename(emojiRow.filepath)).toMatch(/^\d{8}_untitled\.md$/);
    expect(parseFailure(fs.readFileSync(path.join(dir, emojiRow.filepath), "utf8")).title).toBe(emojiTitle);
    const tooMany = await recordFailure(dir, { title: "🚀".repeat(501), domain: "limits" });
    expectRejected(tooMany, "title", limit(500));

    const rule = "استخدم 🔒 قبل الكتابة — נעל לפני כתיבה";
    const explanation = "Pourquoi? 🤔\nכי אחרת 💥\n\tالنهاية";
    const heuristicResult = await recordHeuristic(dir, { domain: "i18n", rule, explanation, source: "ユーザー報告" });
    expectRecorded(heuristicResult);
    const [heuristicRow] = readRows(dir).heuristics;
    expect(heuristicRow).toMatchObject({ domain: "i18n", rule, explanation, source_type: "ユーザー報告" });
    const [block] = parseHeuristicFile(fs.readFileSync(path.join(dir, "memory", "heuristics", "i18n.md"), "utf8"));
    expect(block).toMatchObject({
      id: heuristicRow.id,
      loreId: heuristicRow.lore_id,
      rule,
      explanation,
      source: "ユーザー報告",
    });
    expect(readRows(dir).learnings).toHaveLength(2);
    expect(invariantViolations(dir)).toEqual([]);
  });
});
