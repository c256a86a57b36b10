/**
 * git's own lock, `.git/index.lock`, as lore meets it.
 *
 * git does not wait for `index.lock`: a second writer fails at once, and a lock
 * left by a killed git blocks every later git until someone removes it (a
 * killed lore does not kill its git child, and a SIGKILLed git leaves it).
 *
 * `waitForIndexLock(repo, deadline)` returns once no `index.lock` is present.
 * While one is held by a live git process it waits, with backoff, until
 * `deadline`, then throws `IndexLockTimeoutError`. A lock whose creator is gone
 * is removed: on Linux, when no live git process has its working directory in
 * the repository and the lock file is unchanged and at least
 * `ORPHAN_MIN_AGE_MS` old; elsewhere, when it is older than `staleMs`.
 * `orphanedIndexLock(repo, staleMs)` only tells whether such an orphan is there
 * (lore sync reports it). Call both only while holding the journal lock, so
 * lore's own processes never race each other here.
 */
import fs from "node:fs";
import path from "node:path";
import { backoffDelays, sleep } from "../lock/backoff.js";
import type { GitRepo } from "./git-process.js";
import { warn } from "../io/warn.js";

const ORPHAN_MIN_AGE_MS = 250;

export class IndexLockTimeoutError extends Error {
  constructor(readonly lockFile: string, ageMs: number) {
    super(`timed out waiting for ${lockFile}, held by a live git process for ${(ageMs / 1000).toFixed(1)} s`);
  }
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

/** The path of `.git/index.lock` when it is left by a git process that is gone. */
export function orphanedIndexLock(repo: GitRepo, staleMs: number): string | undefined {
  const lockFile = path.join(repo.gitDir, "index.lock");
  const stats = fs.statSync(lockFile, { throwIfNoEntry: false });
  return stats && isOrphaned(repo, lockFile, stats, staleMs) ? lockFile : undefined;
}

export async function waitForIndexLock(repo: GitRepo, deadline: number, staleMs: number): Promise<void> {
  const lockFile = path.join(repo.gitDir, "index.lock");
  const delays = backoffDelays({ firstMs: 5, capMs: 100 });
  for (;;) {
    const stats = fs.statSync(lockFile, { throwIfNoEntry: false });
    if (!stats) return;
    if (isOrphaned(repo, lockFile, stats, staleMs)) {
      fs.rmSync(lockFile, { force: true });
      warn(`removed ${lockFile}, left by a git process that is gone`);
      continue;
    }
    if (Date.now() >= deadline) throw new IndexLockTimeoutError(lockFile, Date.now() - stats.mtimeMs);
    await sleep(delays.next().value);
  }
}
