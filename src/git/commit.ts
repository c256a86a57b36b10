/**
 * Committing a record's own paths, and nothing else. Call only while holding
 * the journal lock.
 *
 *   const id = await commitPaths(repo, { files, message, tracked, maintenance }, options);
 *   await stagePaths(repo, files, options);   // `git add` alone, for a group (txn/group-commit.ts)
 *   await runMaintenance(repo);               // git's automatic maintenance, as `git commit` runs it
 *
 * `commitPaths` commits exactly `files` (absolute, inside the work tree): one
 * file without git where lore can (direct-commit.ts), else with
 * `git commit --only`: what the user had staged stays staged and out of lore's
 * commit. Unless `tracked`, it stages them first, with the commit started
 * beside `git add` and handed its paths once the add is done; a `tracked` file
 * that git does not know after all is added and the commit run again. It
 * returns the new commit's id, or undefined when the files do not differ
 * from HEAD: committed already (by a commit that landed before lore was told,
 * or by a git outside lore), which is not a failure. Given an `indexFile`, more than MANY_PATHS
 * files are committed from a temporary index instead (HEAD's tree plus their
 * staged entries), since `--only` matches every path of HEAD's tree against
 * every file: 14 s for 1,000 files among 100,000. Without a committer identity it commits as
 * `lore <lore@HOST>` and warns. Hooks run as for any commit, from
 * `options.hooksDir` where given (lore's chained hooks); git's automatic
 * maintenance runs only with `maintenance`.
 *
 * `commitRemoval` stops git tracking some paths and leaves their files in the
 * work tree (`lore init` untracking `memory/index.db`): one commit of their
 * removal alone, made from a temporary index built from HEAD (`git commit
 * --only` would add the work tree's file back), then their removal from git's
 * index; the user's staged changes stay staged and out of the commit. It
 * returns the paths git tracked and the commit, if HEAD held any of them.
 *
 * Before each git it waits out, or clears, git's own lock files (git-locks.ts) and calls `options.assertHeld`
 * (fencing: a holder that was taken over runs no git); a git that lost a race
 * for one of git's locks runs again until `options.deadline`. Errors:
 * GitError, IgnoredByGitError (`git add` refused files git ignores: it
 * names them and their rules), GitLockTimeoutError, LockLostError.
 * Design: docs/DESIGN.md#a-record-hop-by-hop
 */
import os from "node:os";
import path from "node:path";
import { backoffDelays, sleep } from "../base/backoff.js";
import { warn } from "../base/warn.js";
import { step } from "../io/fault-points.js";
import { GitError, type GitRunOptions, runGit, startGit, type GitRepo, type RunningGit } from "./git-process.js";
import { waitForGitLocks } from "./git-locks.js";
import { removeTree } from "../io/file-system.js";
import { IgnoredByGitError, ignoringRules } from "./ignore-rules.js";
import { commitWithoutGit } from "./direct-commit.js";
import type { CommitOptions } from "./commit-request.js";

/** git's automatic maintenance, as `git commit` runs it; a failure only warns. */
export async function runMaintenance(repo: GitRepo): Promise<void> {
  await runGit(repo, ["maintenance", "run", "--auto", "--quiet"]).catch((error: Error) =>
    warn(`git maintenance failed: ${error.message}`),
  );
}

/** git failed because another git held one of its locks at that moment. */
function lostGitLockRace(error: unknown): boolean {
  return error instanceof GitError && /\.lock'?: File exists|Unable to create '[^']*\.lock'/.test(error.stderr);
}

/** Waits until git's locks are free, then checks that the journal lock is still held: git may run now. */
async function waitUntilGitMayRun(repo: GitRepo, options: CommitOptions): Promise<void> {
  await waitForGitLocks(repo, options.deadline, options.staleMs);
  options.assertHeld();
}

/** Runs `attempt` once git may run, again after a lost race for one of git's locks, until the deadline. */
async function retryingLockRaces<T>(repo: GitRepo, options: CommitOptions, attempt: () => Promise<T>): Promise<T> {
  const delays = backoffDelays({ firstMs: 5, capMs: 100 });
  for (;;) {
    await waitUntilGitMayRun(repo, options);
    try {
      return await attempt();
    } catch (error) {
      if (!lostGitLockRace(error) || Date.now() >= options.deadline) throw error;
      await sleep(delays.next().value);
    }
  }
}

async function runGitWaitingForLocks(
  repo: GitRepo,
  args: string[],
  options: CommitOptions,
  output: GitRunOptions = {},
): Promise<string> {
  return retryingLockRaces(repo, options, async () => (await runGit(repo, args, output)).stdout);
}

/** The commit id from `git commit`'s summary line, printed in full by core.abbrev=40. */
function committedId(stdout: string): string | undefined {
  return /^\[[^\]]*?([0-9a-f]{40,64})\]/m.exec(stdout)?.[1];
}

/** git refused because the files do not differ from HEAD. */
function nothingToCommit(error: unknown): boolean {
  return (
    error instanceof GitError &&
    /nothing (added )?to commit|no changes added to commit/.test(error.stdout + error.stderr)
  );
}

/** git refused to add some of the files because it ignores them. */
function refusedAsIgnored(error: unknown): boolean {
  return error instanceof GitError && /paths are ignored by one of your \.gitignore files/.test(error.stderr);
}

/** A failed `git add` of `files` as lore reports it: for files git ignores, IgnoredByGitError naming their rules. */
async function addError(repo: GitRepo, files: string[], error: unknown): Promise<unknown> {
  if (!refusedAsIgnored(error)) return error;
  const rules = await ignoringRules(repo, files);
  return rules.size > 0 ? IgnoredByGitError.of(repo, rules) : error;
}

/** Stages `files` with one `git add` (nothing for none), waiting out git's locks as commitPaths does. */
export async function stagePaths(repo: GitRepo, files: string[], options: CommitOptions): Promise<void> {
  if (files.length === 0) return;
  // Many paths go on git's standard input: as arguments they would pass the system's limit (E2BIG).
  const [args, input] =
    files.length > MANY_PATHS
      ? [["add", "--pathspec-from-file=-", "--pathspec-file-nul"], `${files.join("\0")}\0`]
      : [["add", "--", ...files], undefined];
  try {
    await runGitWaitingForLocks(repo, args, options, { stdout: false, input });
  } catch (error) {
    throw await addError(repo, files, error);
  }
}

export interface CommitRequest {
  files: string[];
  message: string;
  /** The files are believed to be tracked already: skip `git add`. */
  tracked?: boolean;
  /** Let git run its automatic maintenance after this commit. */
  maintenance?: boolean;
  /**
   * Where git may write a temporary index, for a commit of more than
   * MANY_PATHS files (commitManyPaths); removed afterwards. Without it, every
   * commit is `git commit --only`.
   */
  indexFile?: string;
}

/** Beyond this many files, a commit is made from a temporary index: `--only` matches each of HEAD's paths against each file. */
const MANY_PATHS = 200;

function missingIdentity(error: unknown): boolean {
  return (
    error instanceof GitError && /Please tell me who you are|unable to auto-detect email address/.test(error.stderr)
  );
}

function fallbackIdentity(): string[] {
  const host = os.hostname().replace(/[^A-Za-z0-9.-]/g, "") || "localhost";
  return ["-c", "user.name=lore", "-c", `user.email=lore@${host}`];
}

function unknownPathspec(error: unknown): boolean {
  return error instanceof GitError && /did not match any file\(s\) known to git/.test(error.stderr);
}

/**
 * Stages `files` with `git add` and returns a `git commit` started beside it:
 * the commit waits for its paths on standard input (finishStartedCommit), so
 * that git's start-up overlaps the add instead of following it
 * (docs/PERFORMANCE.md). A commit given `--only` and no paths refuses to
 * run ("No paths with --include/--only does not make sense"), and it reads its
 * paths before it touches the index or a lock, so one that never gets them
 * (the add failed, or lore was killed) changes nothing.
 */
function startCommitBesideAdd(
  repo: GitRepo,
  files: string[],
  commitArgs: string[],
  options: CommitOptions,
): Promise<RunningGit> {
  return retryingLockRaces(repo, options, async () => {
    const adding = startGit(repo, ["add", "--", ...files], { stdout: false });
    const committing = startGit(repo, [...commitArgs, "--pathspec-from-file=-", "--pathspec-file-nul"], {
      stdin: true,
    });
    try {
      await adding.result;
      return committing;
    } catch (error) {
      await abandon(committing);
      throw await addError(repo, files, error);
    }
  });
}

async function abandon(started: RunningGit): Promise<void> {
  started.close();
  await started.result.catch(() => undefined);
}

/** Hands the started commit its paths (once git's locks are free and the journal lock still held) and returns its output. */
async function finishStartedCommit(
  repo: GitRepo,
  started: RunningGit,
  files: string[],
  options: CommitOptions,
): Promise<string> {
  try {
    await waitUntilGitMayRun(repo, options);
  } catch (error) {
    await abandon(started);
    throw error;
  }
  started.send(files.join("\0"));
  return (await started.result).stdout.toString("utf8");
}

/** The `-c` options of every commit lore makes: its hooks directory, full ids, maintenance only when asked. */
function commitConfig(options: CommitOptions, maintenance: boolean): string[] {
  return [
    ...(options.hooksDir ? ["-c", `core.hooksPath=${options.hooksDir}`] : []),
    "-c",
    "core.abbrev=40",
    ...(maintenance ? [] : ["-c", "maintenance.auto=false"]),
  ];
}

export async function commitPaths(
  repo: GitRepo,
  request: CommitRequest,
  options: CommitOptions,
): Promise<string | undefined> {
  if (request.indexFile && !request.tracked && request.files.length > MANY_PATHS) {
    return commitManyPaths(repo, request, request.indexFile, options);
  }
  step("git-add");
  if (request.files.length === 1) {
    const made = await commitWithoutGit(repo, [{ file: request.files[0], message: request.message }], options);
    if (made !== undefined) {
      if (request.maintenance) await runMaintenance(repo);
      return made[0];
    }
  }
  const commitWithoutPaths = [
    ...commitConfig(options, request.maintenance ?? false),
    "commit",
    "--only",
    "--no-status",
    "--message",
    request.message,
  ];
  const commitArgs = [...commitWithoutPaths, "--", ...request.files];
  const started = request.tracked
    ? undefined
    : await startCommitBesideAdd(repo, request.files, commitWithoutPaths, options);
  step("git-commit");
  let stdout: string;
  try {
    stdout = started
      ? await finishStartedCommit(repo, started, request.files, options)
      : await runGitWaitingForLocks(repo, commitArgs, options);
  } catch (error) {
    if (nothingToCommit(error)) {
      return undefined;
    } else if (request.tracked && unknownPathspec(error)) {
      await stagePaths(repo, request.files, options);
    } else if (missingIdentity(error)) {
      warn("git has no user.name/user.email here: committed as lore; set them with `git config`");
      commitArgs.unshift(...fallbackIdentity());
    } else if (!(started && lostGitLockRace(error))) {
      // A started commit that lost a race for one of git's locks is run again below, waiting for them.
      throw error;
    }
    stdout = await runGitWaitingForLocks(repo, commitArgs, options);
  }
  step("git-committed");
  return committedId(stdout) ?? (await runGit(repo, ["rev-parse", "HEAD"])).stdout.trim();
}

/** HEAD's commit id, or undefined on an unborn branch. */
async function headCommit(repo: GitRepo): Promise<string | undefined> {
  return runGit(repo, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]).then(
    (result) => result.stdout.trim() || undefined,
    () => undefined,
  );
}

/** A temporary index's files, gone (before a commit uses the index, and after). */
function clearIndexFile(indexFile: string): void {
  for (const file of [indexFile, `${indexFile}.lock`]) removeTree(file);
}

/** `git commit` of the index GIT_INDEX_FILE names, as lore commits: its config, and its identity when git has none. */
async function commitIndex(
  repo: GitRepo,
  message: string,
  maintenance: boolean,
  options: CommitOptions,
  temporary: GitRunOptions,
): Promise<string> {
  // The message on standard input: one listing many files would pass the system's limit for an argument.
  const commitArgs = [...commitConfig(options, maintenance), "commit", "--no-status", "--file=-"];
  const withMessage = { ...temporary, input: message };
  let stdout: string;
  try {
    stdout = await runGitWaitingForLocks(repo, commitArgs, options, withMessage);
  } catch (error) {
    if (!missingIdentity(error)) throw error;
    warn("git has no user.name/user.email here: committed as lore; set them with `git config`");
    stdout = await runGitWaitingForLocks(repo, [...fallbackIdentity(), ...commitArgs], options, withMessage);
  }
  return committedId(stdout) ?? (await runGit(repo, ["rev-parse", "HEAD"])).stdout.trim();
}

/** Warns when the commit's parent is not the HEAD its tree was built from: a git outside lore moved HEAD meanwhile. */
async function warnIfHeadMoved(repo: GitRepo, commit: string, head: string | undefined, what: string): Promise<void> {
  if (!head) return;
  const parent = (await runGit(repo, ["rev-parse", `${commit}^`])).stdout.trim();
  if (parent !== head) warn(`HEAD moved while lore committed ${commit}: check that it changed only ${what}`);
}

/**
 * commitPaths for many files: `git add` them, then commit a temporary index
 * made of HEAD's tree and their entries in git's index (or their removal), with
 * no pathspec for git to match. The user's staged changes stay out of the
 * commit, as with `--only`, and hooks run as for any commit.
 */
async function commitManyPaths(
  repo: GitRepo,
  request: CommitRequest,
  indexFile: string,
  options: CommitOptions,
): Promise<string | undefined> {
  step("git-add");
  await stagePaths(repo, request.files, options);
  step("git-commit");
  const head = await headCommit(repo);
  const wanted = new Set(request.files.map((file) => path.relative(repo.root, file).split(path.sep).join("/")));
  const staged = new Map<string, string>();
  for (const entry of nulSeparated((await runGit(repo, ["ls-files", "-s", "-z"])).stdout)) {
    const tab = entry.indexOf("\t");
    const file = entry.slice(tab + 1);
    if (wanted.has(file)) staged.set(file, entry.slice(0, tab));
  }
  const noObject = "0".repeat(head?.length ?? 40);
  const entries = [...wanted].map((file) => `${staged.get(file) ?? `0 ${noObject} 0`}\t${file}\0`).join("");
  const temporary = { env: { GIT_INDEX_FILE: indexFile } };
  let commit: string;
  clearIndexFile(indexFile);
  try {
    await runGitWaitingForLocks(repo, head ? ["read-tree", head] : ["read-tree", "--empty"], options, temporary);
    const updating = startGit(repo, ["update-index", "-z", "--index-info"], { ...temporary, stdin: true });
    updating.send(entries);
    await updating.result;
    try {
      commit = await commitIndex(repo, request.message, request.maintenance ?? false, options, temporary);
    } catch (error) {
      if (nothingToCommit(error)) return undefined;
      throw error;
    }
  } finally {
    clearIndexFile(indexFile);
  }
  await warnIfHeadMoved(repo, commit, head, `${wanted.size} journal files`);
  step("git-committed");
  return commit;
}

export interface RemovalRequest {
  /** Paths relative to the work tree's root, with `/`, taken literally (no glob). */
  paths: string[];
  message: string;
  /** Where git may write its temporary index; removed afterwards. */
  indexFile: string;
}

export interface RemovalResult {
  /** The paths git tracked (in HEAD or in its index), now untracked. */
  untracked: string[];
  /** The commit of their removal; undefined when HEAD held none of them. */
  commit: string | undefined;
}

function nulSeparated(output: string): string[] {
  return output.split("\0").filter((entry) => entry !== "");
}

export async function commitRemoval(
  repo: GitRepo,
  request: RemovalRequest,
  options: CommitOptions,
): Promise<RemovalResult> {
  const literal = ["--literal-pathspecs", "--no-optional-locks"];
  options.assertHeld();
  const head = await headCommit(repo);
  const inHead = head
    ? nulSeparated(
        (
          await runGit(repo, [
            ...literal,
            "ls-tree",
            "-r",
            "-z",
            "--name-only",
            "--full-tree",
            head,
            "--",
            ...request.paths,
          ])
        ).stdout,
      )
    : [];
  const inIndex = nulSeparated((await runGit(repo, [...literal, "ls-files", "-z", "--", ...request.paths])).stdout);
  let commit: string | undefined;
  if (head && inHead.length > 0) {
    const temporary = { env: { GIT_INDEX_FILE: request.indexFile } };
    clearIndexFile(request.indexFile);
    try {
      await runGitWaitingForLocks(repo, ["read-tree", head], options, temporary);
      await runGitWaitingForLocks(repo, [...literal, "rm", "--cached", "-q", "--", ...inHead], options, temporary);
      commit = await commitIndex(repo, request.message, false, options, temporary);
    } finally {
      clearIndexFile(request.indexFile);
    }
    // git commit takes HEAD as it finds it: only a git outside lore could have moved it since read-tree.
    await warnIfHeadMoved(repo, commit, head, `the removal of ${inHead.join(" ")}`);
  }
  if (inIndex.length > 0) {
    // -f: the index's copy now differs from HEAD, which git rm --cached otherwise refuses to drop.
    await runGitWaitingForLocks(repo, [...literal, "rm", "--cached", "-f", "-q", "--", ...inIndex], options);
  }
  return { untracked: [...new Set([...inHead, ...inIndex])].sort(), commit };
}
