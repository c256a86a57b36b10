// The briefing of `lore context` and `lore query --context`: query.py's
// layout, its relevance order, lore's additions (golden heuristics, a real
// task text), colour only when asked, and a budget held by every tier (ELF's
// query.py held only its third), with no entry cut and golden-rules.md cut
// only at a rule boundary. Real child processes, real SQLite.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openDb, tempDir } from "./support/journal.js";
import { createElfJournal } from "./support/elf-journal.js";
import { cleanEnv, REPO_ROOT, runLore } from "./support/lore.js";
import { buildContext, TIER_SHARES } from "../src/read/context.js";
import { journalLayout } from "../src/journal/layout.js";
import { openReadJournal } from "../src/read/read-journal.js";

interface Tier {
  name: string;
  budget: number;
  tokens: number;
  leftOut: number;
  file?: { shown: number; leftOut: number; whole: boolean };
  entries: Record<string, Array<Record<string, unknown>>>;
}

interface Briefing {
  maxTokens: number;
  tokens: number;
  header: { tokens: number };
  tiers: Tier[];
}

async function briefing(dir: string, args: string[]): Promise<{ text: string; json: Briefing }> {
  const [text, json] = await Promise.all(
    [args, [...args, "--json"]].map((each) => runLore(["context", ...each, "--base", dir], { cwd: dir })),
  );
  for (const result of [text, json]) expect(result, result.stderr).toMatchObject({ code: 0, stderr: "" });
  return { text: text.stdout, json: JSON.parse(json.stdout) };
}

/** Each heading's place in `text`; all present, in this order. */
function expectInOrder(text: string, headings: string[]): void {
  const places = headings.map((heading) => text.indexOf(heading));
  expect(
    headings.filter((_, index) => places[index] < 0),
    "headings missing",
  ).toEqual([]);
  expect([...places].sort((a, b) => a - b)).toEqual(places);
}

describe("the briefing's layout (query.py's) on ELF's journal", () => {
  const dir = tempDir("lore-context-elf-");
  beforeAll(() => createElfJournal(dir));

  it("lore query --context --domain: every section in query.py's order, golden heuristics after the file", async () => {
    const result = await runLore(["query", "--context", "--domain", "database", "--base", dir], { cwd: dir });
    expect(result.code).toBe(0);
    expectInOrder(result.stdout, [
      "🏢 Building Status\n━━━━━━━━━━━━━━━━━━\n",
      "# TIER 1: Golden Rules\n\n# Golden Rules\n\nThese rules apply to every task.",
      "## 3. Commit Often",
      "## Golden Heuristics (promoted in the database)\n\n- **Always set a busy timeout** (domain: database, confidence: 0.90, validated: 12x)",
      "# TIER 2: Relevant Knowledge",
      "## Domain: database",
      "### Heuristics:\n\n- **Always set a busy timeout** (confidence: 0.90, validated: 12x)\n  Writers otherwise fail at once",
      "### Recent Learnings:\n\n- **Auto-captured: run migration** (failure)\n  Reason: error\n    \n    Task: run migration",
      "## Decisions (ADRs)\n\n- **Log in UTC**\n  Decision: All logs in UTC\n  Rationale: One clock",
      "## VIOLATED INVARIANTS\n\n- **[VIOLATED 3x] API returns request_id**\n  Severity: error | Scope: runtime",
      "## Active Invariants\n\n- **Every write takes the journal lock** (domain: database)\n  Severity: error | Scope: codebase | Validation: manual",
      "## Active Assumptions (High Confidence)\n\n- **Disks are local** (confidence: 80%, verified: 2x)\n  Context: Context of Disks are local\n  Source: inference",
      "## Challenged/Invalidated Assumptions\n\n- **[INVALIDATED]** Users read docs\n  Challenged 5x | Confidence: 0%",
      "## Spike Reports (Research Knowledge)\n\n- **Busy timeouts**\n  Topic: Topic of Busy timeouts",
      "  Usefulness: 4.5/5",
      "# TIER 3: Recent Context\n\n- **Deploy rollback failed** (failure, 2099-01-03 07:00:00)",
      "# Active Experiments\n\n- **wal-size** (2 cycles)\n  Hypothesis: A smaller WAL reads faster",
      "# Pending CEO Reviews\n\n- **Contradiction: WAL or rollback journal**\n  Context: Two heuristics disagree",
    ]);
    // Without a task there is no task section and no similar-failure detection (query.py matched a fixed text).
    expect(result.stdout).not.toContain("# Task Context");
    expect(result.stdout).not.toContain("Similar Failures");
    // Tier 3 shows no learning Tier 2 showed already.
    const tier3 = result.stdout.slice(result.stdout.indexOf("# TIER 3"));
    expect(tier3).not.toContain("Auto-captured: run migration");
  });

  it("re-sorts the tag matches by relevance: the asked domain and recent ones first", async () => {
    const result = await runLore(["query", "--context", "--domain", "database", "--tags", "sqlite", "--base", dir], {
      cwd: dir,
    });
    const section = result.stdout.slice(result.stdout.indexOf("## Tag Matches: sqlite"));
    const titles = [...section.matchAll(/^- \*\*(.+?)\*\* \(failure, domain: /gm)].map((match) => match[1]);
    // Newest first in SQL (Deploy, Backup, Migration, DB lock); Backup is old and of another domain.
    expect(titles).toEqual(["Deploy rollback failed", "Migration dropped index", "DB lock timeout", "Backup too slow"]);
  });

  it("colours nothing on a pipe; --color colours query.py's two headings", async () => {
    for (const command of [["query", "--context"], ["context"]]) {
      const plain = await runLore([...command, "--base", dir], { cwd: dir });
      expect(plain.stdout).not.toContain("\u001b");
      const coloured = await runLore([...command, "--color", "--base", dir], { cwd: dir });
      expect(coloured.stdout).toContain("🏢 \u001b[94mBuilding Status\u001b[0m\n");
      expect(coloured.stdout).toContain("# TIER 1: \u001b[93mGolden Rules\u001b[0m\n");
    }
  });

  it("with a task: the task's first line, and the failures sharing its words", async () => {
    const { text, json } = await briefing(dir, [
      "--task",
      "deploy rollback script failed again\nmore detail that is not shown",
      "--domain",
      "production",
    ]);
    expect(text).toContain("# Task Context\n\ndeploy rollback script failed again\n\n---\n");
    expect(text).not.toContain("more detail");
    // Task words: deploy rollback script failed again more detail that shown; the failure's: deploy rollback
    // failed script missing. 4 shared of 10: 40%.
    expect(text).toContain(
      "## ⚠️ Similar Failures Detected\n\n- **[40% match] Deploy rollback failed**\n  Keywords: deploy, rollback, script, failed\n  Lesson: Rollback script missing\n",
    );
    const similar = json.tiers.find((tier) => tier.name === "similar-failures");
    expect(similar?.entries.failures.map((row) => row.id)).toEqual([6]);
  });

  it("takes the task from stdin when none is given", async () => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "lore.js"), "context", "--base", dir], {
      cwd: dir,
      env: cleanEnv(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stdin.end("the rollback script of the deploy failed\n");
    const code = await new Promise((resolve) => child.on("close", resolve));
    expect(code).toBe(0);
    expect(stdout).toContain("# Task Context\n\nthe rollback script of the deploy failed\n");
    expect(stdout).toContain("Deploy rollback failed**\n  Keywords: rollback, script, deploy, failed");
  });
});

/** A journal with far more than a small budget holds: 30 golden rules, golden heuristics, a big domain. */
function createCrowdedJournal(dir: string): void {
  createElfJournal(dir);
  const rules = Array.from(
    { length: 30 },
    (_, i) => `## ${i + 1}. Rule number ${i + 1}\n\n> Statement ${i + 1} ${"with words ".repeat(4)}\n\n---\n\n`,
  );
  fs.writeFileSync(
    path.join(dir, "memory", "golden-rules.md"),
    `# Golden Rules\n\nMany rules.\n\n---\n\n${rules.join("")}`,
  );
  const db = openDb(dir);
  try {
    const heuristic = db.prepare(
      "INSERT INTO heuristics (domain, rule, explanation, source_type, confidence, times_validated, is_golden) VALUES (?, ?, ?, 'failure', ?, ?, ?)",
    );
    const learning = db.prepare(
      "INSERT INTO learnings (type, filepath, title, summary, tags, domain, severity, created_at) VALUES ('failure', ?, ?, ?, 'big', 'big', 3, ?)",
    );
    for (let i = 0; i < 40; i++) heuristic.run("big", `Golden heuristic ${i}`, null, 0.95, 20, 1);
    for (let i = 0; i < 60; i++) {
      heuristic.run(
        "big",
        `Big rule ${i} about queues`,
        `Explanation ${i} ${"detail ".repeat(i % 7)}`,
        0.5 + i / 200,
        i,
        0,
      );
      learning.run(
        `memory/failures/x${i}.md`,
        `Big failure ${i}`,
        `Summary ${i} ${"words ".repeat(i % 9)}`,
        `2099-01-0${1 + (i % 9)} 10:00:00`,
      );
    }
  } finally {
    db.close();
  }
}

describe("the budget: every tier held to its share", () => {
  const dir = tempDir("lore-context-crowded-");
  beforeAll(() => createCrowdedJournal(dir));

  it.each([150, 300, 700])(
    "--max-tokens %i: each tier within its budget, the whole within --max-tokens",
    async (max) => {
      const { text, json } = await briefing(dir, [
        "--domain",
        "big",
        "--task",
        "queues are slow",
        "--max-tokens",
        String(max),
      ]);
      expect(json.maxTokens).toBe(max);
      expect(Math.ceil(text.length / 4)).toBeLessThanOrEqual(max);
      expect(json.tokens).toBe(Math.ceil(text.length / 4));
      // The shares of what the header leaves, in order; what a tier leaves unused goes to the next.
      const available = max - json.header.tokens;
      let carried = 0;
      json.tiers.forEach((tier, index) => {
        expect(tier.name).toBe(TIER_SHARES[index].tier);
        expect(tier.budget, tier.name).toBe(Math.floor(available * TIER_SHARES[index].share) + carried);
        expect(tier.tokens, tier.name).toBeLessThanOrEqual(tier.budget);
        carried = tier.budget - tier.tokens;
      });
      expect(json.tiers.reduce((sum, tier) => sum + tier.tokens, json.header.tokens)).toBeLessThanOrEqual(max);
      // Each tier had more than it could show.
      expect(
        json.tiers.filter((tier) => tier.leftOut > 0 || tier.file?.whole === false).map((tier) => tier.name),
      ).toEqual(expect.arrayContaining(["golden-rules", "relevant-knowledge"]));
    },
  );

  it("cuts golden-rules.md at a rule boundary, says how many rules were left out and how to see them", async () => {
    const { text, json } = await briefing(dir, ["--max-tokens", "300"]);
    const golden = json.tiers[0];
    expect(golden.file?.whole).toBe(false);
    expect(golden.file?.shown).toBeGreaterThan(0);
    expect(golden.file?.shown).toBeLessThan(30);
    const leftOut = 30 - (golden.file?.shown ?? 0);
    expect(text).toContain(
      `_(${leftOut} golden rules were left out for the token budget: \`lore query --golden-rules\` prints them all.)_`,
    );
    // The last rule shown is whole: its statement and its separator are there.
    const shown = golden.file?.shown ?? 0;
    expect(text).toContain(
      `## ${shown}. Rule number ${shown}\n\n> Statement ${shown} ${"with words ".repeat(4)}\n\n---\n`,
    );
    expect(text).not.toContain(`## ${shown + 1}. Rule number`);
    // Query.py printed the whole file whatever the budget (over 900 characters here).
    expect(golden.tokens).toBeLessThanOrEqual(golden.budget);
  });

  it("never cuts an entry: every entry listed is shown whole, the others not at all", async () => {
    const { text, json } = await briefing(dir, ["--domain", "big", "--max-tokens", "400"]);
    const relevant = json.tiers.find((tier) => tier.name === "relevant-knowledge") as Tier;
    expect(relevant.leftOut).toBeGreaterThan(0);
    for (const row of relevant.entries.domainHeuristics ?? []) {
      expect(text).toContain(`- **${row.rule}** (confidence: `);
      if (row.explanation !== null) expect(text).toContain(`  ${String(row.explanation).trimEnd()}`);
    }
    const listed = new Set((relevant.entries.domainHeuristics ?? []).map((row) => row.rule));
    for (const match of text.matchAll(/^- \*\*(Big rule \d+ about queues)\*\*/gm)) expect(listed).toContain(match[1]);
  });

  it("given a task, ranks the domain's heuristics by the words they share with it", async () => {
    const db = openDb(dir);
    try {
      db.prepare(
        "INSERT INTO heuristics (domain, rule, explanation, source_type, confidence) VALUES ('big', 'Shard the ledger reconciliation', 'Reconciliation of the ledger is slow', 'failure', 0.6)",
      ).run();
    } finally {
      db.close();
    }
    const withTask = await briefing(dir, [
      "--domain",
      "big",
      "--task",
      "the ledger reconciliation is slow",
      "--max-tokens",
      "5000",
    ]);
    const heuristics = (withTask.json.tiers[2].entries.domainHeuristics ?? []).map((row) => row.rule);
    expect(heuristics[0]).toBe("Shard the ledger reconciliation");
    const withoutTask = await briefing(dir, ["--domain", "big", "--max-tokens", "5000"]);
    expect((withoutTask.json.tiers[2].entries.domainHeuristics ?? []).map((row) => row.rule)).not.toContain(
      "Shard the ledger reconciliation",
    );
  });
});

describe("buildContext called directly (as a SessionStart hook does)", () => {
  it("takes empty tags as no tags, and holds to any budget it is given", () => {
    const dir = tempDir("lore-context-direct-");
    createElfJournal(dir);
    const journal = openReadJournal(journalLayout(dir));
    try {
      const withEmptyTags = buildContext(journal, { domain: "database", tags: [], maxTokens: 2000, color: false });
      const withoutTags = buildContext(journal, { domain: "database", maxTokens: 2000, color: false });
      expect(withEmptyTags.text).toBe(withoutTags.text);
      for (const maxTokens of [0, 1, 0.5, 7.9, Number.NaN]) {
        const briefing = buildContext(journal, { maxTokens, color: false });
        expect(briefing.tokens, String(maxTokens)).toBeLessThanOrEqual(Math.max(1, Math.floor(maxTokens) || 1));
      }
    } finally {
      journal.close();
    }
  });
});
