// Group commit (src/txn/group-commit.ts): a holder that finds another
// writer queued behind it hands its git commit off, and the writer that finds
// nobody behind it commits the whole group, each record in a commit of its
// own that holds only its own file. The handed-off writer reports the commit
// made for it. Kills on either side are repaired by the next command.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createJournal, git, invariantViolations, readRows, tempDir } from "./support/journal.js";
import { runLore, toFlags, type RunResult } from "./support/lore.js";
import { isStopped, waitUntil } from "./support/processes.js";
import { journalLayout } from "../src/journal/layout.js";
import { IntentGoneError, PendingIntent } from "../src/txn/pending-intent.js";

interface Ack {
  loreId: string;
  path: string;
  commit: string;
}

function failureArgs(title: string): string[] {
  return ["record-failure", ...toFlags({ title, domain: "Group" }), "--json"];
}

/** A writer that hands its commit off (LORE_HAND_OFF=always), SIGKILLed at step `crashAt`. */
async function killHandedOffWriter(dir: string, title: string, crashAt: string): Promise<void> {
  const killed = await runLore(failureArgs(title), {
    cwd: dir,
    env: { LORE_HAND_OFF: "always", LORE_CRASH_AT: crashAt },
  });
  expect(killed.signal).toBe("SIGKILL");
}

/** The files a commit changed, and its subject. */
function commitContents(dir: string, commit: string): { files: string[]; subject: string } {
  const [subject, ...files] = git(dir, ["show", "--name-only", "--format=%s", commit])
    .trim()
    .split("\n")
    .filter(Boolean);
  return { files, subject };
}

function expectOwnCommit(dir: string, result: RunResult, title: string): Ack {
  expect(result.stderr.replace(/^lore: step .*\n/gm, "")).toBe("");
  expect(result.code).toBe(0);
  const ack = JSON.parse(result.stdout) as Ack;
  expect(commitContents(dir, ack.commit)).toEqual({ files: [ack.path], subject: `failure: ${title}` });
  expect(git(dir, ["rev-list", "-1", "HEAD", "--", ack.path]).trim()).toBe(ack.commit);
  return ack;
}

/** The heuristic headings a commit adds. */
function addedRules(dir: string, commit: string): string[] {
  return git(dir, ["show", "--format=", commit])
    .split("\n")
    .filter((line) => /^\+## H-\d+: /.test(line));
}

/** Every record committed, nothing else changed, every invariant held. */
function expectCleanJournal(dir: string, status = ""): void {
  expect(git(dir, ["status", "--porcelain"])).toBe(status);
  expect(invariantViolations(dir)).toEqual([]);
}

/** A test that freezes a process (LORE_STOP_AT reads /proc): Linux only. */
function itWithFrozenHolder(name: string, test: () => Promise<void>): void {
  it.runIf(process.platform === "linux")(name, test, 60_000);
}

function queuedTickets(dir: string): string[] {
  try {
    return fs.readdirSync(path.join(dir, "memory", ".lore", "lock-waiters"));
  } catch {
    return [];
  }
}

/**
 * The holder (frozen right after its COMMIT) resumes with another lore command
 * (by default a writer) queued behind it, so it hands its commit off to it.
 */
async function handOffBehind(
  dir: string,
  behindEnv: Record<string, string>,
  behindArgs = failureArgs("queued behind"),
  bothEnv: Record<string, string> = {},
): Promise<[RunResult, RunResult]> {
  let pid = 0;
  const holder = runLore(failureArgs("handed off"), {
    cwd: dir,
    env: { ...bothEnv, LORE_STOP_AT: "db-committed" },
    onSpawn: (p) => (pid = p),
  });
  await waitUntil(() => pid !== 0 && isStopped(pid), "the holder is frozen after its COMMIT");
  const behind = runLore(behindArgs, { cwd: dir, env: { ...bothEnv, LORE_TRACE_STEPS: "1", ...behindEnv } });
  await waitUntil(() => queuedTickets(dir).length > 0, "the second writer is queued");
  process.kill(pid, "SIGCONT");
  return Promise.all([holder, behind]);
}

describe("group commit", () => {
  it("a record handed off with nobody behind it is committed by its own writer, in a commit of its own", async () => {
    const dir = await createJournal({ git: true });
    const result = await runLore(failureArgs("alone"), {
      cwd: dir,
      env: { LORE_HAND_OFF: "always", LORE_TRACE_STEPS: "1" },
    });
    expect(result.stderr).toMatch(/step commit-handed-off/);
    expectOwnCommit(dir, result, "alone");
    expectCleanJournal(dir);
  });

  it("a writer that commits its own handed-off record removes its intent before it lets the lock go", async () => {
    const dir = await createJournal({ git: true });
    // Killed as its second session (the one that commits its own record) is about to release the lock.
    await killHandedOffWriter(dir, "committed by its own writer", "lock-release:2");
    expect(git(dir, ["log", "-1", "--format=%s"]).trim()).toBe("failure: committed by its own writer");
    // An intent left here, with no resolution, is a record the next holder would commit again.
    expect(fs.readdirSync(path.join(dir, "memory", ".lore", "pending"))).toEqual([]);
  });

  itWithFrozenHolder(
    "the writer queued behind the holder commits both records, each in its own commit, and the holder reports its commit",
    async () => {
      const dir = await createJournal({ git: true });
      // The user's own staged change stays staged, and out of lore's commits.
      fs.writeFileSync(path.join(dir, "notes.txt"), "mine\n");
      git(dir, ["add", "notes.txt"]);
      const [holder, behind] = await handOffBehind(dir, {});
      const handedOff = expectOwnCommit(dir, holder, "handed off");
      const own = expectOwnCommit(dir, behind, "queued behind");
      // The writer behind made the holder's commit (before its own).
      expect(behind.stderr).toMatch(/step group-committed/);
      expect(git(dir, ["rev-list", "-2", "HEAD"]).trim().split("\n")).toEqual([own.commit, handedOff.commit]);
      // Made in one git process (the reflog names it), the commits read as `git commit` would write them.
      expect(git(dir, ["reflog", "-1", "--format=%gs"]).trim()).toBe("fast-import");
      for (const [ack, title] of [
        [handedOff, "handed off"],
        [own, "queued behind"],
      ] as const) {
        expect(git(dir, ["log", "-1", "--format=%B", ack.commit])).toBe(`failure: ${title}\n\nDomain: Group\n\n`);
        expect(git(dir, ["log", "-1", "--format=%an <%ae>|%cn <%ce>", ack.commit]).trim()).toBe(
          "lore test <lore-test@example.invalid>|lore test <lore-test@example.invalid>",
        );
      }
      expect(readRows(dir).learnings).toHaveLength(2);
      expectCleanJournal(dir, "A  notes.txt\n");
    },
  );

  itWithFrozenHolder(
    "with a commit hook in the repository, the group is committed one commit at a time, and the hook runs for each",
    async () => {
      const dir = await createJournal({ git: true });
      const hookLog = path.join(dir, ".git", "post-commit.log");
      fs.writeFileSync(
        path.join(dir, ".git", "hooks", "post-commit"),
        `#!/usr/bin/env node\nrequire("fs").appendFileSync(${JSON.stringify(hookLog)}, "ran\\n");\n`,
        { mode: 0o755 },
      );
      const [holder, behind] = await handOffBehind(dir, {});
      expectOwnCommit(dir, holder, "handed off");
      expectOwnCommit(dir, behind, "queued behind");
      expect(behind.stderr).toMatch(/step group-committed/);
      expect(fs.readFileSync(hookLog, "utf8")).toBe("ran\nran\n");
      expect(git(dir, ["reflog", "-2", "--format=%gs"]).trim().split("\n")).toEqual([
        "commit: failure: queued behind",
        "commit: failure: handed off",
      ]);
      expectCleanJournal(dir);
    },
  );

  itWithFrozenHolder("on a detached HEAD, the group is committed one commit at a time", async () => {
    const dir = await createJournal({ git: true });
    git(dir, ["checkout", "-q", "--detach"]);
    const [holder, behind] = await handOffBehind(dir, {});
    const handedOff = expectOwnCommit(dir, holder, "handed off");
    const own = expectOwnCommit(dir, behind, "queued behind");
    expect(git(dir, ["rev-list", "-2", "HEAD"]).trim().split("\n")).toEqual([own.commit, handedOff.commit]);
    expect(git(dir, ["reflog", "-2", "--format=%gs"]).trim().split("\n")).toEqual([
      "commit: failure: queued behind",
      "commit: failure: handed off",
    ]);
    expectCleanJournal(dir);
  });

  itWithFrozenHolder(
    "where git has no identity, the group is committed one commit at a time, as lore, with a warning",
    async () => {
      const home = tempDir();
      const dir = tempDir();
      const env = { HOME: home, XDG_CONFIG_HOME: home, GIT_CONFIG_NOSYSTEM: "1" };
      expect((await runLore(["init", "--git"], { cwd: dir, env })).code).toBe(0);
      const [holder, behind] = await handOffBehind(dir, {}, failureArgs("queued behind"), env);
      expect(holder.code).toBe(0);
      expect(behind.code).toBe(0);
      expect(behind.stderr).toMatch(/lore: warning: git has no user.name\/user.email here: committed as lore/);
      expect(git(dir, ["log", "-2", "--format=%an|%s"]).trim().split("\n")).toEqual([
        "lore|failure: queued behind",
        "lore|failure: handed off",
      ]);
    },
  );

  itWithFrozenHolder(
    "a heuristic in an existing domain queued behind the holder: both committed together, the index left clean",
    async () => {
      const dir = await createJournal({ git: true });
      expect(
        (await runLore(["record-heuristic", ...toFlags({ domain: "Known", rule: "first" })], { cwd: dir })).code,
      ).toBe(0);
      const [holder, behind] = await handOffBehind(dir, {}, [
        "record-heuristic",
        ...toFlags({ domain: "Known", rule: "second" }),
        "--json",
      ]);
      expectOwnCommit(dir, holder, "handed off");
      expect(behind.code).toBe(0);
      const ack = JSON.parse(behind.stdout) as Ack;
      expect(commitContents(dir, ack.commit)).toEqual({ files: [ack.path], subject: "heuristic: second" });
      expect(addedRules(dir, ack.commit)).toEqual([expect.stringContaining(": second")]);
      expectCleanJournal(dir);
    },
  );

  itWithFrozenHolder(
    "`lore sync` queued behind the holder commits the handed-off record, and the holder reports that commit",
    async () => {
      const dir = await createJournal({ git: true });
      const [holder, sync] = await handOffBehind(dir, {}, ["sync", "--fix"]);
      expect(sync.code).toBe(0);
      expect(sync.stderr).toMatch(/step group-committed/);
      expectOwnCommit(dir, holder, "handed off");
      expectCleanJournal(dir);
    },
  );

  itWithFrozenHolder(
    "a committer killed after the commit it made for another writer, before telling it: that writer still reports the commit",
    async () => {
      const dir = await createJournal({ git: true });
      const [holder, behind] = await handOffBehind(dir, { LORE_CRASH_AT: "group-committed" });
      expect(behind.signal).toBe("SIGKILL");
      // The holder took the dead committer's lock over, found its record committed, and the commit that holds it.
      const handedOff = expectOwnCommit(dir, holder, "handed off");
      expect(
        git(dir, ["log", "--format=%s"])
          .split("\n")
          .filter((subject) => subject === "failure: handed off"),
      ).toHaveLength(1);
      // The killed writer's own record (in its file and DB, not yet in git) was committed by the next holder.
      const next = await runLore(failureArgs("next"), { cwd: dir });
      expectOwnCommit(dir, next, "next");
      expect(git(dir, ["log", "--format=%s"])).toContain("failure: queued behind");
      expect(git(dir, ["rev-list", "-1", "HEAD", "--", handedOff.path]).trim()).toBe(handedOff.commit);
      expect(readRows(dir).learnings).toHaveLength(3);
      expectCleanJournal(dir);
    },
  );

  it("a writer killed after it handed its commit off: the next command commits its record", async () => {
    const dir = await createJournal({ git: true });
    await killHandedOffWriter(dir, "killed", "commit-handed-off");
    const next = await runLore(failureArgs("next"), { cwd: dir });
    expectOwnCommit(dir, next, "next");
    const subjects = git(dir, ["log", "--format=%s"]);
    expect(subjects).toContain("failure: killed");
    expect(readRows(dir).learnings).toHaveLength(2);
    expectCleanJournal(dir);
  });

  it("an intent that is gone when read (its writer removed it after reading its commit) is passed over, not an error", async () => {
    const dir = await createJournal({ git: true });
    // Listed by the directory read, gone by the time it is read: a dangling link is both at once.
    const vanishing = path.join(dir, "memory", ".lore", "pending", "gone-while-listed.json");
    fs.mkdirSync(path.dirname(vanishing), { recursive: true });
    fs.symlinkSync(path.join(dir, "no-such-intent.json"), vanishing);
    const result = await runLore(failureArgs("while one vanishes"), { cwd: dir });
    expectOwnCommit(dir, result, "while one vanishes");
    fs.unlinkSync(vanishing);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("a resolution written after its intent went does not make the intent anew; a hand-off to a gone intent fails", async () => {
    const dir = await createJournal({ git: true });
    await killHandedOffWriter(dir, "handed off, then killed", "commit-handed-off");
    const [intent] = PendingIntent.list(journalLayout(dir));
    if (!(intent instanceof PendingIntent)) throw new Error("the killed writer left no readable intent");
    // Its owner read an earlier resolution and removed the intent; a second holder resolves it late.
    fs.unlinkSync(intent.path);
    intent.resolve("0".repeat(40));
    expect(fs.existsSync(intent.path)).toBe(false);
    expect(() => intent.handOff()).toThrow(IntentGoneError);
    expect(() => intent.addTempFile(`${intent.path}.tmp`)).toThrow(IntentGoneError);
    expect(fs.existsSync(intent.path)).toBe(false);
  });

  it("a lone resolution line in the pending directory is removed as an intent with no record, and records go on", async () => {
    const dir = await createJournal({ git: true });
    // What a late resolution left before lines were appended only to intents still there: every
    // later command failed on it ("Cannot read properties of undefined").
    const stray = path.join(dir, "memory", ".lore", "pending", "5f0c1a52-7d3e-4d6b-9a41-2b8e6c0f9d17.json");
    fs.mkdirSync(path.dirname(stray), { recursive: true });
    fs.writeFileSync(stray, `${JSON.stringify({ committed: "0".repeat(40) })}\n`);
    const result = await runLore(failureArgs("after a lone resolution"), { cwd: dir });
    expectOwnCommit(dir, result, "after a lone resolution");
    expect(fs.existsSync(stray)).toBe(false);
    expectCleanJournal(dir);
  });

  it("heuristics handed off on one domain file: each commit holds only its own rule", async () => {
    const dir = await createJournal({ git: true });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        runLore(["record-heuristic", ...toFlags({ domain: "Shared", rule: `rule ${index}` }), "--json"], {
          cwd: dir,
          env: { LORE_HAND_OFF: "always" },
        }),
      ),
    );
    expect(results.map((result) => result.code)).toEqual(results.map(() => 0));
    for (const result of results) {
      const ack = JSON.parse(result.stdout) as Ack;
      const rule = readRows(dir).heuristics.find((row) => row.lore_id === ack.loreId)?.rule;
      expect(addedRules(dir, ack.commit)).toEqual([expect.stringContaining(`: ${rule}`)]);
    }
    expectCleanJournal(dir);
  });
});
