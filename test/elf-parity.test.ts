// Parity with ELF's record-failure.sh and record-heuristic.sh (docs: the ELF
// interface in elf-format.md), on real temp journals with real `node bin/...`
// child processes, real SQLite and real git, no mocks. It proves that lore
// takes ELF's flags, its FAILURE_* / HEURISTIC_* variables (a flag winning over
// its variable) and its defaults; maps severity and confidence words as ELF
// does; writes ELF's file names, markdown and rows and prints ELF's success
// lines; that the `record-failure` / `record-heuristic` executables behave
// exactly like `lore record-failure` / `lore record-heuristic`; and where lore
// deliberately differs from ELF: --json, one git commit per record holding
// only the record's file (a user's staged change stays staged), no overwrite
// of a same-day same-title failure, safe slugs, a one-line warning outside a
// git work tree, and how the journal is found (--base, LORE_BASE, the nearest
// ancestor). After every successful record the journal's invariants hold. A
// failure's row holds its whole summary as ELF's recorder stores it (computed
// by a real bash as the recorder computes it), so `lore sync` on a journal
// ELF's recorder wrote finds nothing to change, and an older lore's
// first-line rows are reported edited once and fixed.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, runLore, recordFailure, recordHeuristic, toFlags, type RunResult } from "./support/lore.js";
import {
  createJournal,
  git,
  invariantViolations,
  markdownRecords,
  readRows,
  tempDir,
  type HeuristicRow,
  type LearningRow,
} from "./support/journal.js";
import { parseHeuristicFile } from "../src/journal/heuristic-markdown.js";
import { ELF_FAILURE_SECTIONS, ELF_INIT_DB_SQL, ELF_QUERY_PY_TABLES, elfSummaryColumn } from "./support/elf-format.js";
import type { FailureRecord } from "../src/journal/failure-markdown.js";

interface Day {
  compact: string;
  iso: string;
}

/** The local calendar day, computed here independently of lore. */
function localDay(now = new Date()): Day {
  const y = String(now.getFullYear()).padStart(4, "0");
  const m = String(now.getMonth() + 1).padStart(2, "0");
  const d = String(now.getDate()).padStart(2, "0");
  return { compact: `${y}${m}${d}`, iso: `${y}-${m}-${d}` };
}

/** Runs `run` and returns its result with the local days it may have seen (two around midnight). */
async function dated<T>(run: () => Promise<T>): Promise<{ result: T; days: Day[] }> {
  const before = localDay();
  const result = await run();
  const after = localDay();
  return { result, days: before.compact === after.compact ? [before] : [before, after] };
}

function outputLines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

function expectOk(result: RunResult): void {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
}

function lastLearning(dir: string): LearningRow {
  return readRows(dir).learnings.at(-1) as LearningRow;
}

function lastHeuristic(dir: string): HeuristicRow {
  return readRows(dir).heuristics.at(-1) as HeuristicRow;
}

/** The file lore reported on its `Created:` line (failures). */
function createdFile(stdout: string): string {
  const line = outputLines(stdout).find((l) => l.startsWith("Created: "));
  expect(line, `no "Created:" line in ${JSON.stringify(stdout)}`).toBeDefined();
  return (line as string).slice("Created: ".length);
}

/** ELF's failure markdown (its heredoc, without the TIME-FIX-3 comment), plus lore's id line. */
function elfFailureMarkdown(f: FailureRecord): string {
  return [
    `# ${f.title}`,
    "",
    `**Domain**: ${f.domain}`,
    `**Severity**: ${f.severity}`,
    `**Tags**: ${f.tags}`,
    `**Date**: ${f.date}`,
    "",
    "## Summary",
    "",
    f.summary,
    "",
    ...ELF_FAILURE_SECTIONS,
    "",
    `<!-- lore:id=${f.loreId} -->`,
    "",
  ].join("\n");
}

function elfDomainHeader(slug: string): string {
  return `# Heuristics: ${slug}\n\nGenerated from failures, successes, and observations in the **${slug}** domain.\n\n---\n\n`;
}

function elfHeuristicBlock(h: {
  id: number;
  loreId: string;
  rule: string;
  confidence: string;
  source: string;
  created: string;
  explanation: string;
}): string {
  return (
    `## H-${h.id}: ${h.rule}\n<!-- lore:id=${h.loreId} -->\n\n` +
    `**Confidence**: ${h.confidence}\n**Source**: ${h.source}\n**Created**: ${h.created}\n\n` +
    `${h.explanation}\n\n---\n\n`
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function insideWorkTree(dir: string): boolean {
  try {
    execFileSync("git", ["rev-parse", "--is-inside-work-tree"], { cwd: dir, env: cleanEnv(), stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

describe("record-failure, as ELF's record-failure.sh", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await createJournal({ git: true });
  });

  it("with every flag: exit 0, ELF's file name, markdown, row and success lines", async () => {
    const flags = {
      title: "Deploy Broke Prod",
      domain: "Release Engineering",
      severity: "4",
      tags: "deploy,rollback",
      summary: "Pushed the wrong build.\nThe second line is in the row too.",
    };
    const { result, days } = await dated(() => recordFailure(dir, flags));
    expectOk(result);

    const file = createdFile(result.stdout);
    const day = days.find((d) => path.basename(file) === `${d.compact}_deploy-broke-prod.md`);
    expect(day, `file name ${path.basename(file)} is not <local YYYYMMDD>_deploy-broke-prod.md`).toBeDefined();
    expect(file).toBe(path.join(fs.realpathSync(dir), "memory", "failures", path.basename(file)));

    const row = lastLearning(dir);
    expect(row).toMatchObject({
      type: "failure",
      filepath: `memory/failures/${path.basename(file)}`,
      title: "Deploy Broke Prod",
      summary: "Pushed the wrong build. The second line is in the row too.",
      tags: "deploy,rollback",
      domain: "Release Engineering",
      severity: 4,
    });
    expect(row.lore_id).toMatch(UUID);

    expect(fs.readFileSync(file, "utf8")).toBe(
      elfFailureMarkdown({ ...flags, severity: 4, date: (day as Day).iso, loreId: row.lore_id as string }),
    );

    const lines = outputLines(result.stdout);
    expect(lines).toContain(`Created: ${file}`);
    expect(lines).toContain(`Database record created (ID: ${row.id})`);
    expect(lines).toContain("Failure recorded successfully!");
    expect(lines.indexOf(`Created: ${file}`)).toBeLessThan(lines.indexOf("Failure recorded successfully!"));
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("reads FAILURE_TITLE/DOMAIN/SEVERITY/TAGS/SUMMARY, and a flag wins over its variable", async () => {
    const env = {
      FAILURE_TITLE: "From The Environment",
      FAILURE_DOMAIN: "EnvDomain",
      FAILURE_SEVERITY: "critical",
      FAILURE_TAGS: "env,tags",
      FAILURE_SUMMARY: "env summary\nmore",
    };
    const fromEnv = await runLore(["record-failure"], { cwd: dir, env });
    expectOk(fromEnv);
    const envRow = lastLearning(dir);
    expect(envRow).toMatchObject({
      title: "From The Environment",
      domain: "EnvDomain",
      severity: 5,
      tags: "env,tags",
      summary: "env summary more",
    });
    expect(envRow.filepath).toMatch(/^memory\/failures\/\d{8}_from-the-environment\.md$/);
    expect(fs.readFileSync(path.join(dir, envRow.filepath), "utf8")).toContain(
      "\n\nenv summary\nmore\n\n## What Happened\n",
    );
    expect(invariantViolations(dir)).toEqual([]);

    const flags = { title: "Flag Title", domain: "FlagDomain", severity: "1", tags: "flag", summary: "flag summary" };
    const bothGiven = await recordFailure(dir, flags, env);
    expectOk(bothGiven);
    expect(lastLearning(dir)).toMatchObject({
      title: "Flag Title",
      domain: "FlagDomain",
      severity: 1,
      tags: "flag",
      summary: "flag summary",
    });
    expect(invariantViolations(dir)).toEqual([]);

    // Some flags, the rest from the environment.
    const mixed = await recordFailure(dir, { title: "Mixed Title", severity: "low" }, env);
    expectOk(mixed);
    expect(lastLearning(dir)).toMatchObject({
      title: "Mixed Title",
      domain: "EnvDomain",
      severity: 2,
      tags: "env,tags",
      summary: "env summary more",
    });
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("a multi-line summary is stored as ELF stores it: all of it, its line breaks turned into spaces", async () => {
    const summaries = [
      "First line.\nSecond line.\nThird line.",
      "\nafter a blank line\n\n\tindented, then blank lines at the end\n\n\n",
      "ends with spaces  \n  and starts with them",
      "Résumé: 💥\nשורה שנייה",
    ];
    for (const summary of summaries) {
      const result = await recordFailure(dir, { title: "Multi Line", domain: "summaries", summary });
      expectOk(result);
      const row = lastLearning(dir);
      // What ELF's recorder stores for the same summary, computed by bash as ELF computes it.
      expect(row.summary, JSON.stringify(summary)).toBe(elfSummaryColumn(summary));
      expect(row.summary).toBe(summary.replace(/\n+$/, "").replace(/\n/g, " "));
      // The file keeps the summary exactly.
      expect(fs.readFileSync(path.join(dir, row.filepath), "utf8")).toContain(`\n## Summary\n\n${summary}\n\n## What`);
    }
    expect(invariantViolations(dir)).toEqual([]);
    // lore's own journal is in sync with what lore stored.
    const sync = await runLore(["sync", "--json"], { cwd: dir });
    expect(sync.code).toBe(0);
    expect(JSON.parse(sync.stdout).findings).toEqual([]);
  });

  it("defaults: severity 3, summary 'No summary provided', empty tags", async () => {
    const { result, days } = await dated(() => recordFailure(dir, { title: "Only Required", domain: "defaults" }));
    expectOk(result);
    const row = lastLearning(dir);
    expect(row).toMatchObject({
      title: "Only Required",
      domain: "defaults",
      severity: 3,
      summary: "No summary provided",
      tags: "",
    });
    const text = fs.readFileSync(path.join(dir, row.filepath), "utf8");
    const day = days.find((d) => row.filepath.endsWith(`/${d.compact}_only-required.md`)) as Day;
    expect(day).toBeDefined();
    expect(text).toBe(
      elfFailureMarkdown({
        title: "Only Required",
        domain: "defaults",
        severity: 3,
        tags: "",
        summary: "No summary provided",
        date: day.iso,
        loreId: row.lore_id as string,
      }),
    );
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("severity: the words low/medium/high/critical become 2/3/4/5, and 1-5 are kept", async () => {
    const cases: Array<[string, number]> = [
      ["low", 2],
      ["medium", 3],
      ["high", 4],
      ["critical", 5],
      ["1", 1],
      ["2", 2],
      ["3", 3],
      ["4", 4],
      ["5", 5],
    ];
    for (const [given, expected] of cases) {
      const result = await recordFailure(dir, { title: `Severity ${given}`, domain: "severity", severity: given });
      expectOk(result);
      const row = lastLearning(dir);
      expect({ given, title: row.title, severity: row.severity }).toEqual({
        given,
        title: `Severity ${given}`,
        severity: expected,
      });
      expect(fs.readFileSync(path.join(dir, row.filepath), "utf8")).toContain(`\n**Severity**: ${expected}\n`);
    }
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("the same title twice on one day gives two files (the second with -2), never an overwrite", async () => {
    const first = await recordFailure(dir, { title: "Twice Today", domain: "dup", summary: "the first one" });
    expectOk(first);
    const firstFile = createdFile(first.stdout);
    const firstText = fs.readFileSync(firstFile, "utf8");
    const second = await recordFailure(dir, { title: "Twice Today", domain: "dup", summary: "the second one" });
    expectOk(second);
    const secondFile = createdFile(second.stdout);

    expect(path.basename(firstFile)).toMatch(/^\d{8}_twice-today\.md$/);
    expect(secondFile).toBe(firstFile.replace(/\.md$/, "-2.md"));
    expect(fs.readFileSync(firstFile, "utf8")).toBe(firstText);
    expect(fs.readFileSync(secondFile, "utf8")).toContain("\nthe second one\n");
    const rows = readRows(dir).learnings.filter((row) => row.title === "Twice Today");
    expect(rows.map((row) => [row.filepath, row.summary])).toEqual([
      [`memory/failures/${path.basename(firstFile)}`, "the first one"],
      [`memory/failures/${path.basename(secondFile)}`, "the second one"],
    ]);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("slugs are safe: an all-punctuation title gives 'untitled', colons never reach a file name", async () => {
    const punctuation = await recordFailure(dir, { title: "?!...:::***", domain: "slug" });
    expectOk(punctuation);
    expect(path.basename(createdFile(punctuation.stdout))).toMatch(/^\d{8}_untitled\.md$/);
    expect(lastLearning(dir).title).toBe("?!...:::***");

    const colons = await recordFailure(dir, { title: "Error: Timeout: DB", domain: "slug" });
    expectOk(colons);
    const name = path.basename(createdFile(colons.stdout));
    expect(name).toMatch(/^\d{8}_error-timeout-db\.md$/);
    expect(name).not.toContain(":");
    expect(lastLearning(dir).title).toBe("Error: Timeout: DB");
    for (const file of fs.readdirSync(path.join(dir, "memory", "failures"))) {
      expect(file).toMatch(/^\d{8}_[a-z0-9-]+\.md$/);
    }
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("an unknown flag is skipped as ELF skips it (lore names it in one warning line)", async () => {
    const result = await runLore(
      ["record-failure", "--title", "Unknown Flag", "--domain", "flags", "--verbose", "--colour", "red"],
      { cwd: dir },
    );
    expect(result.code).toBe(0);
    const warnings = outputLines(result.stderr);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain("--verbose");
    expect(warnings[1]).toContain("--colour");
    expect(lastLearning(dir)).toMatchObject({ title: "Unknown Flag", domain: "flags", severity: 3 });
    expect(invariantViolations(dir)).toEqual([]);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell expansion ELF uses, quoted
  it('an empty flag falls back to its variable, as ELF\'s `title="${title:-$FAILURE_TITLE}"` does', async () => {
    const env = { FAILURE_TITLE: "Env Title", FAILURE_SEVERITY: "5", FAILURE_SUMMARY: "env summary" };
    const result = await runLore(
      ["record-failure", "--title", "", "--domain", "empty-flags", "--severity", "", "--summary", ""],
      { cwd: dir, env },
    );
    expectOk(result);
    expect(lastLearning(dir)).toMatchObject({
      title: "Env Title",
      domain: "empty-flags",
      severity: 5,
      summary: "env summary",
    });
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("a flag takes the next argument as its value even when it starts with '-', as ELF's `--title) title=\"$2\"` does", async () => {
    const result = await runLore(
      ["record-failure", "--title", "--- dashed title", "--domain", "dashes", "--summary", "- step one\n- step two"],
      { cwd: dir },
    );
    expectOk(result);
    expect(lastLearning(dir)).toMatchObject({
      title: "--- dashed title",
      domain: "dashes",
      summary: "- step one - step two",
    });
    expect(invariantViolations(dir)).toEqual([]);
  });
});

describe("record-heuristic, as ELF's record-heuristic.sh", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await createJournal({ git: true });
  });

  it("with every flag: the domain slug names the file and the row, ELF's header, then an H-<id> block", async () => {
    const flags = {
      domain: "Testing Stuff",
      rule: "Always run the suite twice",
      explanation: "Flaky tests hide.\n\tIndented second line.",
      source: "incident-42",
      confidence: "0.9",
    };
    const { result, days } = await dated(() => recordHeuristic(dir, flags));
    expectOk(result);
    const file = path.join(dir, "memory", "heuristics", "testing-stuff.md");
    expect(fs.readdirSync(path.join(dir, "memory", "heuristics"))).toEqual(["testing-stuff.md"]);

    const row = lastHeuristic(dir);
    expect(row).toMatchObject({
      domain: "testing-stuff",
      rule: "Always run the suite twice",
      explanation: "Flaky tests hide.\n\tIndented second line.",
      source_type: "incident-42",
      confidence: 0.9,
    });
    const text = fs.readFileSync(file, "utf8");
    const block = (created: string) =>
      elfHeuristicBlock({ ...flags, id: row.id, loreId: row.lore_id as string, confidence: "0.9", created });
    expect(days.map((day) => elfDomainHeader("testing-stuff") + block(day.iso))).toContain(text);
    expect(outputLines(result.stdout)).toContain(`Database record created (ID: ${row.id})`);
    expect(invariantViolations(dir)).toEqual([]);

    // A second heuristic in the same domain is appended under the same single header.
    const second = await recordHeuristic(dir, { domain: "testing stuff", rule: "Second rule", explanation: "why" });
    expectOk(second);
    const after = fs.readFileSync(file, "utf8");
    expect(after.startsWith(text)).toBe(true);
    expect(after.split("\n").filter((line) => line.startsWith("# Heuristics:"))).toEqual([
      "# Heuristics: testing-stuff",
    ]);
    const blocks = parseHeuristicFile(after);
    const rows = readRows(dir).heuristics;
    expect(blocks.map((b) => [b.id, b.rule])).toEqual(rows.map((r) => [r.id, r.rule]));
    expect(rows.map((r) => r.domain)).toEqual(["testing-stuff", "testing-stuff"]);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("reads HEURISTIC_DOMAIN/RULE/EXPLANATION/SOURCE/CONFIDENCE, and a flag wins over its variable", async () => {
    const env = {
      HEURISTIC_DOMAIN: "Env Domain",
      HEURISTIC_RULE: "rule from env",
      HEURISTIC_EXPLANATION: "explanation from env",
      HEURISTIC_SOURCE: "env-source",
      HEURISTIC_CONFIDENCE: "high",
    };
    const fromEnv = await runLore(["record-heuristic"], { cwd: dir, env });
    expectOk(fromEnv);
    expect(lastHeuristic(dir)).toMatchObject({
      domain: "env-domain",
      rule: "rule from env",
      explanation: "explanation from env",
      source_type: "env-source",
      confidence: 0.85,
    });
    expect(fs.existsSync(path.join(dir, "memory", "heuristics", "env-domain.md"))).toBe(true);
    expect(invariantViolations(dir)).toEqual([]);

    const flags = {
      domain: "Flag Domain",
      rule: "rule from flag",
      explanation: "flag why",
      source: "flag-source",
      confidence: "0.2",
    };
    const both = await recordHeuristic(dir, flags, env);
    expectOk(both);
    expect(lastHeuristic(dir)).toMatchObject({
      domain: "flag-domain",
      rule: "rule from flag",
      explanation: "flag why",
      source_type: "flag-source",
      confidence: 0.2,
    });
    expect(invariantViolations(dir)).toEqual([]);

    const mixed = await recordHeuristic(dir, { rule: "mixed rule", confidence: "low" }, env);
    expectOk(mixed);
    expect(lastHeuristic(dir)).toMatchObject({
      domain: "env-domain",
      rule: "mixed rule",
      explanation: "explanation from env",
      source_type: "env-source",
      confidence: 0.3,
    });
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("defaults: confidence 0.7, source 'observation'", async () => {
    const result = await recordHeuristic(dir, { domain: "defaults", rule: "just a rule" });
    expectOk(result);
    const row = lastHeuristic(dir);
    expect(row).toMatchObject({ domain: "defaults", rule: "just a rule", source_type: "observation", confidence: 0.7 });
    const block = parseHeuristicFile(fs.readFileSync(path.join(dir, "memory", "heuristics", "defaults.md"), "utf8"));
    expect(block).toHaveLength(1);
    expect(block[0]).toMatchObject({
      id: row.id,
      rule: "just a rule",
      confidence: 0.7,
      source: "observation",
      explanation: "",
    });
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("confidence: the words low/medium/high become 0.3/0.6/0.85, and numbers in 0..1 are kept", async () => {
    const cases: Array<[string, number]> = [
      ["low", 0.3],
      ["medium", 0.6],
      ["high", 0.85],
      ["0", 0],
      ["0.25", 0.25],
      ["1", 1],
    ];
    for (const [given, expected] of cases) {
      const result = await recordHeuristic(dir, {
        domain: "confidence",
        rule: `confidence ${given}`,
        confidence: given,
      });
      expectOk(result);
      const row = lastHeuristic(dir);
      expect({ given, rule: row.rule, confidence: row.confidence }).toEqual({
        given,
        rule: `confidence ${given}`,
        confidence: expected,
      });
    }
    const blocks = parseHeuristicFile(fs.readFileSync(path.join(dir, "memory", "heuristics", "confidence.md"), "utf8"));
    expect(blocks.map((block) => block.confidence)).toEqual(cases.map(([, expected]) => expected));
    expect(invariantViolations(dir)).toEqual([]);
  });
});

describe("the record-failure and record-heuristic executables", () => {
  /** Output, file and rows with what legitimately differs (journal path, ids, commit) normalised. */
  function normalise(dir: string, result: RunResult, loreId: string): string {
    return result.stdout
      .split(fs.realpathSync(dir))
      .join("<dir>")
      .split(loreId)
      .join("<lore-id>")
      .replace(/[0-9a-f]{40}/g, "<commit>");
  }

  it("record-failure behaves exactly like `lore record-failure` with the same flags and variables", async () => {
    const [viaLore, viaBin] = await Promise.all([createJournal({ git: true }), createJournal({ git: true })]);
    const flags = ["--title", "Bin Parity", "--domain", "Bins", "--severity", "high", "--summary", "same\nin both"];
    const env = { FAILURE_TAGS: "from-env" };
    const a = await runLore(["record-failure", ...flags], { cwd: viaLore, env });
    const b = await runLore(flags, { cwd: viaBin, env, bin: "record-failure" });
    expectOk(a);
    expectOk(b);
    const rowA = lastLearning(viaLore);
    const rowB = lastLearning(viaBin);
    const strip = (row: LearningRow) => ({ ...row, lore_id: undefined, created_at: undefined, updated_at: undefined });
    expect(strip(rowB)).toEqual(strip(rowA));
    expect(rowB).toMatchObject({
      title: "Bin Parity",
      domain: "Bins",
      severity: 4,
      tags: "from-env",
      summary: "same in both",
    });
    expect(normalise(viaBin, b, rowB.lore_id as string)).toBe(normalise(viaLore, a, rowA.lore_id as string));
    const fileA = fs.readFileSync(path.join(viaLore, rowA.filepath), "utf8").replace(rowA.lore_id as string, "<id>");
    const fileB = fs.readFileSync(path.join(viaBin, rowB.filepath), "utf8").replace(rowB.lore_id as string, "<id>");
    expect(fileB).toBe(fileA);
    expect(git(viaBin, ["log", "-1", "--format=%B"])).toBe(git(viaLore, ["log", "-1", "--format=%B"]));
    expect(invariantViolations(viaLore)).toEqual([]);
    expect(invariantViolations(viaBin)).toEqual([]);
  });

  it("record-heuristic behaves exactly like `lore record-heuristic` with the same flags and variables", async () => {
    const [viaLore, viaBin] = await Promise.all([createJournal({ git: true }), createJournal({ git: true })]);
    const flags = [
      "--domain",
      "Bin Parity",
      "--rule",
      "same rule",
      "--explanation",
      "same\nwhy",
      "--confidence",
      "medium",
    ];
    const env = { HEURISTIC_SOURCE: "env-source" };
    const a = await runLore(["record-heuristic", ...flags], { cwd: viaLore, env });
    const b = await runLore(flags, { cwd: viaBin, env, bin: "record-heuristic" });
    expectOk(a);
    expectOk(b);
    const rowA = lastHeuristic(viaLore);
    const rowB = lastHeuristic(viaBin);
    const strip = (row: HeuristicRow) => ({ ...row, lore_id: undefined, created_at: undefined, updated_at: undefined });
    expect(strip(rowB)).toEqual(strip(rowA));
    expect(rowB).toMatchObject({ domain: "bin-parity", rule: "same rule", source_type: "env-source", confidence: 0.6 });
    expect(normalise(viaBin, b, rowB.lore_id as string)).toBe(normalise(viaLore, a, rowA.lore_id as string));
    const file = path.join("memory", "heuristics", "bin-parity.md");
    expect(fs.readFileSync(path.join(viaBin, file), "utf8").replace(rowB.lore_id as string, "<id>")).toBe(
      fs.readFileSync(path.join(viaLore, file), "utf8").replace(rowA.lore_id as string, "<id>"),
    );
    expect(git(viaBin, ["log", "-1", "--format=%B"])).toBe(git(viaLore, ["log", "-1", "--format=%B"]));
    expect(invariantViolations(viaLore)).toEqual([]);
    expect(invariantViolations(viaBin)).toEqual([]);
  });
});

describe("--json and git", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await createJournal({ git: true });
  });

  function parseSingleJson(stdout: string): Record<string, unknown> {
    const lines = outputLines(stdout);
    expect(lines).toHaveLength(1);
    const parsed = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(typeof parsed).toBe("object");
    return parsed;
  }

  it("record-failure --json prints one JSON object; its commit is in git log with ELF-like message", async () => {
    const result = await runLore(["record-failure", "--title", "Json Failure", "--domain", "Json Domain", "--json"], {
      cwd: dir,
    });
    expectOk(result);
    const json = parseSingleJson(result.stdout);
    const row = lastLearning(dir);
    expect(json).toMatchObject({
      id: row.id,
      loreId: row.lore_id,
      file: path.join(fs.realpathSync(dir), row.filepath),
      path: row.filepath,
    });
    expect(json.commit).toMatch(/^[0-9a-f]{40}$/);
    const commit = json.commit as string;
    expect(git(dir, ["rev-parse", "HEAD"]).trim()).toBe(commit);
    expect(git(dir, ["log", "--format=%H"]).split("\n")).toContain(commit);
    expect(git(dir, ["log", "-1", "--format=%s", commit]).trim()).toBe("failure: Json Failure");
    expect(git(dir, ["log", "-1", "--format=%B", commit]).split("\n")).toContain("Domain: Json Domain");
    expect(git(dir, ["show", "--name-only", "--format=", commit]).trim()).toBe(row.filepath);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("record-heuristic --json prints one JSON object; its commit message is 'heuristic: <rule>'", async () => {
    const result = await runLore(["record-heuristic", "--domain", "Json Domain", "--rule", "Json rule", "--json"], {
      cwd: dir,
    });
    expectOk(result);
    const json = parseSingleJson(result.stdout);
    const row = lastHeuristic(dir);
    expect(json).toMatchObject({
      id: row.id,
      loreId: row.lore_id,
      file: path.join(fs.realpathSync(dir), "memory", "heuristics", "json-domain.md"),
      path: "memory/heuristics/json-domain.md",
    });
    const commit = json.commit as string;
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    expect(git(dir, ["log", "--format=%H"]).split("\n")).toContain(commit);
    expect(git(dir, ["log", "-1", "--format=%s", commit]).trim()).toBe("heuristic: Json rule");
    expect(git(dir, ["log", "-1", "--format=%B", commit]).split("\n")).toContain("Domain: json-domain");
    expect(git(dir, ["show", "--name-only", "--format=", commit]).trim()).toBe("memory/heuristics/json-domain.md");
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("a user's own staged changes stay staged and stay out of lore's commit", async () => {
    fs.writeFileSync(path.join(dir, "tracked.txt"), "v1\n");
    git(dir, ["add", "tracked.txt"]);
    git(dir, ["commit", "-q", "-m", "user commit"]);
    fs.writeFileSync(path.join(dir, "tracked.txt"), "v2\n");
    fs.writeFileSync(path.join(dir, "new-notes.txt"), "mine\n");
    git(dir, ["add", "tracked.txt", "new-notes.txt"]);
    const stagedBefore = git(dir, ["diff", "--cached"]);

    const failure = await recordFailure(dir, { title: "Staged Elsewhere", domain: "git" });
    expectOk(failure);
    const row = lastLearning(dir);
    expect(git(dir, ["show", "--name-only", "--format=", "HEAD"]).trim()).toBe(row.filepath);

    const heuristic = await recordHeuristic(dir, { domain: "git", rule: "keep the index" });
    expectOk(heuristic);
    expect(git(dir, ["show", "--name-only", "--format=", "HEAD"]).trim()).toBe("memory/heuristics/git.md");

    expect(git(dir, ["diff", "--cached", "--name-only"]).trim().split("\n").sort()).toEqual([
      "new-notes.txt",
      "tracked.txt",
    ]);
    expect(git(dir, ["diff", "--cached"])).toBe(stagedBefore);
    expect(git(dir, ["show", "HEAD:tracked.txt"])).toBe("v1\n");
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("--no-commit writes the record and its row but makes no commit", async () => {
    const head = git(dir, ["rev-parse", "HEAD"]).trim();
    const result = await runLore(
      ["record-failure", "--title", "Not Committed", "--domain", "git", "--no-commit", "--json"],
      { cwd: dir },
    );
    expectOk(result);
    const json = JSON.parse(result.stdout) as { path: string; commit: unknown };
    expect(json.commit).toBeNull();
    expect(fs.existsSync(path.join(dir, json.path))).toBe(true);
    expect(lastLearning(dir)).toMatchObject({ title: "Not Committed", filepath: json.path });
    expect(git(dir, ["rev-parse", "HEAD"]).trim()).toBe(head);
    expect(git(dir, ["status", "--porcelain", "--", json.path]).trim()).toBe(`?? ${json.path}`);

    const heuristic = await runLore(["record-heuristic", "--domain", "nocommit", "--rule", "r", "--no-commit"], {
      cwd: dir,
    });
    expectOk(heuristic);
    expect(outputLines(heuristic.stdout).some((line) => line.startsWith("Committed:"))).toBe(false);
    expect(git(dir, ["rev-parse", "HEAD"]).trim()).toBe(head);
    expect(invariantViolations(dir, { git: false })).toEqual([]);
    // Commit them by hand so that the journal's git invariants hold again.
    git(dir, ["add", "memory"]);
    git(dir, ["commit", "-q", "-m", "by hand", "--", "memory"]);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("outside any git work tree: exit 0 with exactly one warning line; --no-commit silences it", async () => {
    const dir = await createJournal({ git: false });
    expect(insideWorkTree(dir)).toBe(false);

    const failure = await recordFailure(dir, { title: "No Git Here", domain: "nogit" });
    expect(failure.code).toBe(0);
    const warning = failure.stderr.split("\n").filter((line) => line !== "");
    expect(warning).toHaveLength(1);
    expect(warning[0]).toContain("not inside a git work tree");
    expect(outputLines(failure.stdout)).toContain("Failure recorded successfully!");
    expect(lastLearning(dir).title).toBe("No Git Here");

    const heuristic = await recordHeuristic(dir, { domain: "nogit", rule: "still recorded" });
    expect(heuristic.code).toBe(0);
    expect(outputLines(heuristic.stderr)).toHaveLength(1);
    expect(heuristic.stderr).toContain("not inside a git work tree");

    const silent = await runLore(["record-failure", "--title", "Quiet", "--domain", "nogit", "--no-commit"], {
      cwd: dir,
    });
    expectOk(silent);
    const silentHeuristic = await runLore(["record-heuristic", "--domain", "nogit", "--rule", "quiet", "--no-commit"], {
      cwd: dir,
    });
    expectOk(silentHeuristic);
    expect(readRows(dir).learnings.map((row) => row.title)).toEqual(["No Git Here", "Quiet"]);
    expect(readRows(dir).heuristics.map((row) => row.rule)).toEqual(["still recorded", "quiet"]);
    expect(fs.existsSync(path.join(dir, ".git"))).toBe(false);
    expect(invariantViolations(dir, { git: false })).toEqual([]);
  });
});

describe("finding the journal", () => {
  let journal: string;
  let other: string;
  beforeAll(async () => {
    [journal, other] = await Promise.all([createJournal({ git: true }), createJournal({ git: true })]);
  });

  function titlesIn(dir: string): string[] {
    return readRows(dir).learnings.map((row) => row.title);
  }

  it("--base DIR, else LORE_BASE, else the nearest ancestor of the working directory holding memory/index.db", async () => {
    const elsewhere = tempDir();
    const sub = path.join(journal, "deep", "er", "sub");
    fs.mkdirSync(sub, { recursive: true });

    expectOk(
      await runLore(["record-failure", "--title", "Via Base", "--domain", "find", "--base", journal], {
        cwd: elsewhere,
      }),
    );
    expectOk(
      await runLore(["record-failure", "--title", "Via Env", "--domain", "find"], {
        cwd: elsewhere,
        env: { LORE_BASE: journal },
      }),
    );
    expectOk(await runLore(["record-failure", "--title", "Via Ancestor", "--domain", "find"], { cwd: sub }));
    expectOk(await runLore(["record-heuristic", "--domain", "find", "--rule", "via ancestor"], { cwd: sub }));
    // Precedence: --base over LORE_BASE, LORE_BASE over the working directory.
    expectOk(
      await runLore(["record-failure", "--title", "Base Beats Env", "--domain", "find", "--base", other], {
        cwd: sub,
        env: { LORE_BASE: journal },
      }),
    );
    expectOk(
      await runLore(["record-failure", "--title", "Env Beats Cwd", "--domain", "find"], {
        cwd: sub,
        env: { LORE_BASE: other },
      }),
    );
    // A relative --base is taken from the working directory.
    expectOk(
      await runLore(["record-failure", "--title", "Relative Base", "--domain", "find", "--base", "../../.."], {
        cwd: sub,
      }),
    );

    expect(titlesIn(journal)).toEqual(["Via Base", "Via Env", "Via Ancestor", "Relative Base"]);
    expect(titlesIn(other)).toEqual(["Base Beats Env", "Env Beats Cwd"]);
    expect(readRows(journal).heuristics.map((row) => row.rule)).toEqual(["via ancestor"]);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
    expect(fs.readdirSync(sub)).toEqual([]);
    expect(markdownRecords(journal).failures.size).toBe(4);
    expect(invariantViolations(journal)).toEqual([]);
    expect(invariantViolations(other)).toEqual([]);
  });

  it("with no journal: exit 2, one line on stderr saying to run `lore init`, nothing created", async () => {
    const empty = tempDir();
    const attempts: Array<{ args: string[]; env?: Record<string, string> }> = [
      { args: ["record-failure", ...toFlags({ title: "Nowhere", domain: "find" })] },
      { args: ["record-heuristic", ...toFlags({ domain: "find", rule: "nowhere" })] },
      { args: ["record-failure", ...toFlags({ title: "Nowhere", domain: "find", base: empty })] },
      { args: ["record-failure", ...toFlags({ title: "Nowhere", domain: "find" })], env: { LORE_BASE: empty } },
    ];
    // An empty HOME: no ELF install root there to be taken for the journal.
    const home = tempDir();
    for (const attempt of attempts) {
      const result = await runLore(attempt.args, { cwd: empty, env: { HOME: home, ...attempt.env } });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      const lines = outputLines(result.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("lore init");
    }
    expect(fs.readdirSync(empty)).toEqual([]);
  });
});

/** A failure file exactly as ELF's record-failure.sh writes it (its heredoc; the summary raw). */
function elfWrittenFailure(f: { title: string; domain: string; severity: number; tags: string; summary: string }) {
  return [
    `# ${f.title}`,
    "",
    `**Domain**: ${f.domain}`,
    `**Severity**: ${f.severity}`,
    `**Tags**: ${f.tags}`,
    "**Date**: 2025-12-01  # TIME-FIX-3: Use consistent captured date",
    "",
    "## Summary",
    "",
    f.summary,
    "",
    ...ELF_FAILURE_SECTIONS,
    "",
  ].join("\n");
}

/** Summaries as ELF's recorder got them: flags with real line breaks, its prompt's literal `\n`, escapes, colour, CRLF. */
const ELF_SUMMARIES = [
  "Given as a flag, on two lines.\nThe second line.",
  "Three paragraphs.\n\nWith blank lines between.\n\nAnd a newline at the end.\n",
  "\n  Starts with a blank line and spaces.\n\ttabbed\ttoo",
  "typed at the prompt, line one\\ntyped at the prompt, line two\\n",
  "A Windows path C:\\new\\temp, which echo -e cut",
  "\u001b[31mcoloured\u001b[0m output\r\nwith a CRLF line end",
  "Résumé: 💥\nשורה שנייה بالعربية",
];

describe("lore sync on a journal ELF's recorder wrote, multi-line summaries included", () => {
  it("finds nothing to change: each row is what ELF derived from its file's summary", async () => {
    const dir = tempDir("lore-elf-summaries-");
    const failures = path.join(dir, "memory", "failures");
    fs.mkdirSync(failures, { recursive: true });
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(path.join(dir, "memory", "index.db"));
    db.exec(ELF_INIT_DB_SQL);
    db.exec(ELF_QUERY_PY_TABLES);
    ELF_SUMMARIES.forEach((summary, index) => {
      const record = { title: `ELF failure ${index}`, domain: "ELF Domain", severity: 3, tags: "elf", summary };
      const file = `memory/failures/20251201_elf-failure-${index}.md`;
      fs.writeFileSync(path.join(dir, file), elfWrittenFailure(record));
      db.prepare(
        "INSERT INTO learnings(type, filepath, title, summary, tags, domain, severity) VALUES ('failure', ?, ?, ?, ?, ?, ?)",
      ).run(file, record.title, elfSummaryColumn(summary), record.tags, record.domain, record.severity);
    });
    db.close();
    git(dir, ["init", "-q"]);
    git(dir, ["add", "memory/failures"]);
    git(dir, ["-c", "user.name=elf", "-c", "user.email=elf@example.invalid", "commit", "-q", "-m", "ELF"]);
    const rowsBefore = readRows(dir).learnings.map((row) => [row.id, row.summary]);
    // Several of ELF's rows hold more than the first line, some less than the text.
    expect(rowsBefore.filter(([, summary]) => String(summary).includes("second line")).length).toBeGreaterThan(0);

    // The first sync only says that the schema is ELF's, not lore's.
    const first = await runLore(["sync", "--json"], { cwd: dir });
    expect(JSON.parse(first.stdout).findings.map((f: { type: string }) => f.type)).toEqual(["schema-behind"]);
    expect(first.code).toBe(3);
    const fix = await runLore(["sync", "--fix", "--json"], { cwd: dir });
    expect({ code: fix.code, remaining: JSON.parse(fix.stdout).remaining }).toEqual({ code: 0, remaining: [] });
    for (const args of [
      ["sync", "--json"],
      ["sync", "--full", "--json"],
    ]) {
      const again = await runLore(args, { cwd: dir });
      expect({ code: again.code, findings: JSON.parse(again.stdout).findings }, args.join(" ")).toEqual({
        code: 0,
        findings: [],
      });
    }
    // No row was rewritten: not one summary replaced by another rendering of its text.
    expect(readRows(dir).learnings.map((row) => [row.id, row.summary])).toEqual(rowsBefore);
  });

  it("an older lore journal, whose rows hold the first summary line, is reported edited once and fixed by --fix", async () => {
    const dir = await createJournal({ git: true });
    const summaries = ["One line only.", "First line.\nSecond line.", "Top.\n\nBottom.\n"];
    for (const [index, summary] of summaries.entries()) {
      expectOk(await recordFailure(dir, { title: `Older ${index}`, domain: "older", summary }));
    }
    expect((await runLore(["sync"], { cwd: dir })).code).toBe(0);
    // As an older lore left the journal: first lines in the rows, schema version 2, verified by its last sync.
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(path.join(dir, "memory", "index.db"));
    for (const row of db.prepare("SELECT id, summary FROM learnings").all() as Array<{ id: number; summary: string }>) {
      const index = readRows(dir).learnings.findIndex((candidate) => candidate.id === row.id);
      db.prepare("UPDATE learnings SET summary = ? WHERE id = ?").run(summaries[index].split("\n")[0], row.id);
    }
    db.exec("DELETE FROM lore_dirty");
    // Version 2 had no base column: what its syncs verified carries no base.
    db.exec("UPDATE lore_file_rows SET base = NULL");
    db.exec("UPDATE lore_meta SET value = '2' WHERE key = 'schema_version'");
    db.close();

    const report = await runLore(["sync", "--json"], { cwd: dir });
    expect(report.code).toBe(3);
    const findings = JSON.parse(report.stdout).findings as Array<{ type: string; path: string; columns?: string[] }>;
    const rows = readRows(dir).learnings;
    expect(findings.map((f) => `${f.type} ${f.path} ${f.columns ?? ""}`).sort()).toEqual(
      [
        "schema-behind memory/index.db ",
        `edited ${rows[1].filepath} summary`,
        `edited ${rows[2].filepath} summary`,
      ].sort(),
    );
    const fix = await runLore(["sync", "--fix", "--json"], { cwd: dir });
    expect({ code: fix.code, remaining: JSON.parse(fix.stdout).remaining }).toEqual({ code: 0, remaining: [] });
    expect(readRows(dir).learnings.map((row) => row.summary)).toEqual([
      "One line only.",
      "First line. Second line.",
      "Top.  Bottom.",
    ]);
    const after = await runLore(["sync", "--json"], { cwd: dir });
    expect({ code: after.code, findings: JSON.parse(after.stdout).findings }).toEqual({ code: 0, findings: [] });
    expect(invariantViolations(dir)).toEqual([]);
  });
});
