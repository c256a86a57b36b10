/**
 * git's own lock files, as lore meets them.
 *
 * git does not wait for its locks: a second writer fails at once, and a lock
 * left by a killed git blocks every later git until someone removes it (a
 * killed lore does not kill its git child, and a SIGKILLed git leaves its
 * locks). A `git commit` holds `index.lock`, `HEAD.lock`, the lock of the
 * branch it moves (`refs/heads/<branch>.lock`, or `packed-refs.lock`), and,
 * with `--only`, a temporary index `next-index-<pid>.lock`; a kill can leave
 * any of them. `gitLockFiles(repo)` lists those present.
 *
 * `waitForGitLocks(repo, deadline, staleMs)` returns once none is present.
 * While one is held by a live git process it waits, with backoff, until
 * `deadline`, then throws `GitLockTimeoutError`. Locks whose creator is gone
 * are removed: on Linux, when no live git process has its working directory
 * in the repository and the lock is unchanged and at least
 * `ORPHAN_MIN_AGE_MS` old; elsewhere, when it is older than `staleMs`.
 * `orphanedGitLocks(repo, staleMs)` only lists such orphans (lore sync
 * reports them). Call both only while holding the journal lock, so lore's own
 * processes never race each other here.
 */
import fs from "node:fs";
import path from "node:path";
import { backoffDelays, sleep } from "../base/backoff.js";
import { commonDir, currentBranch, type GitRepo } from "./git-process.js";
import { warn } from "../base/warn.js";
import { removeIfPresent } from "../io/durable-file.js";
import { ExitCode, LoreError } from "../base/errors.js";

const ORPHAN_MIN_AGE_MS = 250;

export class GitLockTimeoutError extends LoreError {
  readonly exitCode = ExitCode.Failed;
  constructor(
    readonly lockFile: string,
    ageMs: number,
  ) {
    super(`timed out waiting for ${lockFile}, held by a live git process for ${(ageMs / 1000).toFixed(1)} s`);
  }
}

/** The lock files of git's that a commit takes, present now. */
export function gitLockFiles(repo: GitRepo): string[] {
  const common = commonDir(repo);
  const candidates = [
    path.join(repo.gitDir, "index.lock"),
    path.join(repo.gitDir, "HEAD.lock"),
    path.join(common, "packed-refs.lock"),
  ];
  const branch = currentBranch(repo);
  if (branch) candidates.push(`${path.join(common, ...branch.split("/"))}.lock`);
  try {
    for (const name of fs.readdirSync(repo.gitDir))
      if (/^next-index-\d+\.lock$/.test(name)) candidates.push(path.join(repo.gitDir, name));
  } catch {
    // No git directory: no locks.
  }
  return candidates.filter((file) => fs.existsSync(file));
}

/** Processes named git* whose working directory lies in `root` (Linux only). */
function liveGitProcessIn(root: string): boolean {
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!fs.readFileSync(`/proc/${entry}/comm`, "utf8").startsWith("git")) continue;
      const cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === root || cwd.startsWith(root + path.sep)) return true;
    } catch {
      // The process ended while we looked, or is not ours to inspect.
    }
  }
  return false;
}

function isOrphaned(repo: GitRepo, lockFile: string, stats: fs.Stats, staleMs: number): boolean {
  const ageMs = Date.now() - stats.mtimeMs;
  if (process.platform !== "linux") return ageMs > staleMs;
  if (ageMs < ORPHAN_MIN_AGE_MS || liveGitProcessIn(fs.realpathSync(repo.root))) return false;
  const again = fs.statSync(lockFile, { throwIfNoEntry: false });
  return again !== undefined && again.ino === stats.ino && again.mtimeMs === stats.mtimeMs;
}

/** The git lock files left by git processes that are gone. */
export function orphanedGitLocks(repo: GitRepo, staleMs: number): string[] {
  return gitLockFiles(repo).filter((file) => {
    const stats = fs.statSync(file, { throwIfNoEntry: false });
    return stats !== undefined && isOrphaned(repo, file, stats, staleMs);
  });
}

export async function waitForGitLocks(repo: GitRepo, deadline: number, staleMs: number): Promise<void> {
  const delays = backoffDelays({ firstMs: 5, capMs: 100 });
  for (;;) {
    const [lockFile] = gitLockFiles(repo);
    if (lockFile === undefined) return;
    const stats = fs.statSync(lockFile, { throwIfNoEntry: false });
    if (!stats) continue;
    if (isOrphaned(repo, lockFile, stats, staleMs)) {
      removeIfPresent(lockFile);
      warn(`removed ${lockFile}, left by a git process (or a commit of lore's) that is gone`);
      continue;
    }
    if (Date.now() >= deadline) throw new GitLockTimeoutError(lockFile, Date.now() - stats.mtimeMs);
    await sleep(delays.next().value);
  }
}
