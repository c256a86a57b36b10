// Injected faults (LORE_FAULT=<step>:<code>) at each durable step of a record:
// the command fails with exit 1 and one line on stderr, the transaction is
// rolled back and the file put back as it was (no new file, an existing
// domain file unchanged), no temp file or intent is left, and nothing recorded
// before is lost. A git commit that fails keeps the record in the file and the
// DB, says so, exits 5 (never 1, which a caller may retry), and the next
// command commits it.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createJournal, git, invariantViolations, openDb, readRows, tempDir } from "./support/journal.js";
import { recordFailure, recordHeuristic, runLore, toFlags } from "./support/lore.js";
import { isStopped, waitUntil } from "./support/processes.js";

// Every error code on every step of the durable write (the temp write, its
// fsync, the rename, the directory fsync), and faults around them.
const FILE_FAULTS = [
  ...["temp-created", "temp-fsync", "rename", "dir-fsync"].flatMap((step) =>
    ["ENOSPC", "EIO", "EACCES"].map((code) => `${step}:${code}`),
  ),
  "db-insert:EIO",
  "file-written:ENOSPC",
  "db-commit:SQLITE_FULL",
];

function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const sub of ["failures", "heuristics"]) {
    const directory = path.join(dir, "memory", sub);
    for (const name of fs.readdirSync(directory))
      files.set(`${sub}/${name}`, fs.readFileSync(path.join(directory, name), "utf8"));
  }
  return files;
}

describe.each(FILE_FAULTS)("fault %s", (fault) => {
  it.each(["record-failure", "record-heuristic"])("%s fails cleanly and loses nothing", async (command) => {
    const dir = await createJournal({ git: true });
    expect((await recordFailure(dir, { title: "kept failure", domain: "Faults" })).code).toBe(0);
    expect((await recordHeuristic(dir, { domain: "faults", rule: "kept rule" })).code).toBe(0);
    const filesBefore = snapshot(dir);
    const rowsBefore = readRows(dir);
    const headBefore = git(dir, ["rev-parse", "HEAD"]);

    const flags: Record<string, string> =
      command === "record-failure" ? { title: "doomed", domain: "Faults" } : { domain: "faults", rule: "doomed rule" };
    const result = await runLore([command, ...toFlags(flags)], { cwd: dir, env: { LORE_FAULT: fault } });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(fault.split(":")[1]);

    expect(snapshot(dir)).toEqual(filesBefore);
    expect(readRows(dir)).toEqual(rowsBefore);
    expect(git(dir, ["rev-parse", "HEAD"])).toBe(headBefore);
    expect(invariantViolations(dir)).toEqual([]);
  });
});

/** A live git process working in the repository, and an index.lock as if it held it. */
function holdIndexLockWithLiveGit(dir: string): { indexLock: string; liveGit: ChildProcess } {
  const liveGit = spawn("git", ["cat-file", "--batch"], { cwd: dir, stdio: ["pipe", "ignore", "ignore"] });
  const indexLock = path.join(dir, ".git", "index.lock");
  fs.writeFileSync(indexLock, "");
  return { indexLock, liveGit };
}

describe("a git commit that fails", () => {
  it("keeps the record, exits 5 saying so, and the next command commits it", async () => {
    const dir = await createJournal({ git: true });
    const hook = path.join(dir, ".git", "hooks", "pre-commit");
    fs.writeFileSync(hook, "#!/usr/bin/env node\nprocess.stderr.write('rejected by hook\\n');\nprocess.exit(1);\n", {
      mode: 0o755,
    });
    const rejected = await recordFailure(dir, { title: "rejected by hook", domain: "Git" });
    expect(rejected.code).toBe(5);
    expect(rejected.stderr).toMatch(
      /recorded memory\/failures\/\d{8}_rejected-by-hook\.md \(id 1\), but the git commit failed/,
    );
    expect(readRows(dir).learnings).toHaveLength(1);

    fs.rmSync(hook);
    const next = await recordHeuristic(dir, { domain: "git", rule: "hooks can reject" });
    expect(next.code).toBe(0);
    expect(invariantViolations(dir)).toEqual([]);
    expect(git(dir, ["log", "--format=%s"])).toContain("failure: rejected by hook");
  });

  it("waits for an index.lock held by a live git process, within the lock timeout", async () => {
    const dir = await createJournal({ git: true });
    const { indexLock, liveGit } = holdIndexLockWithLiveGit(dir);
    setTimeout(() => fs.rmSync(indexLock, { force: true }), 1_000);
    const started = Date.now();
    const result = await recordFailure(dir, { title: "waited", domain: "Git" });
    const tookMs = Date.now() - started;
    liveGit.kill();
    expect(result.code).toBe(0);
    expect(tookMs).toBeGreaterThanOrEqual(900);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("gives up on a live holder's index.lock after the timeout, keeping the record for the next run", async () => {
    const dir = await createJournal({ git: true });
    const { indexLock, liveGit } = holdIndexLockWithLiveGit(dir);
    const result = await runLore(["record-failure", "--title", "blocked", "--domain", "Git", "--lock-timeout", "1"], {
      cwd: dir,
    });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain("index.lock");
    expect(readRows(dir).learnings).toHaveLength(1);
    liveGit.kill();
    fs.rmSync(indexLock);
    expect((await recordFailure(dir, { title: "unblocked", domain: "Git" })).code).toBe(0);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("removes a stale index.lock that no live git process holds", async () => {
    const dir = await createJournal({ git: true });
    const indexLock = path.join(dir, ".git", "index.lock");
    fs.writeFileSync(indexLock, "");
    const old = new Date(Date.now() - 5_000);
    fs.utimesSync(indexLock, old, old);
    const result = await recordFailure(dir, { title: "after stale index lock", domain: "Git" });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: removed .*index\.lock/);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("commits as lore, with a warning, where git has no identity", async () => {
    const home = tempDir();
    const dir = tempDir();
    const env = { HOME: home, XDG_CONFIG_HOME: home, GIT_CONFIG_NOSYSTEM: "1" };
    expect((await runLore(["init", "--git"], { cwd: dir, env })).code).toBe(0);
    const result = await runLore(["record-failure", "--title", "no identity", "--domain", "Git"], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^lore: warning: git has no user.name\/user.email here: committed as lore/);
    expect(git(dir, ["log", "-1", "--format=%an|%s"]).trim()).toBe("lore|failure: no identity");
  });
});

describe("the database stays locked by another writer", () => {
  it("SQLITE_BUSY beyond the timeout: exit 1 in one line, nothing written, and the next record works", async () => {
    const dir = await createJournal({ git: true });
    expect((await recordFailure(dir, { title: "kept", domain: "Faults" })).code).toBe(0);
    const filesBefore = snapshot(dir);
    const rowsBefore = readRows(dir);
    const other = openDb(dir);
    other.exec("BEGIN IMMEDIATE");
    try {
      const result = await runLore(
        ["record-failure", ...toFlags({ title: "blocked", domain: "Faults" }), "--lock-timeout", "1"],
        { cwd: dir },
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^lore record-failure: database is locked\n$/);
      expect(snapshot(dir)).toEqual(filesBefore);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    expect(readRows(dir)).toEqual(rowsBefore);
    expect((await recordFailure(dir, { title: "after", domain: "Faults" })).code).toBe(0);
    expect(invariantViolations(dir)).toEqual([]);
  });
});

describe("a read-only journal directory", () => {
  it("fails with one line naming the error, writes nothing, and loses nothing", async () => {
    const dir = await createJournal({ git: true });
    expect((await recordFailure(dir, { title: "kept", domain: "Faults" })).code).toBe(0);
    const failures = path.join(dir, "memory", "failures");
    const filesBefore = snapshot(dir);
    const rowsBefore = readRows(dir);
    // root writes into a read-only directory anyway: there the refusal is injected (EROFS) instead.
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) fs.chmodSync(failures, 0o555);
    try {
      const result = await runLore(["record-failure", ...toFlags({ title: "refused", domain: "Faults" })], {
        cwd: dir,
        env: asRoot ? { LORE_FAULT: "temp-created:EROFS" } : {},
      });
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(asRoot ? /EROFS/ : /EACCES/);
    } finally {
      fs.chmodSync(failures, 0o755);
    }
    expect(snapshot(dir)).toEqual(filesBefore);
    expect(readRows(dir)).toEqual(rowsBefore);
    expect(invariantViolations(dir)).toEqual([]);
  });
});

describe("a frozen lock holder (SIGSTOP past the stale age), then resumed", () => {
  it.runIf(process.platform === "linux").each(["db-insert", "git-add"])(
    "frozen at %s: another writer takes over; the resumed one notices before it commits anything; no record twice, none lost",
    async (step) => {
      const dir = await createJournal({ git: true });
      const env = { LORE_LOCK_STALE: "2" };
      let pid = 0;
      const frozen = runLore(["record-failure", ...toFlags({ title: "frozen", domain: "Faults" })], {
        cwd: dir,
        env: { ...env, LORE_STOP_AT: step },
        onSpawn: (p) => (pid = p),
      });
      await waitUntil(() => pid !== 0 && isStopped(pid), "the holder stopped");
      await new Promise((resolve) => setTimeout(resolve, 2500));
      let takerDone = false;
      const next = recordFailure(dir, { title: "taker", domain: "Faults" }, env).finally(() => (takerDone = true));
      // Once the taker holds the journal lock (or has held it and finished), resume the frozen holder.
      const owner = path.join(dir, "memory", ".lore", "journal.lock.owner");
      const heldByAnother = () => {
        const text = readIfPresent(owner);
        return text !== undefined && text !== "" && !text.includes(`"pid":${pid},`);
      };
      await waitUntil(() => takerDone || heldByAnother(), "the lock was taken over");
      process.kill(pid, "SIGCONT");
      const [resumed, taker] = await Promise.all([frozen, next]);
      expect(taker.code).toBe(0);
      // Frozen after its DB commit, the record is there: exit 5, which a caller does not retry.
      expect(resumed.code).toBe(step === "git-add" ? 5 : 1);
      expect(resumed.stderr).toMatch(/lost the journal lock/);
      const titles = readRows(dir)
        .learnings.map((row) => row.title)
        .sort();
      // Frozen after its DB commit, the record was complete but for git: the taker's recovery committed it, once.
      expect(titles).toEqual(step === "git-add" ? ["frozen", "taker"] : ["taker"]);
      const log = git(dir, ["log", "--format=%s"])
        .split("\n")
        .filter((line) => line.startsWith("failure: "));
      expect(log.sort()).toEqual(titles.map((title) => `failure: ${title}`).sort());
      expect(invariantViolations(dir)).toEqual([]);
    },
    60_000,
  );
});

/** The text of `file`, or undefined when it is not there (the lock's owner file comes and goes). */
function readIfPresent(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
