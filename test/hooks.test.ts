// lore's git hooks and journals shared between clones, with real git: temp
// bare repositories, clones, real hooks (lore's shims and a user's own), real
// merges, rebases and checkouts. No mocked git.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { holdJournalLock, recordFailure, recordHeuristic, runLore, type RunResult } from "./support/lore.js";
import { cloneJournal, sharedJournal } from "./support/clones.js";
import { createJournal, git, markdownRecords, openDb, readRows, tempDir } from "./support/journal.js";
import { parseHeuristicFile } from "../src/journal/heuristic-markdown.js";

function ok(result: RunResult): RunResult {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  return result;
}

/** git, run as a user would, with its output and exit code. */
function gitRun(cwd: string, args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = git(cwd, args);
    return { code: 0, stdout, stderr: "" };
  } catch (error) {
    const failure = error as { status: number; stdout: Buffer | string; stderr: Buffer | string };
    return { code: failure.status, stdout: String(failure.stdout), stderr: String(failure.stderr) };
  }
}

/** The files and the database hold the same records, and sync has nothing to say. */
async function expectInSync(dir: string): Promise<void> {
  const files = markdownRecords(dir);
  const rows = readRows(dir);
  expect(new Set(rows.learnings.filter((row) => row.lore_id).map((row) => row.lore_id))).toEqual(
    new Set(files.failures.keys()),
  );
  expect(new Set(rows.heuristics.filter((row) => row.lore_id).map((row) => row.lore_id))).toEqual(
    new Set(files.heuristics.keys()),
  );
  const report = await runLore(["sync", "--json"], { cwd: dir });
  expect(JSON.parse(report.stdout).findings).toEqual([]);
  expect(report.code).toBe(0);
}

/** A user's own hook, in Node: appends its name and arguments to a log in the repository. */
function userHook(file: string, log: string, exitCode = 0): void {
  fs.writeFileSync(
    file,
    [
      "#!/usr/bin/env node",
      `require("node:fs").appendFileSync(${JSON.stringify(log)}, [require("node:path").basename(process.argv[1]), ...process.argv.slice(2)].join(" ") + "\\n");`,
      `process.exit(${exitCode});`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
}

describe("lore hooks install | uninstall | status", () => {
  it("installs shims, chains the hook that was there, is idempotent, and uninstall restores it", async () => {
    const dir = await createJournal();
    const hooksDir = path.join(dir, ".git", "hooks");
    const log = path.join(dir, "hook.log");
    userHook(path.join(hooksDir, "pre-commit"), log);
    const original = fs.readFileSync(path.join(hooksDir, "pre-commit"), "utf8");
    const install = ok(await runLore(["hooks", "install"], { cwd: dir }));
    expect(install.stdout).toContain("pre-commit: chained");
    expect(install.stdout).toContain("post-merge: installed");
    expect(fs.readFileSync(path.join(dir, ".gitattributes"), "utf8")).toContain("memory/heuristics/*.md merge=union");
    const shims = Object.fromEntries(
      ["pre-commit", "post-merge", "post-checkout", "post-rewrite"].map((name) => [
        name,
        fs.readFileSync(path.join(hooksDir, name), "utf8"),
      ]),
    );
    const again = ok(await runLore(["hooks", "install", "--json"], { cwd: dir }));
    expect(JSON.parse(again.stdout).hooks.map((hook: { change: string }) => hook.change)).toEqual(
      Array(4).fill("unchanged"),
    );
    for (const [name, content] of Object.entries(shims))
      expect(fs.readFileSync(path.join(hooksDir, name), "utf8")).toBe(content);
    const status = ok(await runLore(["hooks", "status", "--json"], { cwd: dir }));
    expect(JSON.parse(status.stdout).hooks).toEqual([
      { name: "pre-commit", installed: true, current: true, chained: true },
      { name: "post-merge", installed: true, current: true, chained: false },
      { name: "post-checkout", installed: true, current: true, chained: false },
      { name: "post-rewrite", installed: true, current: true, chained: false },
    ]);
    // A user's commit runs the chained hook, then lore's check.
    fs.writeFileSync(path.join(dir, "notes.txt"), "x\n");
    git(dir, ["add", "notes.txt"]);
    git(dir, ["commit", "-q", "-m", "notes"]);
    expect(fs.readFileSync(log, "utf8")).toBe("pre-commit\n");
    const uninstall = ok(await runLore(["hooks", "uninstall"], { cwd: dir }));
    expect(uninstall.stdout).toContain("pre-commit: restored");
    expect(fs.readFileSync(path.join(hooksDir, "pre-commit"), "utf8")).toBe(original);
    for (const name of ["post-merge", "post-checkout", "post-rewrite"])
      expect(fs.existsSync(path.join(hooksDir, name))).toBe(false);
    expect(fs.existsSync(path.join(hooksDir, "lore-chained"))).toBe(false);
    const after = ok(await runLore(["hooks", "status"], { cwd: dir }));
    expect(after.stdout).toContain("pre-commit: not installed");
  });

  it("respects core.hooksPath", async () => {
    const dir = await createJournal();
    git(dir, ["config", "core.hooksPath", ".githooks"]);
    ok(await runLore(["hooks", "install"], { cwd: dir }));
    expect(fs.existsSync(path.join(dir, ".githooks", "post-checkout"))).toBe(true);
    expect(fs.existsSync(path.join(dir, ".git", "hooks", "post-checkout"))).toBe(false);
  });

  it("says when the journal is not in a git work tree (exit 2)", async () => {
    const dir = await createJournal({ git: false });
    const result = await runLore(["hooks", "install"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^lore hooks: .* is not inside a git work tree\n$/);
  });
});

describe("lore's pre-commit hook", () => {
  async function journalWithHooks(): Promise<string> {
    const dir = await createJournal();
    ok(await runLore(["hooks", "install"], { cwd: dir }));
    git(dir, ["add", ".gitattributes"]);
    git(dir, ["commit", "-q", "-m", "attributes"]);
    ok(await recordHeuristic(dir, { domain: "testing", rule: "First rule" }));
    ok(await recordHeuristic(dir, { domain: "other", rule: "Other rule" }));
    ok(await recordFailure(dir, { title: "A failure", domain: "x" }));
    return dir;
  }

  it("refuses conflict markers, an unparseable record and an added duplicate id; lets a clean edit through", async () => {
    const dir = await journalWithHooks();
    const domainFile = path.join(dir, "memory", "heuristics", "testing.md");
    const clean = fs.readFileSync(domainFile, "utf8");

    fs.writeFileSync(domainFile, `${clean}<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> theirs\n`);
    git(dir, ["add", "memory/heuristics/testing.md"]);
    const conflict = gitRun(dir, ["commit", "-q", "-m", "conflict"]);
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toMatch(/lore pre-commit: memory\/heuristics\/testing\.md:\d+: git conflict markers/);

    fs.writeFileSync(domainFile, clean.replace(/\*\*Confidence\*\*: .*/, "**Confidence**: lots"));
    git(dir, ["add", "memory/heuristics/testing.md"]);
    const unparseable = gitRun(dir, ["commit", "-q", "-m", "bad"]);
    expect(unparseable.code).not.toBe(0);
    expect(unparseable.stderr).toMatch(
      /memory\/heuristics\/testing\.md:\d+: cannot be read as a record: .*confidence "lots"/,
    );

    const otherFile = path.join(dir, "memory", "heuristics", "other.md");
    const [block] = parseHeuristicFile(clean);
    const copied = clean.slice(clean.indexOf("## H-"));
    fs.writeFileSync(domainFile, clean);
    fs.writeFileSync(otherFile, `${fs.readFileSync(otherFile, "utf8")}${copied}`);
    git(dir, ["add", "memory/heuristics"]);
    const duplicate = gitRun(dir, ["commit", "-q", "-m", "copy"]);
    expect(duplicate.code).not.toBe(0);
    expect(duplicate.stderr).toContain(`lore id ${block.loreId} is also the record at memory/heuristics/testing.md`);

    git(dir, ["checkout", "-q", "--", "memory/heuristics/other.md"]);
    git(dir, ["reset", "-q"]);
    fs.writeFileSync(domainFile, clean.replace("First rule", "First rule, edited"));
    git(dir, ["add", "memory/heuristics/testing.md"]);
    expect(gitRun(dir, ["commit", "-q", "-m", "edit"]).code).toBe(0);
  });
});

describe("hooks keep the index true", () => {
  it("after checkouts of older commits and back, with DB-only data kept", async () => {
    const dir = await createJournal();
    ok(await runLore(["hooks", "install"], { cwd: dir }));
    ok(await recordHeuristic(dir, { domain: "testing", rule: "Kept rule" }));
    const db = openDb(dir);
    db.prepare("UPDATE heuristics SET times_validated = 6, is_golden = 1 WHERE rule = 'Kept rule'").run();
    db.close();
    // As ELF's hooks change them: sync records the change in the journal as a feedback event.
    ok(await runLore(["sync", "--fix"], { cwd: dir }));
    ok(await recordFailure(dir, { title: "Later failure", domain: "x" }));
    ok(await recordHeuristic(dir, { domain: "testing", rule: "Later rule" }));
    await expectInSync(dir);
    const head = git(dir, ["rev-parse", "HEAD"]).trim();
    git(dir, ["checkout", "-q", "HEAD~2"]);
    expect(readRows(dir).heuristics.map((row) => row.rule)).toEqual(["Kept rule"]);
    expect(readRows(dir).learnings).toEqual([]);
    await expectInSync(dir);
    git(dir, ["checkout", "-q", head]);
    await expectInSync(dir);
    expect(
      readRows(dir)
        .heuristics.map((row) => row.rule)
        .sort(),
    ).toEqual(["Kept rule", "Later rule"]);
    const after = openDb(dir);
    expect(after.prepare("SELECT times_validated, is_golden FROM heuristics WHERE rule = 'Kept rule'").get()).toEqual({
      times_validated: 6,
      is_golden: 1,
    });
    after.close();
  });

  it("a checkout that leaves the journal alone does not touch the database", async () => {
    const dir = await createJournal();
    ok(await runLore(["hooks", "install"], { cwd: dir }));
    ok(await recordFailure(dir, { title: "Only failure", domain: "x" }));
    const dbFile = path.join(dir, "memory", "index.db");
    const before = fs.statSync(dbFile).mtimeMs;
    git(dir, ["checkout", "-q", "-b", "topic"]);
    fs.writeFileSync(path.join(dir, "other.txt"), "x\n");
    git(dir, ["add", "other.txt"]);
    git(dir, ["commit", "-q", "-m", "other"]);
    git(dir, ["checkout", "-q", "-"]);
    expect(fs.statSync(dbFile).mtimeMs).toBe(before);
  });
});

describe("re-entrancy: lore's own commits with the hooks installed", () => {
  it("20 parallel records: no deadlock, no timeout, every record committed; the user's pre-commit hook ran for each", async () => {
    const dir = await createJournal();
    const log = path.join(dir, ".git", "hook.log");
    userHook(path.join(dir, ".git", "hooks", "pre-commit"), log);
    ok(await runLore(["hooks", "install"], { cwd: dir }));
    git(dir, ["add", ".gitattributes"]);
    git(dir, ["commit", "-q", "--no-verify", "-m", "attributes"]);
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        index % 2 === 0
          ? recordFailure(dir, { title: "Parallel", domain: "load" }, { LORE_LOCK_TIMEOUT: "60" })
          : recordHeuristic(dir, { domain: "load", rule: `Parallel rule ${index}` }, { LORE_LOCK_TIMEOUT: "60" }),
      ),
    );
    expect(runs.map((run) => run.code)).toEqual(Array(20).fill(0));
    expect(git(dir, ["status", "--porcelain"])).toBe("");
    expect(Number(git(dir, ["rev-list", "--count", "HEAD"]).trim())).toBe(22);
    expect(fs.readFileSync(log, "utf8").trim().split("\n")).toEqual(Array(20).fill("pre-commit"));
    await expectInSync(dir);
  });

  it("a hook that runs lore on the journal lore is committing fails at once instead of deadlocking", async () => {
    const dir = await createJournal();
    const hook = path.join(dir, ".git", "hooks", "pre-commit");
    const lore = path.resolve(import.meta.dirname, "..", "bin", "lore.js");
    fs.writeFileSync(
      hook,
      [
        "#!/usr/bin/env node",
        `const r = require("node:child_process").spawnSync(process.execPath, [${JSON.stringify(lore)}, "record-failure", "--title", "From a hook", "--domain", "x"], { encoding: "utf8" });`,
        `require("node:fs").writeFileSync(${JSON.stringify(path.join(dir, ".git", "inner.json"))}, JSON.stringify({ status: r.status, stderr: r.stderr }));`,
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    ok(await runLore(["hooks", "install"], { cwd: dir }));
    const started = Date.now();
    const outer = await recordFailure(dir, { title: "Outer", domain: "x" });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(outer.code).toBe(0);
    const inner = JSON.parse(fs.readFileSync(path.join(dir, ".git", "inner.json"), "utf8")) as {
      status: number;
      stderr: string;
    };
    expect(inner.status).toBe(75);
    expect(inner.stderr).toMatch(/the lore process whose git runs this hook/);
    expect(readRows(dir).learnings.map((row) => row.title)).toEqual(["Outer"]);
  });
});

describe("journals shared between clones", () => {
  it("two clones record in the same domains, push, pull and merge: every record once, each DB equal to its files", async () => {
    const { bare } = await sharedJournal("lore-clones-");

    const a = await cloneJournal(bare, "a");
    const b = await cloneJournal(bare, "b");
    ok(await recordHeuristic(a, { domain: "shared", rule: "Rule from A, one" }));
    ok(await recordHeuristic(a, { domain: "shared", rule: "Rule from A, two" }));
    ok(await recordFailure(a, { title: "Failure in A", domain: "shared" }));
    ok(await recordHeuristic(b, { domain: "shared", rule: "Rule from B" }));
    ok(await recordFailure(b, { title: "Failure in B", domain: "shared" }));
    const dbA = openDb(a);
    dbA.prepare("UPDATE heuristics SET times_validated = 8 WHERE rule = 'Rule from A, one'").run();
    dbA.close();

    git(a, ["push", "-q", "origin", "HEAD"]);
    const pullB = gitRun(b, ["pull", "-q", "--no-edit", "origin", "HEAD"]);
    expect(pullB.code).toBe(0);
    expect(git(b, ["status", "--porcelain"])).toBe("");
    await expectInSync(b);
    git(b, ["push", "-q", "origin", "HEAD"]);
    expect(gitRun(a, ["pull", "-q", "--no-edit", "origin", "HEAD"]).code).toBe(0);
    await expectInSync(a);

    for (const dir of [a, b]) {
      const rows = readRows(dir);
      expect(rows.heuristics.map((row) => row.rule).sort()).toEqual([
        "Rule from A, one",
        "Rule from A, two",
        "Rule from B",
      ]);
      expect(rows.learnings.map((row) => row.title).sort()).toEqual(["Failure in A", "Failure in B"]);
      const blocks = parseHeuristicFile(fs.readFileSync(path.join(dir, "memory", "heuristics", "shared.md"), "utf8"));
      expect(blocks.map((block) => block.rule).sort()).toEqual(["Rule from A, one", "Rule from A, two", "Rule from B"]);
      // Both clones created the domain file: the union merge keeps both headers (README).
      expect(
        fs.readFileSync(path.join(dir, "memory", "heuristics", "shared.md"), "utf8").match(/^# Heuristics: shared$/gm)
          ?.length,
      ).toBeGreaterThanOrEqual(1);
      expect(new Set(rows.heuristics.map((row) => row.id)).size).toBe(3);
    }
    const keptA = openDb(a);
    expect(keptA.prepare("SELECT times_validated FROM heuristics WHERE rule = 'Rule from A, one'").pluck().get()).toBe(
      8,
    );
    keptA.close();
  });

  it("rows edited, deleted and inserted in one clone's database reach the other clone through git", async () => {
    const root = tempDir("lore-db-edits-");
    const bare = path.join(root, "journal.git");
    git(root, ["init", "-q", "--bare", bare]);
    const a = await cloneJournal(bare, "a");
    git(a, ["add", ".gitignore", ".gitattributes", "memory/golden-rules.md"]);
    git(a, ["commit", "-q", "-m", "journal"]);
    for (const rule of ["Rule one", "Rule two", "Rule three"]) ok(await recordHeuristic(a, { domain: "shared", rule }));
    git(a, ["push", "-q", "origin", "HEAD"]);
    const b = await cloneJournal(bare, "b");
    // B's database starts empty: the clone's checkout ran before lore's hooks were there.
    ok(await runLore(["sync", "--fix"], { cwd: b }));
    await expectInSync(b);

    // In A, ELF's dashboard and hooks change only rows.
    const dbA = openDb(a);
    dbA.prepare("UPDATE heuristics SET rule = 'Rule one, edited in the dashboard' WHERE rule = 'Rule one'").run();
    dbA.prepare("DELETE FROM heuristics WHERE rule = 'Rule two'").run();
    dbA
      .prepare(
        "INSERT INTO heuristics (domain, rule, explanation, source_type, confidence) VALUES ('shared', 'Learned by a hook', 'From a hook', 'auto', 0.6)",
      )
      .run();
    dbA.prepare("UPDATE heuristics SET times_validated = 5 WHERE rule = 'Rule three'").run();
    dbA.close();
    // A checkout that leaves the journal's files alone undoes none of it.
    git(a, ["checkout", "-q", "-b", "topic"]);
    git(a, ["checkout", "-q", "-"]);
    expect(
      readRows(a)
        .heuristics.map((row) => row.rule)
        .sort(),
    ).toEqual(["Learned by a hook", "Rule one, edited in the dashboard", "Rule three"]);

    // B records meanwhile; A's pull runs the hooks, which bring B's record in and write A's rows back.
    ok(await recordFailure(b, { title: "Failure in B", domain: "shared" }));
    git(b, ["push", "-q", "origin", "HEAD"]);
    expect(gitRun(a, ["pull", "-q", "--no-edit", "origin", "HEAD"]).code).toBe(0);
    expect(git(a, ["status", "--porcelain"])).toBe("");
    await expectInSync(a);
    const rulesOf = (dir: string) =>
      parseHeuristicFile(fs.readFileSync(path.join(dir, "memory", "heuristics", "shared.md"), "utf8"))
        .map((block) => block.rule)
        .sort();
    expect(rulesOf(a)).toEqual(["Learned by a hook", "Rule one, edited in the dashboard", "Rule three"]);
    const keptA = openDb(a);
    expect(
      keptA.prepare("SELECT source_type, confidence FROM heuristics WHERE rule = 'Learned by a hook'").get(),
    ).toEqual({
      source_type: "auto",
      confidence: 0.6,
    });
    expect(keptA.prepare("SELECT times_validated FROM heuristics WHERE rule = 'Rule three'").pluck().get()).toBe(5);
    keptA.close();

    // B pulls A's commits: its rows follow the files, its archive keeps the deleted row.
    git(a, ["push", "-q", "origin", "HEAD"]);
    expect(gitRun(b, ["pull", "-q", "--no-edit", "origin", "HEAD"]).code).toBe(0);
    expect(git(b, ["status", "--porcelain"])).toBe("");
    await expectInSync(b);
    expect(rulesOf(b)).toEqual(rulesOf(a));
    expect(
      readRows(b)
        .heuristics.map((row) => row.rule)
        .sort(),
    ).toEqual(rulesOf(a));
    expect(readRows(b).learnings.map((row) => row.title)).toEqual(["Failure in B"]);
    const archivedB = openDb(b);
    const archived = archivedB.prepare("SELECT row_json FROM lore_archive").pluck().all() as string[];
    archivedB.close();
    expect(archived.map((json) => JSON.parse(json).rule)).toEqual(["Rule two"]);
  });

  it("a rebase, and a checkout of an older commit and back, keep the DB equal to the files at each step", async () => {
    const root = tempDir("lore-rebase-");
    const bare = path.join(root, "journal.git");
    git(root, ["init", "-q", "--bare", bare]);
    const a = await cloneJournal(bare, "a");
    git(a, ["add", ".gitignore", ".gitattributes", "memory/golden-rules.md"]);
    git(a, ["commit", "-q", "-m", "journal"]);
    git(a, ["push", "-q", "origin", "HEAD"]);
    const b = await cloneJournal(bare, "b");
    ok(await recordHeuristic(a, { domain: "shared", rule: "Upstream rule" }));
    git(a, ["push", "-q", "origin", "HEAD"]);
    ok(await recordHeuristic(b, { domain: "shared", rule: "Local rule" }));
    ok(await recordFailure(b, { title: "Local failure", domain: "shared" }));
    expect(gitRun(b, ["pull", "-q", "--rebase", "origin", "HEAD"]).code).toBe(0);
    await expectInSync(b);
    expect(
      readRows(b)
        .heuristics.map((row) => row.rule)
        .sort(),
    ).toEqual(["Local rule", "Upstream rule"]);
    git(b, ["checkout", "-q", "HEAD~2"]);
    await expectInSync(b);
    expect(readRows(b).heuristics.map((row) => row.rule)).toEqual(["Upstream rule"]);
    git(b, ["checkout", "-q", "-"]);
    await expectInSync(b);
    expect(readRows(b).learnings.map((row) => row.title)).toEqual(["Local failure"]);
  });
});

describe("a hook that cannot do its work lets git finish", () => {
  it("when lore is not where the shim points: one line on stderr, the checkout succeeds", async () => {
    const dir = await createJournal();
    ok(await runLore(["hooks", "install"], { cwd: dir }));
    ok(await recordFailure(dir, { title: "Recorded", domain: "x" }));
    const shim = path.join(dir, ".git", "hooks", "post-checkout");
    fs.writeFileSync(
      shim,
      fs
        .readFileSync(shim, "utf8")
        .replace(/const lore = "[^"]*";/, 'const lore = "file:///nonexistent/lore/bin/run.js";'),
    );
    git(dir, ["checkout", "-q", "-b", "side"]);
    const result = spawnSync("git", ["checkout", "-q", "HEAD~1"], { cwd: dir, encoding: "utf8" });
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(
      /^lore hook post-checkout: cannot load lore from file:\/\/\/nonexistent\/lore\/bin\/run\.js \(.*\); git goes on, and `lore sync --fix` brings the index up to date later\n$/,
    );
    expect(git(dir, ["rev-parse", "HEAD"]).trim()).toBe(git(dir, ["rev-parse", "side~1"]).trim());
  });

  it("when the journal stays locked past the timeout: one line on stderr, the checkout succeeds, and the next sync repairs", async () => {
    const dir = await createJournal();
    ok(await runLore(["hooks", "install"], { cwd: dir }));
    ok(await recordFailure(dir, { title: "Recorded", domain: "x" }));
    const lockDir = path.join(dir, "memory", ".lore", "journal.lock");
    const holder = await holdJournalLock(lockDir);
    try {
      const checkout = spawnSync("git", ["checkout", "-q", "HEAD~1"], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, LORE_LOCK_TIMEOUT: "1" },
      });
      expect(checkout.status).toBe(0);
      expect(checkout.stderr).toMatch(
        /^lore post-checkout: could not bring the journal index up to date \(timed out waiting for the journal lock .*\); git goes on, run `lore sync --fix` later\n$/,
      );
    } finally {
      holder.kill("SIGKILL");
    }
    const repair = await runLore(["sync", "--fix", "--json"], { cwd: dir });
    expect(repair.code).toBe(0);
    await expectInSync(dir);
    expect(readRows(dir).learnings).toEqual([]);
  });
});
