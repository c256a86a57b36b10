// A record whose file git already holds as it is (its commit landed before
// lore asked for it: an earlier attempt, a recovery, a git outside lore) is
// committed: the record reports success with the commit that holds it, never
// a failed commit ("nothing to commit", exit 1).
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createJournal, git, invariantViolations } from "./support/journal.js";
import { runLore, toFlags, type RunResult } from "./support/lore.js";
import { isStopped, waitUntil } from "./support/processes.js";

function failureArgs(title: string): string[] {
  return ["record-failure", ...toFlags({ title, domain: "Committed" }), "--json"];
}

/** Starts a record that freezes at `step`; resolves with its pid once it is frozen, and its result. */
async function frozenRecord(
  dir: string,
  title: string,
  env: Record<string, string>,
): Promise<{ pid: number; result: Promise<RunResult> }> {
  let pid = 0;
  const result = runLore(failureArgs(title), { cwd: dir, env, onSpawn: (p) => (pid = p) });
  await waitUntil(() => pid !== 0 && isStopped(pid), `the record "${title}" is frozen`);
  return { pid, result };
}

/** Commits the record file of `title` as a git outside lore would. */
function commitOutsideLore(dir: string, title: string): string {
  const slug = title.replace(/ /g, "-");
  git(dir, ["add", "--", `memory/failures/*_${slug}.md`]);
  git(dir, ["commit", "-q", "-m", `outside lore: ${title}`]);
  return git(dir, ["rev-parse", "HEAD"]).trim();
}

function queuedTickets(dir: string): string[] {
  try {
    return fs.readdirSync(path.join(dir, "memory", ".lore", "lock-waiters"));
  } catch {
    return [];
  }
}

function expectCommittedBy(result: RunResult, commit: string): void {
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  expect((JSON.parse(result.stdout) as { commit: string }).commit).toBe(commit);
}

describe("a record whose file git already holds", () => {
  it.runIf(process.platform === "linux")("committed alone: exit 0 with the commit that holds it", async () => {
    const dir = await createJournal({ git: true });
    const record = await frozenRecord(dir, "landed before", { LORE_STOP_AT: "git-add" });
    const commit = commitOutsideLore(dir, "landed before");
    process.kill(record.pid, "SIGCONT");
    expectCommittedBy(await record.result, commit);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it.runIf(process.platform === "linux")(
    "committed in a group with a handed-off record: exit 0 with the commit that holds it, and the other record committed",
    async () => {
      const dir = await createJournal({ git: true });
      // The first record, frozen after its COMMIT, hands its commit off to the second, queued behind it ...
      const first = await frozenRecord(dir, "handed off", { LORE_STOP_AT: "db-committed" });
      let secondPid = 0;
      const second = runLore(failureArgs("in the group"), {
        cwd: dir,
        env: { LORE_STOP_AT: "db-committed" },
        onSpawn: (pid) => (secondPid = pid),
      });
      await waitUntil(() => queuedTickets(dir).length > 0, "the second record is queued");
      process.kill(first.pid, "SIGCONT");
      // ... which finds its own file committed when it commits the two (one git fast-import).
      await waitUntil(() => secondPid !== 0 && isStopped(secondPid), "the second record is frozen after its COMMIT");
      const commit = commitOutsideLore(dir, "in the group");
      process.kill(secondPid, "SIGCONT");
      const [firstResult, secondResult] = await Promise.all([first.result, second]);
      expectCommittedBy(secondResult, commit);
      expect(firstResult.stderr).toBe("");
      expect(firstResult.code).toBe(0);
      const handedOff = JSON.parse(firstResult.stdout) as { commit: string; path: string };
      expect(git(dir, ["show", "--name-only", "--format=", handedOff.commit]).trim()).toBe(handedOff.path);
      expect(invariantViolations(dir)).toEqual([]);
    },
  );
});
