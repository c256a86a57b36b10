// `lore record-violation RULE DESCRIPTION [SESSION_ID]`: the real CLI on real
// journals in git whose golden-rules.md is ELF's template (or init.sh's
// format A), parallel processes, kills at the files transaction's steps, and
// ELF's script replaced by lore's shim and run as ELF's callers run it.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ViolationRow } from "../src/feedback/record-violation.js";
import { createJournal, git, openDb, runSql, tempDir } from "./support/journal.js";
import { REPO_ROOT, type RunResult, runLore, runProcess } from "./support/lore.js";

const GOLDEN_FIXTURES = path.join(REPO_ROOT, "test", "fixtures", "golden-rules");
const RULE_3 = "Don't just note what happened; extract the transferable principle.";
const ESCALATION_TITLE = "Golden Rule Violations Threshold Exceeded";

interface ViolationJson {
  violation: ViolationRow;
  count: number;
  level: string;
  ceoFile: string | null;
  ceoReview: number | null;
  pendingReview: number | null;
  commit: string | null;
}

function ok(result: RunResult): RunResult {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  return result;
}

/** A journal in git whose memory/golden-rules.md is `fixture` (ELF's template: format B), committed. */
async function journalWithRules(fixture = "elf-template.md"): Promise<string> {
  const dir = await createJournal();
  fs.copyFileSync(path.join(GOLDEN_FIXTURES, fixture), path.join(dir, "memory", "golden-rules.md"));
  git(dir, ["commit", "-q", "-m", "golden rules", "memory/golden-rules.md"]);
  return dir;
}

function violate(dir: string, args: string[], env?: Record<string, string>): Promise<RunResult> {
  return runLore(["record-violation", ...args], { cwd: dir, env });
}

async function violateJson(dir: string, args: string[]): Promise<ViolationJson> {
  return JSON.parse(ok(await violate(dir, [...args, "--json"])).stdout) as ViolationJson;
}

/** Violations recorded as ELF's script records them (CURRENT_TIMESTAMP), `count` of rule `rule`. */
function elfViolations(dir: string, count: number, rule = 5): void {
  for (let n = 1; n <= count; n++) {
    runSql(
      dir,
      "INSERT INTO violations (rule_id, rule_name, description, session_id) VALUES (?, 'Escalate Uncertainty', ?, 'elf')",
      rule,
      `earlier ${n}`,
    );
  }
}

function tableRows(dir: string, table: "violations" | "ceo_reviews"): Array<Record<string, unknown>> {
  const db = openDb(dir);
  try {
    return db.prepare(`SELECT * FROM ${table} ORDER BY id`).all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

function ceoFiles(dir: string): string[] {
  const inbox = path.join(dir, "ceo-inbox");
  return fs.existsSync(inbox) ? fs.readdirSync(inbox).sort() : [];
}

function head(dir: string): string {
  return git(dir, ["rev-parse", "HEAD"]).trim();
}

describe("lore record-violation", () => {
  it("records rule N's name as record-violation.sh reads ELF's template, the row as ELF's, no commit below 10", async () => {
    const dir = await journalWithRules();
    const before = head(dir);
    const json = await violateJson(dir, ["3", "Recorded the outcome only", "session-7"]);
    expect(json).toEqual({
      violation: {
        id: 1,
        ruleId: 3,
        ruleName: RULE_3,
        description: "Recorded the outcome only",
        sessionId: "session-7",
        violationDate: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      },
      count: 1,
      level: "none",
      ceoFile: null,
      ceoReview: null,
      pendingReview: null,
      commit: null,
    });
    expect(tableRows(dir, "violations")).toEqual([
      {
        id: 1,
        rule_id: 3,
        rule_name: RULE_3,
        violation_date: json.violation.violationDate,
        description: "Recorded the outcome only",
        session_id: "session-7",
        acknowledged: 0,
      },
    ]);
    // ELF's default session id: the local time, YYYYMMDD-HHMMSS.
    const second = await violateJson(dir, ["16", "No goal stated"]);
    expect(second.violation.sessionId).toMatch(/^\d{8}-\d{6}$/);
    expect(second.violation.ruleName).toBe(
      "Define success criteria. Transform vague asks into verifiable goals. Loop until verified.",
    );
    expect(head(dir)).toBe(before);
    expect(git(dir, ["status", "--porcelain"])).toBe("");
    expect(ceoFiles(dir)).toEqual([]);
    expect(fs.readdirSync(path.join(dir, "memory", ".lore", "pending"))).toEqual([]);
  });

  it("with init.sh's format A, or a rule the file lacks, records Unknown Rule with one warning line", async () => {
    const dir = await journalWithRules("elf-init.md");
    for (const rule of ["1", "99"]) {
      const result = await violate(dir, [rule, "Made it right first"]);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe(
        `lore: warning: memory/golden-rules.md has no rule ${rule} in the format record-violation.sh reads ` +
          `(\`## ${rule}.\`): recorded as "Unknown Rule"\n`,
      );
      expect(result.stdout).toContain(`  Rule #${rule}: Unknown Rule\n`);
    }
    expect(tableRows(dir, "violations").map((row) => [row.rule_id, row.rule_name])).toEqual([
      [1, "Unknown Rule"],
      [99, "Unknown Rule"],
    ]);
  });

  it("prints ELF's banners at 3, 5 and 10, escalates once at 10, not again at 11, and again once the review is decided", async () => {
    const dir = await journalWithRules();
    const journalHead = head(dir);
    const outputs: string[] = [];
    for (let n = 1; n <= 11; n++) outputs.push(ok(await violate(dir, ["3", `Skipped the lesson ${n}`])).stdout);
    const banner = (stdout: string) =>
      ["CRITICAL THRESHOLD", "PROBATION MODE", "WARNING"].find((title) => stdout.includes(`⚠️  ${title}  ⚠️`)) ?? "";
    expect(outputs.map(banner)).toEqual([
      "",
      "",
      "WARNING",
      "WARNING",
      "PROBATION MODE",
      "PROBATION MODE",
      "PROBATION MODE",
      "PROBATION MODE",
      "PROBATION MODE",
      "CRITICAL THRESHOLD",
      "CRITICAL THRESHOLD",
    ]);
    expect(outputs[2]).toContain("║             3+ violations - Review adherence              ║\n");
    expect(outputs[4]).toContain("5+ violations - Increased scrutiny");
    expect(outputs[9]).toContain("10+ violations - CEO escalation required");
    expect(outputs[0].split("\n").slice(0, 9)).toEqual([
      "═".repeat(63),
      "                   VIOLATION RECORDED",
      "═".repeat(63),
      "",
      `  Rule #3: ${RULE_3}`,
      "  Description: Skipped the lesson 1",
      expect.stringMatching(/^ {2}Session: \d{8}-\d{6}$/),
      "",
      "  Recent violations (7 days): 1",
    ]);

    // The 10th: one file, one row, one commit of that file alone.
    const [file] = ceoFiles(dir);
    expect(ceoFiles(dir)).toEqual([expect.stringMatching(/^VIOLATION_THRESHOLD_\d{8}_\d{6}\.md$/)]);
    expect(outputs[9]).toContain(`  CEO escalation created: ${path.join(dir, "ceo-inbox", file)}\n`);
    expect(outputs[9]).toMatch(/\nCommitted: [0-9a-f]{40}\n$/);
    expect(git(dir, ["rev-list", "--count", `${journalHead}..HEAD`]).trim()).toBe("1");
    expect(git(dir, ["log", "-1", "--format=%s"]).trim()).toBe(`violation: rule 3 ${RULE_3}`);
    expect(git(dir, ["show", "--name-only", "--format=", "HEAD"]).trim()).toBe(`ceo-inbox/${file}`);
    expect(git(dir, ["status", "--porcelain"])).toBe("");
    const text = fs.readFileSync(path.join(dir, "ceo-inbox", file), "utf8");
    expect(text.split("\n").filter((line) => /^(#|\*\*)/.test(line))).toEqual([
      "# Golden Rule Violations - Threshold Exceeded",
      "**Status:** Urgent Review Required",
      expect.stringMatching(/^\*\*Date:\*\* \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      "**Total Violations (7 days):** 10",
      "## Context",
      "## Recent Violations",
      "## Violations by Rule",
      "## Options",
      "## Recommendation",
    ]);
    const blocks = text.split("```");
    const recent = blocks[1].trim().split("\n");
    expect(recent[0]).toMatch(/^rule_id +rule_name +description +violation_date$/);
    expect(recent.slice(2).map((line) => line.match(/Skipped the lesson \d+/)?.[0])).toEqual(
      Array.from({ length: 10 }, (_, at) => `Skipped the lesson ${10 - at}`),
    );
    expect(blocks[3].trim().split("\n").slice(2)).toEqual([`3        ${RULE_3}  10`]);
    expect(text.match(/^\d\. \*\*/gm)).toHaveLength(4);
    expect(tableRows(dir, "ceo_reviews")).toEqual([
      {
        id: 1,
        title: ESCALATION_TITLE,
        context: "System recorded 10 violations in 7 days, exceeding critical threshold.",
        recommendation: `Review violation patterns and take corrective action. See ceo-inbox/${file} for details.`,
        status: "pending",
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
        reviewed_at: null,
      },
    ]);

    // The 11th: ELF wrote another file and row; lore names the pending one.
    expect(outputs[10]).toContain("  CEO escalation already pending (ceo_reviews #1, ");
    expect(outputs[10]).not.toContain("Committed:");
    expect(ceoFiles(dir)).toEqual([file]);
    expect(tableRows(dir, "ceo_reviews")).toHaveLength(1);
    const eleventh = await violateJson(dir, ["3", "Twelfth"]);
    expect(eleventh).toMatchObject({ count: 12, level: "critical", ceoFile: null, ceoReview: null, pendingReview: 1 });

    // The review decided, the next violation at 10 or more is a new crossing: one more escalation.
    runSql(dir, "UPDATE ceo_reviews SET status = 'approved', reviewed_at = CURRENT_TIMESTAMP WHERE id = 1");
    const again = await violateJson(dir, ["3", "After the review"]);
    expect(again).toMatchObject({ count: 13, level: "critical", ceoReview: 2, pendingReview: null });
    expect(again.ceoFile).toMatch(/^ceo-inbox\/VIOLATION_THRESHOLD_\d{8}_\d{6}(_2)?\.md$/);
    expect(ceoFiles(dir)).toHaveLength(2);
    expect(await violateJson(dir, ["3", "Still pending"])).toMatchObject({ ceoFile: null, pendingReview: 2 });
    expect(git(dir, ["status", "--porcelain"])).toBe("");
  });

  it("counts only the last 7 days: old violations and an old pending review do not stand", async () => {
    const dir = await journalWithRules();
    elfViolations(dir, 9);
    runSql(dir, "UPDATE violations SET violation_date = datetime('now', '-8 days') WHERE id <= 5");
    runSql(
      dir,
      "INSERT INTO ceo_reviews (title, status, created_at) VALUES (?, 'pending', datetime('now', '-8 days'))",
      ESCALATION_TITLE,
    );
    expect(await violateJson(dir, ["5", "Guessed"])).toMatchObject({ count: 5, level: "probation", ceoFile: null });
    runSql(dir, "UPDATE violations SET violation_date = CURRENT_TIMESTAMP");
    const escalated = await violateJson(dir, ["5", "Guessed again"]);
    expect(escalated).toMatchObject({ count: 11, level: "critical", ceoReview: 2, pendingReview: null });
    expect(ceoFiles(dir)).toHaveLength(1);
  });

  it("bad input exits 2 with one line naming the field (usage and the rules for too few), writing nothing", async () => {
    const dir = await journalWithRules();
    const before = head(dir);
    for (const [args, stderr] of [
      [
        ["x", "desc"],
        'lore record-violation: RULE: must be a golden rule\'s number, a whole number 1 or more (got "x")\n',
      ],
      [
        ["0", "desc"],
        'lore record-violation: RULE: must be a golden rule\'s number, a whole number 1 or more (got "0")\n',
      ],
      [
        ["3.5", "desc"],
        'lore record-violation: RULE: must be a golden rule\'s number, a whole number 1 or more (got "3.5")\n',
      ],
      [["3", ""], "lore record-violation: DESCRIPTION: must not be empty\n"],
      [["3", "  \t"], "lore record-violation: DESCRIPTION: must not be empty\n"],
      [["3", "desc", "session", "extra"], 'lore record-violation: unexpected argument "extra"\n'],
    ] as const) {
      const result = await violate(dir, [...args]);
      expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }, args.join(" ")).toEqual({
        code: 2,
        stdout: "",
        stderr,
      });
    }
    for (const args of [[], ["3"]]) {
      const usage = await violate(dir, args);
      expect(usage.code).toBe(2);
      expect(usage.stdout).toBe("");
      const lines = usage.stderr.split("\n");
      expect(lines.slice(0, 2)).toEqual([
        "lore record-violation: RULE and DESCRIPTION are required",
        'Usage: lore record-violation RULE "DESCRIPTION" [SESSION_ID]',
      ]);
      // The first 10 `## <digit>` lines of the file, as ELF's usage lists them.
      expect(lines.slice(lines.indexOf("Available Golden Rules:") + 1, -1)).toEqual([
        "## 1. Query Before Acting",
        "## 2. Document Failures Immediately",
        "## 3. Extract Heuristics, Not Just Outcomes",
        "## 4. Break It Before Shipping It",
        "## 5. Escalate Uncertainty",
        "## 6. Record Learnings Before Ending Session",
        "## 7. Obey Direct Commands Immediately",
        "## 8. Log Before Summary",
        "## 9. useEffect Callback Dependencies Cause Loops",
        "## 10. Trust User Reality Over Tool Metadata",
      ]);
    }
    expect(tableRows(dir, "violations")).toEqual([]);
    expect(head(dir)).toBe(before);
    expect(ceoFiles(dir)).toEqual([]);
  });

  it("10 processes recording at once: 10 rows, exactly one escalation", async () => {
    const dir = await journalWithRules();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, n) => violate(dir, [String((n % 4) + 1), `At once ${n}`, "--json"])),
    );
    for (const result of results) ok(result);
    const answers = results.map((result) => JSON.parse(result.stdout) as ViolationJson);
    expect(answers.map((answer) => answer.count).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 10 }, (_, n) => n + 1),
    );
    expect(answers.filter((answer) => answer.ceoFile !== null)).toHaveLength(1);
    expect(tableRows(dir, "violations")).toHaveLength(10);
    expect(tableRows(dir, "ceo_reviews")).toHaveLength(1);
    expect(ceoFiles(dir)).toHaveLength(1);
    expect(
      git(dir, ["log", "--format=%s"])
        .split("\n")
        .filter((subject) => subject.startsWith("violation:")),
    ).toHaveLength(1);
    expect(git(dir, ["status", "--porcelain"])).toBe("");
  });

  describe("the escalating violation killed at each step", () => {
    it.each(["files-written", "files-committed"])(
      "at %s: the next command leaves its row and its CEO file both or neither",
      async (step) => {
        const dir = await journalWithRules();
        elfViolations(dir, 9);
        const killed = await violate(dir, ["3", "The tenth"], { LORE_CRASH_AT: step });
        expect(killed.signal).toBe("SIGKILL");
        // Killed with its file written: the next command must keep it with its row or take it out with it.
        expect(ceoFiles(dir)).toHaveLength(1);
        const next = await violateJson(dir, ["4", "The next"]);
        const rows = tableRows(dir, "violations");
        const tenthKept = rows.some((row) => row.description === "The tenth");
        // Killed before its COMMIT, the violation is undone, file and all; after it, both stay and are committed.
        expect(tenthKept).toBe(step === "files-committed");
        expect(rows).toHaveLength(tenthKept ? 11 : 10);
        const reviews = tableRows(dir, "ceo_reviews");
        expect(reviews).toHaveLength(1);
        const [file] = ceoFiles(dir);
        expect(ceoFiles(dir)).toHaveLength(1);
        expect(reviews[0].recommendation).toContain(`ceo-inbox/${file}`);
        // The escalation is the killed one's when it was kept, else the next command's.
        expect(next.ceoFile).toBe(tenthKept ? null : `ceo-inbox/${file}`);
        expect(
          git(dir, ["log", "--format=%s"])
            .split("\n")
            .filter((s) => s.startsWith("violation:")),
        ).toHaveLength(1);
        expect(git(dir, ["ls-files", "ceo-inbox"]).trim()).toBe(`ceo-inbox/${file}`);
        expect(git(dir, ["status", "--porcelain"])).toBe("");
        expect(fs.readdirSync(path.join(dir, "memory", ".lore", "pending"))).toEqual([]);
      },
    );
  });

  it("through lore's shim: `bash scripts/record-violation.sh 3 desc`, as ELF's callers run it, records through lore", async () => {
    const dir = await journalWithRules();
    fs.mkdirSync(path.join(dir, "scripts"));
    const script = path.join(dir, "scripts", "record-violation.sh");
    fs.copyFileSync(path.join(REPO_ROOT, "test", "fixtures", "elf-scripts", "record-violation.sh"), script);
    const home = tempDir("lore-home-");
    ok(await runLore(["elf", "install", "--elf-dir", dir], { cwd: tempDir(), env: { HOME: home } }));
    elfViolations(dir, 9);
    const caller = tempDir("lore-caller-");
    const result = await runProcess("bash", [script, "3", "-n Skipped the query"], {
      cwd: caller,
      env: { HOME: home },
    });
    ok(result);
    expect(result.stdout).toContain(`  Rule #3: ${RULE_3}\n  Description: -n Skipped the query\n`);
    expect(result.stdout).toContain("CRITICAL THRESHOLD");
    expect(tableRows(dir, "violations").at(-1)).toMatchObject({ rule_id: 3, description: "-n Skipped the query" });
    expect(ceoFiles(dir)).toHaveLength(1);
    expect(git(dir, ["log", "-1", "--format=%s"]).trim()).toBe(`violation: rule 3 ${RULE_3}`);
    expect(fs.readdirSync(caller)).toEqual([]);
  });
});
