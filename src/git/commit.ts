/**
 * Committing a record's own paths, and nothing else.
 *
 * `commitPaths(repo, files, message, { deadline, staleMs })` stages `files`
 * (absolute paths inside the work tree) and commits exactly them with
 * `git commit --only`: whatever the user had staged stays staged and stays out
 * of lore's commit. With `skipIfCommitted` (used by recovery), files that no
 * longer differ from HEAD are not committed again. It first waits out (or clears) `.git/index.lock` through
 * index-lock.ts, and retries a git that lost a race for `index.lock` until
 * `deadline`. It returns the new commit's id, or undefined when there was nothing
 * to commit (a killed lore's git child may have committed the files already).
 *
 * Hooks run as for any commit. Call only while holding the journal lock.
 */
import { backoffDelays, sleep } from "../lock/backoff.js";
import { step } from "../io/steps.js";
import { GitError, runGit, type GitRepo } from "./git-process.js";
import { waitForIndexLock } from "./index-lock.js";

export interface CommitOptions {
  deadline: number;
  staleMs: number;
}

function lostIndexLockRace(error: unknown): boolean {
  return error instanceof GitError && /index\.lock/.test(error.stderr);
}

async function runGitWithIndexLock(repo: GitRepo, args: string[], options: CommitOptions): Promise<string> {
  const delays = backoffDelays({ firstMs: 5, capMs: 100 });
  for (;;) {
    await waitForIndexLock(repo, options.deadline, options.staleMs);
    try {
      return (await runGit(repo, args)).stdout;
    } catch (error) {
      if (!lostIndexLockRace(error) || Date.now() >= options.deadline) throw error;
      await sleep(delays.next().value);
    }
  }
}

/** The commit id from `git commit`'s summary line, printed in full by core.abbrev=40. */
function committedId(stdout: string): string | undefined {
  return /^\[[^\]]*?([0-9a-f]{40,64})\]/m.exec(stdout)?.[1];
}

/** Whether `files` differ from HEAD in the index (true in a repository with no commit yet). */
async function stagedChanges(repo: GitRepo, files: string[]): Promise<boolean> {
  try {
    const { stdout } = await runGit(repo, ["diff", "--cached", "--name-only", "HEAD", "--", ...files]);
    return stdout.trim() !== "";
  } catch {
    return true;
  }
}

export interface CommitRequest {
  files: string[];
  message: string;
  /** Check first whether the files still differ from HEAD (recovery). */
  skipIfCommitted?: boolean;
}

export async function commitPaths(
  repo: GitRepo,
  request: CommitRequest,
  options: CommitOptions,
): Promise<string | undefined> {
  step("git-add");
  await runGitWithIndexLock(repo, ["add", "--", ...request.files], options);
  if (request.skipIfCommitted && !(await stagedChanges(repo, request.files))) return undefined;
  step("git-commit");
  const stdout = await runGitWithIndexLock(
    repo,
    ["-c", "core.abbrev=40", "commit", "--only", "--no-status", "--message", request.message, "--", ...request.files],
    options,
  );
  step("git-committed");
  return committedId(stdout) ?? (await runGit(repo, ["rev-parse", "HEAD"])).stdout.trim();
}
