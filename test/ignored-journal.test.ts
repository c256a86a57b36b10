// A journal whose record files git ignores (ELF's own .gitignore ignores
// memory/): `lore init` undoes a rule of the journal's own .gitignore files
// and names it, and refuses (exit 2) a rule from elsewhere; a record never
// promises a commit that cannot happen, and leaves no pending intent; sync
// reads the ignored files, and reports them uncommitted, naming the rule.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { configureGitIdentity, createJournal, git, readRows, tempDir } from "./support/journal.js";
import { recordFailure, recordHeuristic, runLore, type RunResult } from "./support/lore.js";

/** A git repository whose .gitignore is ELF's: memory/ (and the database) stay out of git. */
function elfStyleRepo(): string {
  const dir = tempDir();
  git(dir, ["init", "-q"]);
  configureGitIdentity(dir);
  fs.writeFileSync(path.join(dir, ".gitignore"), "memory/\nlogs/\n*.db\n");
  git(dir, ["add", ".gitignore"]);
  git(dir, ["commit", "-q", "-m", "ELF"]);
  return dir;
}

function ignoredByGit(dir: string, file: string): boolean {
  try {
    git(dir, ["check-ignore", "-q", "--no-index", file]);
    return true;
  } catch {
    return false;
  }
}

function pendingIntents(dir: string): string[] {
  const pending = path.join(dir, "memory", ".lore", "pending");
  return fs.existsSync(pending) ? fs.readdirSync(pending) : [];
}

function expectNotCommitted(result: RunResult, rule: string): void {
  // Recorded, not committed: exit 5, as for any record whose commit is not made (exit 1 means nothing was recorded).
  expect(result.code).toBe(5);
  expect(result.stderr).toContain("not committed");
  expect(result.stderr).toContain(rule);
  expect(result.stderr).not.toContain("the next lore command commits it");
  expect(result.stderr.trim().split("\n")).toHaveLength(1);
}

describe("lore init in a journal whose record files git ignores", () => {
  it("undoes the rule of the journal's own .gitignore, says which rule, keeps the rest ignored; records then commit", async () => {
    const dir = elfStyleRepo();
    const init = await runLore(["init"], { cwd: dir });
    expect(init.stderr).toBe("");
    expect(init.code).toBe(0);
    expect(init.stdout).toContain("git ignored the record files (.gitignore:1:memory/)");
    for (const file of [
      "memory/failures/20260101_x.md",
      "memory/heuristics/testing.md",
      "memory/successes/obs_20260101_x.md",
    ]) {
      expect(ignoredByGit(dir, file), file).toBe(false);
    }
    // What the user ignored stays ignored: the rest of memory/ (ELF's own successes too), and lore's own files.
    for (const file of ["memory/golden-rules.md", "memory/successes/s.md", "memory/index.db", "logs/x.log"]) {
      expect(ignoredByGit(dir, file), file).toBe(true);
    }
    const recorded = await recordFailure(dir, { title: "committed now", domain: "ignore" });
    expect(recorded.stderr).toBe("");
    expect(recorded.code).toBe(0);
    expect(git(dir, ["log", "-1", "--format=%s"]).trim()).toBe("failure: committed now");
    // A second init finds nothing ignored and changes nothing.
    const gitignore = fs.readFileSync(path.join(dir, ".gitignore"), "utf8");
    const again = await runLore(["init"], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain("git ignored");
    expect(fs.readFileSync(path.join(dir, ".gitignore"), "utf8")).toBe(gitignore);
  });

  it("undoes a rule that ignores files, in the .gitignore that holds it (memory/.gitignore)", async () => {
    const dir = elfStyleRepo();
    fs.writeFileSync(path.join(dir, ".gitignore"), "");
    fs.mkdirSync(path.join(dir, "memory"));
    fs.writeFileSync(path.join(dir, "memory", ".gitignore"), "*.md\n");
    const init = await runLore(["init"], { cwd: dir });
    expect(init.code).toBe(0);
    expect(init.stdout).toContain("memory/.gitignore:1:*.md");
    expect(ignoredByGit(dir, "memory/failures/20260101_x.md")).toBe(false);
    expect(ignoredByGit(dir, "memory/heuristics/testing.md")).toBe(false);
    expect(ignoredByGit(dir, "memory/golden-rules.md")).toBe(true);
    expect((await recordHeuristic(dir, { domain: "ignore", rule: "committed" })).code).toBe(0);
  });

  it.each([
    ["git's info/exclude", (dir: string) => fs.writeFileSync(path.join(dir, ".git", "info", "exclude"), "memory/\n")],
    ["a .gitignore above the journal", (dir: string) => fs.writeFileSync(path.join(dir, ".gitignore"), "journal/\n")],
  ])("refuses a rule outside the journal (%s): exit 2, the rule named, nothing written", async (_where, plant) => {
    const dir = tempDir();
    git(dir, ["init", "-q"]);
    plant(dir);
    const journal = path.join(dir, "journal");
    fs.mkdirSync(journal);
    const before = fs.readdirSync(journal);
    const init = await runLore(["init", journal], { cwd: dir });
    expect(init.code).toBe(2);
    expect(init.stderr).toMatch(/^lore init: git would ignore the journal's record files: \S+:1:\S+ ignores /);
    expect(init.stderr.trim().split("\n")).toHaveLength(1);
    expect(fs.readdirSync(journal)).toEqual(before);
    // Kept out of git on purpose: --no-commit.
    const outOfGit = await runLore(["init", journal, "--no-commit"], { cwd: dir });
    expect(outOfGit.code).toBe(0);
    expect(fs.existsSync(path.join(journal, "memory", "index.db"))).toBe(true);
  });
});

describe("a record in a journal whose record files git ignores", () => {
  it("is kept, exits 1 naming the rule without promising a commit, and leaves no pending intent", async () => {
    const dir = await createJournal({ git: true });
    fs.appendFileSync(path.join(dir, ".gitignore"), "memory/failures/\n");
    const head = git(dir, ["rev-parse", "HEAD"]);
    for (const title of ["first ignored", "second ignored"]) {
      const result = await recordFailure(dir, { title, domain: "ignore" });
      expectNotCommitted(result, ".gitignore:");
      expect(result.stderr).toContain("memory/failures/");
      expect(pendingIntents(dir)).toEqual([]);
    }
    expect(readRows(dir).learnings.map((row) => row.title)).toEqual(["first ignored", "second ignored"]);
    expect(git(dir, ["rev-parse", "HEAD"])).toBe(head);
    // The next command neither retries nor warns.
    const heuristic = await recordHeuristic(dir, { domain: "ignore", rule: "not ignored" });
    expect(heuristic.stderr).toBe("");
    expect(heuristic.code).toBe(0);
  });

  it("handed off to a group commit: its writer is told it is not committed, and no intent is left", async () => {
    const dir = await createJournal({ git: true });
    fs.appendFileSync(path.join(dir, ".gitignore"), "memory/\n");
    const results = await Promise.all(
      ["one", "two", "three"].map((title) =>
        recordFailure(dir, { title, domain: "ignore" }, { LORE_HAND_OFF: "always" }),
      ),
    );
    for (const result of results) expectNotCommitted(result, ".gitignore:");
    expect(pendingIntents(dir)).toEqual([]);
    expect(readRows(dir).learnings).toHaveLength(3);
  });
});

describe("lore sync in a journal whose record files git ignores", () => {
  it("reads the ignored files (a failure without a row is found), and reports them uncommitted, naming the rule", async () => {
    const dir = await createJournal({ git: true });
    expect((await recordFailure(dir, { title: "with a row", domain: "ignore" })).code).toBe(0);
    fs.appendFileSync(path.join(dir, ".gitignore"), "memory/failures/\n");
    git(dir, ["rm", "-q", "--cached", "-r", "memory/failures"]);
    git(dir, ["commit", "-q", "-m", "ignore the failures"]);
    // A failure written by hand, as ELF's recorder writes one (no lore id), with no row.
    const failures = path.join(dir, "memory", "failures");
    const recorded = fs.readFileSync(path.join(failures, fs.readdirSync(failures)[0]), "utf8");
    fs.writeFileSync(
      path.join(failures, "20260101_no-row.md"),
      recorded.replace("# with a row", "# No row").replace(/<!-- lore:id=.* -->\n/, ""),
    );
    for (const args of [["--full"], []]) {
      const report = await runLore(["sync", "--json", ...args], { cwd: dir });
      expect(report.code).toBe(3);
      const json = JSON.parse(report.stdout) as {
        findings: Array<{ type: string; path: string; detail: string; action: string }>;
      };
      const byType = json.findings.map((f) => `${f.type} ${f.path} ${f.action}`);
      expect(byType).toHaveLength(3);
      expect(byType).toEqual(
        expect.arrayContaining([
          "missing-row memory/failures/20260101_no-row.md insert-row",
          expect.stringMatching(/^uncommitted memory\/failures\/\d{8}_with-a-row\.md leave-ignored$/),
          "uncommitted memory/failures/20260101_no-row.md leave-ignored",
        ]),
      );
      for (const finding of json.findings.filter((f) => f.type === "uncommitted")) {
        expect(finding.detail).toContain("git ignores it (.gitignore:");
      }
    }
    // --fix inserts the row, and leaves the ignored files to a person (exit 3).
    const fix = await runLore(["sync", "--fix"], { cwd: dir });
    expect(fix.code).toBe(3);
    expect(
      readRows(dir)
        .learnings.map((row) => row.title)
        .sort(),
    ).toEqual(["No row", "with a row"]);
    // Kept out of git on purpose: --no-commit does not look for uncommitted files.
    const outOfGit = await runLore(["sync", "--no-commit"], { cwd: dir });
    expect(outOfGit.stdout).toContain("In sync");
    expect(outOfGit.code).toBe(0);
  });
});
