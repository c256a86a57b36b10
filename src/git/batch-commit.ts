/**
 * Several commits in one git process: the records of a group
 * (txn/group-commit.ts) committed one after another by one `git fast-import`.
 *
 *   await stagePaths(repo, files, options);                   // git add, first
 *   const ids = await commitEachInOneProcess(repo, commits, options);
 *   if (ids === undefined) ...commit them one by one with commitPaths
 *
 * Each commit is what `git commit --only -m <message> -- <file>` would make:
 * one file as `git add` staged it (blob and mode, so clean filters and
 * line-ending conversion apply), on top of the one before, with its message
 * cleaned as git cleans `-m` and the configured identity. The branch moves
 * once, at the end, and only forward: if it moved meanwhile, fast-import
 * refuses and nothing is committed. The reflog reads `fast-import`; git's
 * automatic maintenance is the caller's to run.
 *
 * Returns undefined, having committed nothing, where a commit would do more
 * than fast-import does: HEAD detached or unborn, a commit hook that would
 * run, `commit.gpgSign`, no usable identity, or fast-import failing. A file
 * already committed as it is gets undefined in the result. Call only while
 * holding the journal lock, with the files staged. Errors: GitError,
 * GitLockTimeoutError, LockLostError, and an Error when fast-import committed
 * but printed no commit ids.
 * Design: docs/DESIGN.md#group-commit
 */
import path from "node:path";
import { commonDir, currentBranch, refValue, runGit, startGit, type GitRepo } from "./git-process.js";
import { waitForGitLocks } from "./git-locks.js";
import { cleanMessage, type CommitOptions, type FileCommit } from "./commit-request.js";
import { anyCommitHook, commitHooksDir, commitSettings, identities } from "./commit-settings.js";

/** A path for fast-import's `M` command: C-quoted when it needs to be. */
function quotedPath(relative: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what git C-quotes
  if (!/["\\\x00-\x1f\x7f]/.test(relative)) return relative;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: as above
  const escaped = relative.replace(/[\\"\x00-\x1f\x7f]/g, (char) => {
    const named: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t" };
    return named[char] ?? `\\${char.charCodeAt(0).toString(8).padStart(3, "0")}`;
  });
  return `"${escaped}"`;
}

function relativeToRoot(repo: GitRepo, file: string): string {
  return path.relative(repo.root, file).split(path.sep).join("/");
}

interface StagedBlob {
  mode: string;
  id: string;
}

/**
 * The staged files that differ from HEAD (the ones still to commit), with the
 * blob and mode `git add` staged: a commit then holds exactly what the index
 * does, after git's clean filters and line-ending conversion.
 */
async function stagedBlobs(repo: GitRepo, files: string[]): Promise<Map<string, StagedBlob>> {
  const { stdout } = await runGit(repo, ["diff-index", "--cached", "-z", "HEAD", "--", ...files]);
  const fields = stdout.split("\0");
  const staged = new Map<string, StagedBlob>();
  for (let index = 0; index + 1 < fields.length; index += 2) {
    const [, dstMode, , dstId, status] = fields[index].split(" ");
    if (status !== "D") staged.set(fields[index + 1], { mode: dstMode, id: dstId });
  }
  return staged;
}

export async function commitEachInOneProcess(
  repo: GitRepo,
  commits: FileCommit[],
  options: CommitOptions,
): Promise<Array<string | undefined> | undefined> {
  const branch = currentBranch(repo);
  // Unborn (a repository without a commit yet): its first commit is `git commit`'s, one record at a time.
  if (branch === undefined || refValue(commonDir(repo), branch) === undefined) return undefined;
  const settings = await commitSettings(repo);
  const who = settings && identities(settings);
  if (settings === undefined || who === undefined || anyCommitHook(commitHooksDir(repo, settings, options.hooksDir)))
    return undefined;
  const { author, committer } = who;
  const staged = await stagedBlobs(
    repo,
    commits.map((commit) => commit.file),
  );
  const stream: Buffer[] = [];
  // The fast-import mark of each commit's import, 1, 2, ...; none for a file already committed.
  const marks: Array<number | undefined> = [];
  let count = 0;
  for (const commit of commits) {
    const relative = relativeToRoot(repo, commit.file);
    const blob = staged.get(relative);
    if (blob === undefined) {
      marks.push(undefined);
      continue;
    }
    const mark = ++count;
    marks.push(mark);
    const message = Buffer.from(cleanMessage(commit.message));
    stream.push(
      Buffer.from(
        `commit ${branch}\nmark :${mark}\nauthor ${author}\ncommitter ${committer}\ndata ${message.length}\n`,
      ),
      message,
      Buffer.from(`${mark === 1 ? `from ${branch}^0\n` : ""}M ${blob.mode} ${blob.id} ${quotedPath(relative)}\n`),
    );
  }
  if (count === 0) return marks.map(() => undefined);
  for (let mark = 1; mark <= count; mark++) stream.push(Buffer.from(`get-mark :${mark}\n`));
  stream.push(Buffer.from("done\n"));
  await waitForGitLocks(repo, options.deadline, options.staleMs);
  options.assertHeld();
  const importing = startGit(repo, ["fast-import", "--quiet", "--done"], { stdin: true });
  importing.send(Buffer.concat(stream));
  let output: string;
  try {
    output = (await importing.result).stdout.toString("utf8");
  } catch {
    // Refused (the branch moved, a lock was taken) or failed: the branch did not move.
    return undefined;
  }
  const ids = output.trim().split("\n");
  if (ids.length !== count || !ids.every((id) => /^[0-9a-f]{40,64}$/.test(id))) {
    throw new Error(
      `git fast-import committed, but printed ${JSON.stringify(output.slice(0, 200))} for the commit ids`,
    );
  }
  return marks.map((mark) => (mark === undefined ? undefined : ids[mark - 1]));
}
