/**
 * Commits without git: lore writes the objects, the index and the branch's
 * ref itself, as `git add <file>` and `git commit --only -m <message> --
 * <file>` would, one commit per file, and no process is started.
 *
 *   const ids = await commitWithoutGit(repo, [{ file, message }, ...], options);
 *   if (ids === undefined) ...let git do it (commit.ts, batch-commit.ts)
 *
 * Each commit holds one file as git would store it, on top of the one before,
 * with the message cleaned as git cleans `-m`, the configured identity, and
 * a reflog line `commit: <subject>`; a file already committed as it is gets
 * undefined in the result. It applies only where the result is what git's
 * own commands would make; it returns undefined, having changed nothing,
 * where it does not run (LORE_COMMIT_WITHOUT_GIT=never) or cannot be sure
 * of that:
 *   - HEAD detached or unborn; HEAD's commit not a loose object;
 *   - git's index unreadable here (index-file.ts), or not holding exactly
 *     HEAD's tree (the user staged something): the commit is built from the
 *     index, and must hold nothing but the file. Where a `git add` left the
 *     cache tree unsaid (a group that `git fast-import` committed), the tree
 *     is computed from the entries (IndexFile.heldTree);
 *   - a hook a commit, a ref update or an index write would run; signing; no
 *     identity git would accept; a SHA-256 repository; a configuration that
 *     changes how the index is written (version 4, split index, shared
 *     permissions) or how a commit is encoded;
 *   - a file git would convert (filters, line endings) or ignore
 *     (add-rules.ts), not a regular file, executable, or in the way of a
 *     directory of the index;
 *   - another git holds the index or the ref (lore lets git wait and retry).
 *
 * The order is that of `git add` then `git commit`: `index.lock` taken
 * (O_EXCL), the index read, blobs, trees and commits written, the new index
 * written to `index.lock` and the branch's new value to `<ref>.lock` (under
 * `HEAD.lock` too, and only if the branch is still where the index was
 * read), all of them fsynced side by side and the objects renamed into place
 * (their directories fsynced) before anything names them; then the index
 * renamed into place (the file staged), then the ref (the commit point). A
 * lore killed before the index moved leaves objects (loose, or a group's
 * pack) nothing names and maybe their temporary files, which git's gc
 * prunes, and lock files the next holder clears (git-locks.ts); killed
 * between the two renames, the file staged and not committed, as a
 * `git add` leaves it, which the next run's recovery commits (git then,
 * since the index no longer holds HEAD's tree). Durable
 * (git-process.ts `durableGit`): every file and directory entry is fsynced
 * before the call returns; the reflog lines are not. Call only while holding
 * the journal lock. Errors: LockLostError (fencing, before each step that
 * writes), and those of `fs` once the index moved (the file then stays
 * staged for the next run).
 * Design: docs/DESIGN.md#a-commit-without-git
 */
import fs from "node:fs";
import path from "node:path";
import { step } from "../io/fault-points.js";
import {
  closeFile,
  makeDirectory,
  noteGitDirectory,
  openForWriting,
  removeFile,
  renamePath,
  syncDirectoriesTogether,
  syncFilesTogether,
  writeFile,
  writeToFile,
} from "../io/file-system.js";
import { ignoredByGit, mayConvertOnAdd, RuleFiles } from "./add-rules.js";
import { cleanMessage, type CommitOptions, type FileCommit } from "./commit-request.js";
import { anyCommitHook, commitHooksDir, commitSettings, identities, isTrue } from "./commit-settings.js";
import { commonDir, currentBranch, durableGit, type GitRepo, refValue } from "./git-process.js";
import { waitForGitLocks } from "./git-locks.js";
import { IndexFile } from "./index-file.js";
import { GitObjects } from "./git-objects.js";
import { objectCodecs } from "./object-codecs.js";

/**
 * Whether lore writes the commit itself where it can: yes, unless
 * `LORE_COMMIT_WITHOUT_GIT=never` (a user who wants git to make every
 * commit, or a test of git's way). It is the cheaper commit in a process
 * that stays up and in a command line alike, in a small repository too
 * (docs/PERFORMANCE.md#a-commit-without-git); `always` is the default.
 */
const commitWithoutGitWanted = process.env.LORE_COMMIT_WITHOUT_GIT !== "never";

/** Hooks beside a commit's own that a ref update or an index write runs. */
const MORE_HOOKS = ["reference-transaction", "post-index-change"];

/** Settings under which git writes the index, objects or commits otherwise than this module does. */
function settingsAllow(settings: Map<string, string>): boolean {
  const format = settings.get("extensions.objectformat");
  const version = settings.get("index.version");
  const encoding = settings.get("i18n.commitencoding");
  return (
    (format === undefined || format.toLowerCase() === "sha1") &&
    (version === undefined || version === "2" || version === "3") &&
    !isTrue(settings.get("feature.manyfiles")) &&
    !isTrue(settings.get("core.splitindex")) &&
    !isTrue(settings.get("index.skiphash")) &&
    [undefined, "", "false", "umask", "0"].includes(settings.get("core.sharedrepository")?.toLowerCase()) &&
    (encoding === undefined || /^utf-?8$/i.test(encoding))
  );
}

/** The tree a loose commit holds; undefined when the commit is not loose. */
function treeOfCommit(objects: GitObjects, commit: string): string | undefined {
  const object = objects.read(commit);
  return object?.type === "commit" ? /^tree ([0-9a-f]{40})\n/.exec(object.body.toString("latin1"))?.[1] : undefined;
}

/** Creates `file` exclusively; false when it exists (another git holds that lock). */
function takeLock(file: string): boolean {
  try {
    writeFile(file, "", { flag: "wx" });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/** The directories from the root down to `relative`'s, as the index names them ("" for the root). */
function directoriesOf(relative: string): string[] {
  const parts = relative.split("/");
  return parts.map((_, depth) => parts.slice(0, depth).join("/"));
}

/** Appends a reflog line where git would: the log exists, or core.logAllRefUpdates asks for one. */
function appendReflog(file: string, line: string, create: boolean): void {
  if (!create && !fs.existsSync(file)) return;
  makeDirectory(path.dirname(file), { recursive: true });
  writeFile(file, line, { flag: "a" });
}

export async function commitWithoutGit(
  repo: GitRepo,
  commits: FileCommit[],
  options: CommitOptions,
): Promise<Array<string | undefined> | undefined> {
  if (!commitWithoutGitWanted) return undefined;
  const branch = currentBranch(repo);
  const settings = await commitSettings(repo);
  if (branch === undefined || settings === undefined || !settingsAllow(settings)) return undefined;
  const who = identities(settings);
  if (who === undefined || anyCommitHook(commitHooksDir(repo, settings, options.hooksDir), MORE_HOOKS))
    return undefined;
  const relatives = commits.map((commit) => path.relative(repo.root, commit.file).split(path.sep).join("/"));
  const objects = new GitObjects(repo, objectCodecs(), { durable: durableGit });
  await waitForGitLocks(repo, options.deadline, options.staleMs);
  options.assertHeld();
  step("git-commit");
  const indexLock = path.join(repo.gitDir, "index.lock");
  if (!takeLock(indexLock)) return undefined;
  let indexLockHeld = true;
  try {
    const built = buildCommits(repo, objects, branch, commits, relatives, settings, who);
    if (built === undefined || built.made.length === 0) return built?.ids;
    options.assertHeld();
    const update = BranchUpdate.lock(repo, branch, built.parent, built.made[built.made.length - 1].id);
    if (update === undefined) return undefined;
    try {
      // The objects, the new index and the ref's new value made durable at once, before the ref moves.
      const fd = openForWriting(indexLock, "w");
      try {
        writeToFile(fd, built.index.serialize());
        await Promise.all([objects.syncWritten(), durableGit ? syncFilesTogether([fd, update.fd]) : undefined]);
      } finally {
        closeFile(fd);
      }
      // The file staged first, as `git add` leaves it: a lore killed before the ref moves leaves what the next run commits.
      renamePath(indexLock, path.join(repo.gitDir, "index"));
      indexLockHeld = false;
      step("git-staged");
      update.move(built.made, who.committer, settings);
    } finally {
      update.release();
    }
    if (durableGit) await syncDirectoriesTogether([update.directory, repo.gitDir]);
    noteGitDirectory(repo.gitDir, durableGit);
    step("git-committed");
    return built.ids;
  } finally {
    objects.abandon();
    if (indexLockHeld) removeFile(indexLock);
  }
}

interface BuiltCommits {
  index: IndexFile;
  /** The branch's commit the index was read against. */
  parent: string;
  /** Each file's commit id; undefined for a file committed already as it is. */
  ids: Array<string | undefined>;
  /** The commits made, oldest first, with their subjects (for the reflog). */
  made: Array<{ id: string; subject: string }>;
}

/** Reads the index (its lock held) and writes the blobs, trees and commits, not yet synced; undefined where git must do it. */
function buildCommits(
  repo: GitRepo,
  objects: GitObjects,
  branch: string,
  commits: FileCommit[],
  relatives: string[],
  settings: Map<string, string>,
  who: { author: string; committer: string },
): BuiltCommits | undefined {
  const head = refValue(commonDir(repo), branch);
  const bytes = readBytes(path.join(repo.gitDir, "index"));
  const index = bytes && IndexFile.parse(bytes, objects.codecs);
  if (head === undefined || index === undefined) return undefined;
  if (index.heldTree(objects) !== treeOfCommit(objects, head)) return undefined;
  const ids: Array<string | undefined> = [];
  const made: Array<{ id: string; subject: string }> = [];
  const ruleFiles = new RuleFiles();
  let parent = head;
  for (const [position, commit] of commits.entries()) {
    const relative = relatives[position];
    let stat: fs.BigIntStats;
    try {
      stat = fs.lstatSync(commit.file, { bigint: true });
    } catch {
      return undefined;
    }
    const staged = index.blobOf(relative);
    const tracked = staged !== undefined;
    if (!stat.isFile() || (stat.mode & 0o111n) !== 0n || (!tracked && index.conflicts(relative))) return undefined;
    if (!tracked && ignoredByGit(repo, relative, settings, ruleFiles) !== false) return undefined;
    if (mayConvertOnAdd(repo, relative, settings, (held) => index.blobOf(held) !== undefined, ruleFiles)) {
      return undefined;
    }
    const blob = objects.write("blob", fs.readFileSync(commit.file));
    if (staged === blob) {
      ids.push(undefined);
      continue;
    }
    index.stage(relative, blob, stat);
    const tree = index.writeTrees(new Set(directoriesOf(relative)), objects);
    const message = cleanMessage(commit.message);
    const body = `tree ${tree}\nparent ${parent}\nauthor ${who.author}\ncommitter ${who.committer}\n\n${message}`;
    parent = objects.write("commit", Buffer.from(body));
    ids.push(parent);
    made.push({ id: parent, subject: message.split("\n", 1)[0] });
  }
  // The next commit reads its parent's tree from it: HEAD's commit stays loose when the rest goes into a pack.
  objects.keepLoose(parent);
  return { index, parent: head, ids, made };
}

function readBytes(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * The branch's ref on its way from `from` to `to`, as git's ref update makes
 * it: `lock` takes `HEAD.lock` and `<ref>.lock` and writes `to` into the
 * latter, only if the branch is still at `from` (undefined otherwise, or when
 * a lock is held, having changed nothing); the caller fsyncs `fd`; `move`
 * renames it over the ref (the commit point) and appends the reflog lines;
 * `release`, always, removes what locks are left.
 */
class BranchUpdate {
  private refLockHeld = true;
  private headLockHeld = true;
  private fdOpen = true;

  private constructor(
    private readonly refFile: string,
    private readonly headLock: string,
    readonly fd: number,
    private readonly repo: GitRepo,
    private readonly branch: string,
    private readonly from: string,
  ) {}

  /** The directory the ref's rename goes into, for the caller to fsync. */
  get directory(): string {
    return path.dirname(this.refFile);
  }

  static lock(repo: GitRepo, branch: string, from: string, to: string): BranchUpdate | undefined {
    const common = commonDir(repo);
    const refFile = path.join(common, ...branch.split("/"));
    const headLock = path.join(repo.gitDir, "HEAD.lock");
    if (!takeLock(headLock)) return undefined;
    makeDirectory(path.dirname(refFile), { recursive: true });
    if (!takeLock(`${refFile}.lock`)) {
      removeFile(headLock);
      return undefined;
    }
    const fd = openForWriting(`${refFile}.lock`, "w");
    const update = new BranchUpdate(refFile, headLock, fd, repo, branch, from);
    if (refValue(common, branch) !== from) {
      update.release();
      return undefined;
    }
    writeToFile(fd, `${to}\n`);
    return update;
  }

  move(made: Array<{ id: string; subject: string }>, committer: string, settings: Map<string, string>): void {
    this.closeFd();
    renamePath(`${this.refFile}.lock`, this.refFile);
    this.refLockHeld = false;
    const create = settings.get("core.logallrefupdates")?.toLowerCase() !== "false";
    let previous = this.from;
    const lines = made
      .map(({ id, subject }) => {
        const line = `${previous} ${id} ${committer}\tcommit: ${subject}\n`;
        previous = id;
        return line;
      })
      .join("");
    appendReflog(path.join(commonDir(this.repo), "logs", ...this.branch.split("/")), lines, create);
    appendReflog(path.join(this.repo.gitDir, "logs", "HEAD"), lines, create);
  }

  release(): void {
    this.closeFd();
    if (this.refLockHeld) removeFile(`${this.refFile}.lock`);
    this.refLockHeld = false;
    if (this.headLockHeld) removeFile(this.headLock);
    this.headLockHeld = false;
  }

  private closeFd(): void {
    if (this.fdOpen) closeFile(this.fd);
    this.fdOpen = false;
  }
}
