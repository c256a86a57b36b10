// `lore query`: query.py's modes, mode by mode, against what query.py prints
// with --format json (test/fixtures/query/*.json, written by hand from ELF's
// documented behaviour; ELF itself is not run), on a journal made as ELF's
// scripts make one and on one recorded by lore. Parsed JSON is compared field
// by field: every record in the same order, every field query.py prints with
// its value and in its place; lore may add fields. Then query's input rules
// (exit 2, one line naming the field), the other formats, and what lore does
// where query.py had a bug. Real child processes, real SQLite.
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createJournal, runSql, tempDir } from "./support/journal.js";
import { createElfJournal, ELF_GOLDEN_RULES_B } from "./support/elf-journal.js";
import { recordFailure, recordHeuristic, runLore, type RunResult } from "./support/lore.js";

interface FixtureCase {
  args: string[];
  expected: unknown;
}

function fixtureCases(name: string): FixtureCase[] {
  const file = path.join(import.meta.dirname, "fixtures", "query", name);
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { cases: FixtureCase[] }).cases;
}

/**
 * `actual` holds every record of `expected` in the same order, each with every
 * field of the expected one, equal and in the same order among those fields;
 * it may hold more fields. `{"$match": regex}` in a fixture matches a string.
 */
function expectSameRecords(actual: unknown, expected: unknown, where = "$"): void {
  if (expected !== null && typeof expected === "object" && "$match" in expected) {
    expect(actual, where).toMatch(new RegExp((expected as { $match: string }).$match));
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${where} is a list`).toBe(true);
    expect((actual as unknown[]).length, `${where} has ${expected.length} records`).toBe(expected.length);
    for (const [index, item] of expected.entries()) {
      expectSameRecords((actual as unknown[])[index], item, `${where}[${index}]`);
    }
  } else if (expected !== null && typeof expected === "object") {
    expect(actual !== null && typeof actual === "object" && !Array.isArray(actual), `${where} is an object`).toBe(true);
    const keys = Object.keys(expected);
    expect(
      Object.keys(actual as object).filter((key) => keys.includes(key)),
      `${where}'s fields, in order`,
    ).toEqual(keys);
    for (const key of keys) {
      expectSameRecords(
        (actual as Record<string, unknown>)[key],
        (expected as Record<string, unknown>)[key],
        `${where}.${key}`,
      );
    }
  } else {
    expect(actual, where).toEqual(expected);
  }
}

function query(dir: string, args: string[]): Promise<RunResult> {
  return runLore(["query", ...args, "--base", dir], { cwd: dir });
}

/** stdout parsed, of a run that exits 0 (stderr may hold a note, as --assumptions' fallback line). */
async function queryJson(dir: string, args: string[]): Promise<unknown> {
  const result = await query(dir, [...args, "--format", "json"]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

describe("lore query on a journal made by ELF's scripts, as query.py prints it", () => {
  const dir = tempDir("lore-query-elf-");
  beforeAll(() => createElfJournal(dir));

  it.each(fixtureCases("elf-journal.json").map((entry) => [entry.args.join(" "), entry] as const))(
    "%s",
    async (_, entry) => {
      expectSameRecords(await queryJson(dir, entry.args), entry.expected);
    },
  );

  it("--golden-rules prints the file as it is, and ignores --format", async () => {
    for (const format of [[], ["--format", "json"]]) {
      const result = await query(dir, ["--golden-rules", ...format]);
      expect(result).toMatchObject({ code: 0, stderr: "", stdout: ELF_GOLDEN_RULES_B });
    }
  });

  it("--golden-rules without the file prints query.py's stand-in", async () => {
    const bare = tempDir("lore-query-no-rules-");
    createElfJournal(bare);
    fs.rmSync(path.join(bare, "memory", "golden-rules.md"));
    const result = await query(bare, ["--golden-rules"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("# Golden Rules\n\nNo golden rules have been established yet.\n");
  });

  it("--base-path is another name for --base", async () => {
    const result = await runLore(["query", "--stats", "--format", "json", "--base-path", dir], { cwd: tempDir() });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ total_learnings: 8 });
    const both = await runLore(["query", "--stats", "--base-path", dir, "--base", tempDir()], { cwd: dir });
    expect(both).toMatchObject({ code: 2, stdout: "" });
    expect(both.stderr).toMatch(/^lore query: base-path: is another name for --base: give one of them\n$/);
  });

  it("with no mode prints its help and exits 0, as query.py", async () => {
    const result = await query(dir, []);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^lore query\n/);
    expect(result.stdout).toContain("--recent");
  });

  it("--assumptions that finds none lists the challenged ones: after query.py's line in text, the line on stderr in json", async () => {
    const json = await query(dir, ["--assumptions", "--min-confidence", "0.9", "--format", "json"]);
    expect(json.code).toBe(0);
    expect(json.stderr).toBe("--- Challenged/Invalidated Assumptions ---\n");
    expect((JSON.parse(json.stdout) as Array<{ id: number }>).map((row) => row.id)).toEqual([4, 3]);
    const text = await query(dir, ["--assumptions", "--min-confidence", "0.9"]);
    expect(text.stderr).toBe("");
    expect(text.stdout).toMatch(/^--- Challenged\/Invalidated Assumptions ---\n\n--- Item 1 ---\nid: 4\n/);
  });

  it("--format text prints query.py's layout: items, `key: value`, None for NULL", async () => {
    const list = await query(dir, ["--spikes", "--domain", "database", "--limit", "1"]);
    expect(list.stdout).toBe(
      [
        "",
        "--- Item 1 ---",
        "id: 3",
        "title: Busy timeouts",
        "topic: Topic of Busy timeouts",
        "question: What about Busy timeouts?",
        "findings: Findings of Busy timeouts",
        "gotchas: ",
        "resources: ",
        "time_invested_minutes: None",
        "domain: database",
        "tags: sqlite",
        "usefulness_score: 4.5",
        "access_count: 0",
        "created_at: 2025-03-03 10:00:00",
        "updated_at: 2025-03-03 10:00:00",
        "",
      ].join("\n"),
    );
    const object = await query(dir, ["--domain", "nothing-here"]);
    expect(object.stdout).toBe(
      "domain: nothing-here\nheuristics:\n\nlearnings:\n\ncount:\nheuristics: 0\nlearnings: 0\n",
    );
  });

  it("--format csv is a table a CSV reader reads: a header, quoted fields, and a header also with no row", async () => {
    const list = await query(dir, ["--recent", "2", "--type", "failure", "--format", "csv"]);
    expect(list.code).toBe(0);
    const lines = list.stdout.split("\r\n");
    expect(lines[0]).toBe("id,type,filepath,title,summary,tags,domain,severity,created_at,updated_at");
    expect(lines[1]).toBe(
      "6,failure,memory/failures/20990103_deploy-rollback-failed.md,Deploy rollback failed,Rollback script missing," +
        '"deploy,sqlite_backup",production,5,2099-01-03 07:00:00,2099-01-03 07:00:00',
    );
    expect(list.stdout).toContain(',"Reason: error\n\nTask: run migration\n\nOutput snippet: locked",,database,3,');
    const empty = await query(dir, ["--decisions", "--decision-status", "rejected", "--format", "csv"]);
    expect(empty.stdout).toBe("id,title,context,decision,rationale,domain,status,created_at\r\n");
  });

  it("--format csv of a mode that gives an object is a key,value table (query.py printed a Python repr)", async () => {
    const result = await query(dir, ["--violations", "--format", "csv"]);
    expect(result.stdout.split("\r\n").slice(0, 8)).toEqual([
      "key,value",
      "total,3",
      "acknowledged,1",
      "unacknowledged,2",
      "by_rule.0.rule_id,1",
      "by_rule.0.rule_name,Always check the building before starting a task.",
      "by_rule.0.count,2",
      "by_rule.1.rule_id,2",
    ]);
  });

  it("--accountability-banner draws the box of the last 7 days", async () => {
    const result = await query(dir, ["--accountability-banner", "--format", "json"]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^╔═+╗$/);
    expect(lines.at(-1)).toMatch(/^╚═+╝$/);
    expect(new Set(lines.map((line) => [...line].length))).toEqual(new Set([73]));
    expect(result.stdout).toContain("Total Violations: 3");
    expect(result.stdout).toContain("Status: WARNING");
    expect(result.stdout).toContain("Rule #1: Always check the building before st... (2x)");
    expect(result.stdout).toContain("[2099-01-03 10:00] Rule #2");
  });
});

describe("--recent's window, on one clock (UTC)", () => {
  it("reads a time without an offset (ELF's hooks write local ISO times) as UTC, to the second", async () => {
    const dir = tempDir("lore-query-window-");
    createElfJournal(dir);
    // ISO text sorts after SQLite's "YYYY-MM-DD HH:MM:SS" on the same day: a text comparison alone would take it.
    const iso = (ms: number) => new Date(ms).toISOString().replace("Z", "000");
    const start = Date.now() - 2 * 86_400_000;
    const insert = (title: string, time: string) =>
      runSql(
        dir,
        "INSERT INTO learnings (type, filepath, title, summary, domain, severity, created_at) VALUES ('observation', 'auto-observations/x.md', ?, '', 'window', 3, ?)",
        title,
        time,
      );
    insert("just before the window", iso(start - 60_000));
    insert("just inside the window", iso(start + 60_000));
    const rows = (await queryJson(dir, ["--recent", "100", "--days", "2"])) as Array<{ title: string }>;
    const titles = rows.map((row) => row.title);
    expect(titles).toContain("just inside the window");
    expect(titles).not.toContain("just before the window");
  });
});

describe("lore query on a journal recorded by lore, as query.py prints it", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await createJournal();
    const records = [
      () =>
        recordFailure(dir, {
          title: "Timeout talking to API",
          domain: "api",
          severity: "high",
          tags: "http,timeout",
          summary: "The client hung.\nNo deadline was set.",
        }),
      () =>
        recordFailure(dir, {
          title: "Retry storm",
          domain: "api",
          tags: "http,retry",
          summary: "Every client retried at once",
        }),
      () =>
        recordHeuristic(dir, {
          domain: "api",
          rule: "Set a deadline on every call",
          explanation: "Calls without one hang",
          source: "failure",
          confidence: "0.8",
        }),
      () => recordHeuristic(dir, { domain: "api", rule: "Back off with jitter", confidence: "high" }),
      () => recordHeuristic(dir, { domain: "api", rule: "Log the request id", confidence: "0.8" }),
    ];
    for (const record of records) expect((await record()).code).toBe(0);
    // Fixed times (one in the 2-day window), and a counter as ELF's hooks move it.
    const times = [
      ["learnings", 1, "2025-08-01 10:00:00"],
      ["learnings", 2, "2099-01-05 10:00:00"],
      ["heuristics", 1, "2025-08-02 10:00:00"],
      ["heuristics", 2, "2025-08-03 10:00:00"],
      ["heuristics", 3, "2025-08-04 10:00:00"],
    ] as const;
    for (const [table, id, time] of times) {
      runSql(dir, `UPDATE ${table} SET created_at = ?, updated_at = ? WHERE id = ?`, time, time, id);
    }
    runSql(dir, "UPDATE heuristics SET times_validated = 6 WHERE id = 3");
  });

  it.each(fixtureCases("lore-journal.json").map((entry) => [entry.args.join(" "), entry] as const))(
    "%s",
    async (_, entry) => {
      expectSameRecords(await queryJson(dir, entry.args), entry.expected);
    },
  );
});

describe("lore query's input rules: exit 2, one line naming the field, nothing on stdout", () => {
  const dir = tempDir("lore-query-rules-");
  beforeAll(() => createElfJournal(dir));

  const cases: Array<[string, string[], string]> = [
    ["an empty domain", ["--domain", ""], "domain"],
    ["a domain over 100 characters", ["--domain", "d".repeat(101)], "domain"],
    ["a domain with a space", ["--domain", "a b"], "domain"],
    ["a domain with a slash", ["--decisions", "--domain", "../x"], "domain"],
    ["more than 50 tags", ["--tags", Array.from({ length: 51 }, (_, i) => `t${i}`).join(",")], "tags"],
    ["a tag over 50 characters", ["--tags", `ok,${"t".repeat(51)}`], "tags"],
    ["a tag with a space", ["--tags", "ok,not ok"], "tags"],
    ["no tag left", ["--tags", " , ,"], "tags"],
    ["a limit of 0", ["--domain", "x", "--limit", "0"], "limit"],
    ["a limit over 1000", ["--domain", "x", "--limit", "1001"], "limit"],
    ["a limit that is no integer", ["--domain", "x", "--limit", "ten"], "limit"],
    ["--recent 0", ["--recent", "0"], "recent"],
    ["--recent over 1000", ["--recent", "1001"], "recent"],
    ["an empty type", ["--recent", "5", "--type", ""], "type"],
    ["a type over 10,000 characters", ["--recent", "5", "--type", "t".repeat(10_001)], "type"],
    ["--type without --recent (query.py ignored it)", ["--domain", "x", "--type", "failure"], "type"],
    ["--days without --recent", ["--stats", "--days", "3"], "days"],
    ["--days 0", ["--recent", "5", "--days", "0"], "days"],
    ["an unknown format", ["--stats", "--format", "xml"], "format"],
    ["--max-tokens 0", ["--context", "--max-tokens", "0"], "max-tokens"],
    ["--violation-days 0", ["--violations", "--violation-days", "0"], "violation-days"],
    ["--min-confidence above 1", ["--assumptions", "--min-confidence", "2"], "min-confidence"],
  ];

  it.each(cases)("%s", async (_, args, field) => {
    const result = await query(dir, args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(new RegExp(`^lore query: ${field}: [^\\n]+\\n$`));
  });

  it("lore context has the same rules for its domain, tags, max-tokens and task", async () => {
    for (const [args, field] of [
      [["--domain", "a b"], "domain"],
      [["--tags", " ,"], "tags"],
      [["--max-tokens", "-5"], "max-tokens"],
      [["--task", ""], "task"],
      [["--task", "t".repeat(10_001)], "task"],
    ] as const) {
      const result = await runLore(["context", ...args, "--base", dir], { cwd: dir });
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(new RegExp(`^lore context: ${field}: [^\\n]+\\n$`));
    }
  });

  it("--max-tokens above 50,000 is taken as 50,000, as query.py does", async () => {
    const result = await runLore(["context", "--json", "--max-tokens", "80000", "--base", dir], { cwd: dir });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ maxTokens: 50_000 });
  });

  it("a journal without a database is exit 2", async () => {
    const empty = tempDir("lore-query-none-");
    const result = await query(empty, ["--stats"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^lore query: no lore journal found at /);
  });
});
