// Crash recovery at every named step. For each step a record process
// (failure; heuristic in a new domain; heuristic in an existing domain; in and
// out of git; in git with lore's hooks installed and without) is SIGKILLed
// there through LORE_CRASH_AT; the next lore command
// must repair the journal before doing its own work, without waiting for the
// lock's stale age, and then every invariant holds: no file without a row, no
// row without a file, no temp file, no pending intent, no lock left, every
// record file committed. A killed record is wholly absent when killed before
// its COMMIT took effect (its file put back as it was: a retry never makes a
// duplicate), and wholly there after it. Also: a lore killed together with its
// git child in the middle of a commit (its process group SIGKILLed while a
// slow pre-commit hook runs).
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { STEP_NAMES, type StepName } from "../src/io/fault-points.js";
import { createJournal, git, invariantViolations, openDb, readRows } from "./support/journal.js";
import { recordFailure, recordHeuristic, runLore, toFlags } from "./support/lore.js";
import { waitUntil } from "./support/processes.js";

type Scenario = "failure" | "heuristic-new-domain" | "heuristic-existing-domain";
const SCENARIOS: Scenario[] = ["failure", "heuristic-new-domain", "heuristic-existing-domain"];
const GIT_STEPS: StepName[] = ["git-add", "git-commit", "git-committed"];

function recordArgs(scenario: Scenario, label: string): string[] {
  if (scenario === "failure") return ["record-failure", ...toFlags({ title: `crash ${label}`, domain: "Crash" })];
  const domain = scenario === "heuristic-new-domain" ? `fresh ${label}` : "existing";
  return ["record-heuristic", ...toFlags({ domain, rule: `rule ${label}` })];
}

async function prepare(scenario: Scenario, withGit: boolean, withHooks: boolean): Promise<string> {
  const dir = await createJournal({ git: withGit });
  if (withHooks) {
    expect((await runLore(["hooks", "install"], { cwd: dir })).code).toBe(0);
    git(dir, ["add", ".gitattributes"]);
    git(dir, ["commit", "-q", "-m", "attributes"]);
  }
  if (scenario === "heuristic-existing-domain") {
    const first = await recordHeuristic(dir, { domain: "existing", rule: "already here" });
    expect(first.code).toBe(0);
  }
  return dir;
}

function recordCount(dir: string): number {
  const rows = readRows(dir);
  return rows.learnings.length + rows.heuristics.length;
}

describe.each([
  [true, false],
  [true, true],
  [false, false],
])("crash at each step (git: %s, hooks installed: %s)", (withGit, withHooks) => {
  const steps = STEP_NAMES.filter((step) => withGit || !GIT_STEPS.includes(step));
  describe.each(SCENARIOS)("%s", (scenario) => {
    it.each(steps)("SIGKILL at %s is repaired by the next command", async (step) => {
      const dir = await prepare(scenario, withGit, withHooks);
      const before = recordCount(dir);
      const crashed = await runLore([...recordArgs(scenario, step), ...(withGit ? [] : ["--no-commit"])], {
        cwd: dir,
        env: { LORE_CRASH_AT: step },
      });
      expect(crashed.signal).toBe("SIGKILL");

      const started = Date.now();
      // A stale age of 60 s: a takeover by age, not by the owner's death, would take at least that.
      const next = await runLore([...recordArgs(scenario, `${step} after`), ...(withGit ? [] : ["--no-commit"])], {
        cwd: dir,
        env: { LORE_LOCK_STALE: "60" },
      });
      const repairMs = Date.now() - started;
      expect(next.stderr).toBe("");
      expect(next.code).toBe(0);
      // The lock of the killed process is taken over at once, not after the stale age (with room for a slow machine).
      expect(repairMs).toBeLessThan(30_000);
      expect(invariantViolations(dir, { git: withGit })).toEqual([]);
      // The killed record is wholly absent before its COMMIT, wholly there after it; the next one is there.
      const committed = STEP_NAMES.indexOf(step) >= STEP_NAMES.indexOf("db-committed");
      expect(recordCount(dir)).toBe(before + (committed ? 2 : 1));
    });
  });
});

describe("a lore killed in the middle of a commit of its own (no git process)", () => {
  it("leaves its file staged, as git add would, which the next command commits", async () => {
    const dir = await createJournal({ git: true });
    // A command line commits without git only past a large index, unless told to.
    const crashed = await runLore(recordArgs("failure", "staged"), {
      cwd: dir,
      env: { LORE_CRASH_AT: "git-staged", LORE_COMMIT_WITHOUT_GIT: "always" },
    });
    expect(crashed.signal).toBe("SIGKILL");
    const staged = git(dir, ["diff", "--cached", "--name-only"]).trim();
    expect(staged).toMatch(/^memory\/failures\/.*crash-staged\.md$/);
    expect(git(dir, ["log", "--format=%s"])).not.toContain("crash staged");
    const next = await runLore(recordArgs("failure", "after"), { cwd: dir, env: { LORE_LOCK_STALE: "60" } });
    expect(next.code).toBe(0);
    // The lock files the killed commit held (the ref's, HEAD's) are removed as orphans, and said so.
    for (const line of next.stderr.split("\n").filter((entry) => entry !== "")) {
      expect(line).toMatch(
        /^lore: warning: removed .*\.lock, left by a git process \(or a commit of lore's\) that is gone$/,
      );
    }
    expect(git(dir, ["log", "--format=%s"])).toContain("failure: crash staged");
    expect(git(dir, ["log", "--format=%s"])).toContain("failure: crash after");
    expect(git(dir, ["status", "--porcelain", "--", "memory"])).toBe("");
    expect(git(dir, ["diff", "--cached", "--name-only"])).toBe("");
    expect(invariantViolations(dir, { git: true })).toEqual([]);
    expect(recordCount(dir)).toBe(2);
  });
});

describe("a lore killed with its git child in the middle of a commit", () => {
  it("leaves .git/index.lock and an uncommitted record, which the next command repairs", async () => {
    const dir = await createJournal({ git: true });
    const hook = path.join(dir, ".git", "hooks", "pre-commit");
    // The hook marks that it runs (git commit then holds index.lock), then hangs.
    const hookRunning = path.join(dir, ".git", "hook-running");
    fs.writeFileSync(
      hook,
      `#!/usr/bin/env node\nrequire("fs").writeFileSync(${JSON.stringify(hookRunning)}, "");\nsetTimeout(() => {}, 30000);\n`,
      { mode: 0o755 },
    );
    let pid = 0;
    const running = runLore(recordArgs("failure", "mid-commit"), {
      cwd: dir,
      detached: true,
      onSpawn: (p) => (pid = p),
    });
    const indexLock = path.join(dir, ".git", "index.lock");
    await waitUntil(() => fs.existsSync(hookRunning), "the pre-commit hook runs");
    process.kill(-pid, "SIGKILL");
    const killed = await running;
    expect(killed.signal).toBe("SIGKILL");
    fs.rmSync(hook);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fs.existsSync(indexLock)).toBe(true);

    const next = await recordFailure(dir, { title: "after the kill", domain: "Crash" });
    expect(next.code).toBe(0);
    expect(invariantViolations(dir)).toEqual([]);
    const log = git(dir, ["log", "--format=%s"]);
    expect(log).toContain("failure: crash mid-commit");
    expect(log).toContain("failure: after the kill");
    expect(readRows(dir).learnings).toHaveLength(2);
  });
});

describe("a temp file created in the instant before write-file-atomic reports it", () => {
  it("is found and removed by the next command", async () => {
    const dir = await createJournal({ git: true });
    const crashed = await runLore(recordArgs("failure", "unreported temp"), {
      cwd: dir,
      env: { LORE_CRASH_AT: "intent-written" },
    });
    expect(crashed.signal).toBe("SIGKILL");
    const pendingDir = path.join(dir, "memory", ".lore", "pending");
    const [intentName] = fs.readdirSync(pendingDir);
    const intent = JSON.parse(fs.readFileSync(path.join(pendingDir, intentName), "utf8").split("\n")[0]) as {
      file: string;
    };
    const strayTemp = path.join(dir, `${intent.file}.123456789`);
    fs.writeFileSync(strayTemp, "half a record");

    const next = await recordFailure(dir, { title: "after the stray temp", domain: "Crash" });
    expect(next.code).toBe(0);
    expect(fs.existsSync(strayTemp)).toBe(false);
    expect(invariantViolations(dir)).toEqual([]);
  });
});

describe("successive crashes in one journal", () => {
  it("are each repaired at once, also when the new lock reuses the old one's inode", async () => {
    const dir = await createJournal({ git: true });
    for (let round = 0; round < 4; round++) {
      const crashed = await runLore(recordArgs("failure", `again ${round}`), {
        cwd: dir,
        env: { LORE_CRASH_AT: "file-written" },
      });
      expect(crashed.signal).toBe("SIGKILL");
      const started = Date.now();
      const next = await recordFailure(dir, { title: `repair ${round}`, domain: "Crash" });
      expect(next.code).toBe(0);
      expect(Date.now() - started).toBeLessThan(5_000);
    }
    expect(invariantViolations(dir)).toEqual([]);
    // Killed before their COMMIT, the four crashed records were taken back; the four repairs are there.
    expect(readRows(dir).learnings.map((row) => row.title)).toEqual([0, 1, 2, 3].map((round) => `repair ${round}`));
  });
});

describe("a record killed while it is being taken back (its COMMIT failed)", () => {
  it.each(["failure", "heuristic-existing-domain"] as Scenario[])(
    "%s: never appears; the next command finishes taking it back, and a retry records it once",
    async (scenario) => {
      const dir = await prepare(scenario, true, false);
      const domainFile = path.join(dir, "memory", "heuristics", "existing.md");
      const before = scenario === "failure" ? undefined : fs.readFileSync(domainFile);
      const count = recordCount(dir);
      // The second directory fsync is the take-back's, after its rename.
      const killed = await runLore(recordArgs(scenario, "taken back"), {
        cwd: dir,
        env: { LORE_FAULT: "db-commit:SQLITE_FULL", LORE_CRASH_AT: "dir-fsync:2" },
      });
      expect(killed.signal).toBe("SIGKILL");
      // The first command that writes after the kill takes its lock over (a stale-lock finding) and recovers.
      await runLore(["sync", "--fix"], { cwd: dir });
      const sync = await runLore(["sync"], { cwd: dir });
      expect(sync.code, sync.stdout + sync.stderr).toBe(0);
      expect(recordCount(dir)).toBe(count);
      if (before) expect(fs.readFileSync(domainFile).equals(before)).toBe(true);
      expect(invariantViolations(dir)).toEqual([]);
      expect((await runLore(recordArgs(scenario, "taken back"), { cwd: dir })).code).toBe(0);
      expect(recordCount(dir)).toBe(count + 1);
      expect(invariantViolations(dir)).toEqual([]);
    },
  );
});

describe("a kept version no intent needs (left by a power loss)", () => {
  it("is a temp-file finding of lore sync, which --fix removes", async () => {
    const dir = await prepare("heuristic-existing-domain", true, false);
    const kept = path.join(dir, "memory", "heuristics", ".existing.md.0b7e3c1e-1111-4222-8333-444455556666.kept");
    fs.copyFileSync(path.join(dir, "memory", "heuristics", "existing.md"), kept);
    const report = await runLore(["sync", "--json"], { cwd: dir });
    expect(report.code).toBe(3);
    expect(JSON.parse(report.stdout).findings.map((finding: { type: string; path: string }) => finding.type)).toEqual([
      "temp-file",
    ]);
    expect((await runLore(["sync", "--fix"], { cwd: dir })).code).toBe(0);
    expect(fs.existsSync(kept)).toBe(false);
    expect(invariantViolations(dir)).toEqual([]);
  });
});

describe("a record whose commit failed and whose file then went away (a git stash)", () => {
  it("keeps its row, DB-only data included, in lore's archive, and the row comes back with the file", async () => {
    const dir = await createJournal({ git: true });
    const hook = path.join(dir, ".git", "hooks", "pre-commit");
    fs.writeFileSync(hook, "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    const refused = await recordHeuristic(dir, { domain: "stashed", rule: "kept in the archive" });
    // Recorded, its commit refused: exit 5 (exit 1 would say nothing was recorded).
    expect(refused.code).toBe(5);
    fs.rmSync(hook);
    const [row] = readRows(dir).heuristics;
    const db = openDb(dir);
    db.prepare("UPDATE heuristics SET times_validated = 3 WHERE id = ?").run(row.id);
    db.close();
    git(dir, ["stash", "push", "--include-untracked", "--quiet"]);
    expect(fs.existsSync(path.join(dir, "memory", "heuristics", "stashed.md"))).toBe(false);

    // The next command resolves the intent: the record is in no file, but its transaction committed.
    const next = await recordFailure(dir, { title: "after the stash", domain: "Crash" });
    expect(next.code).toBe(0);
    expect(readRows(dir).heuristics).toEqual([]);
    const archived = openDb(dir);
    const kept = archived.prepare("SELECT tbl, row_id, lore_id, row_json FROM lore_archive").all() as Array<{
      tbl: string;
      row_id: number;
      lore_id: string;
      row_json: string;
    }>;
    archived.close();
    expect(kept.map(({ tbl, row_id, lore_id }) => ({ tbl, row_id, lore_id }))).toEqual([
      { tbl: "heuristics", row_id: row.id, lore_id: row.lore_id },
    ]);
    expect(JSON.parse(kept[0].row_json)).toMatchObject({ rule: "kept in the archive", times_validated: 3 });

    // Its file back, sync gives the row back, with its id and its DB-only data.
    git(dir, ["stash", "pop", "--quiet"]);
    const sync = await runLore(["sync", "--fix"], { cwd: dir });
    expect(sync.code).toBe(0);
    const back = openDb(dir);
    expect(back.prepare("SELECT id, lore_id, times_validated FROM heuristics").all()).toEqual([
      { id: row.id, lore_id: row.lore_id, times_validated: 3 },
    ]);
    back.close();
  });
});
