/**
 * lore's commit without git (src/git/direct-commit.ts) against git itself:
 * two repositories in the same state, one committed by lore writing the
 * objects, index and ref, the other by `git add` + `git commit --only`, with
 * the same identity and time, must end with the same commit ids, the same
 * index entries, a clean status and a clean `git fsck`. Where lore cannot be
 * sure (the user staged something, a commit hook, HEAD packed or detached),
 * it must change nothing and leave the commit to git.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { commitEachInOneProcess } from "../src/git/batch-commit.js";
import { stagePaths } from "../src/git/commit.js";
import { commitWithoutGit } from "../src/git/direct-commit.js";
import type { CommitOptions } from "../src/git/commit-request.js";
import { configureGitIdentity, git, tempDir } from "./support/journal.js";

const OPTIONS: CommitOptions = {
  deadline: Number.POSITIVE_INFINITY,
  staleMs: 10_000,
  assertHeld: () => undefined,
  hooksDir: undefined,
};

const FIXED_DATES = { GIT_AUTHOR_DATE: "1796300000 +0000", GIT_COMMITTER_DATE: "1796300000 +0000" };
let savedEnv: NodeJS.ProcessEnv;

beforeEach(() => {
  savedEnv = { ...process.env };
  Object.assign(process.env, FIXED_DATES);
});

afterEach(() => {
  process.env = savedEnv;
});

/** A repository with some history: files at the root, in a directory and in a nested one. */
function repository(): string {
  const dir = tempDir("lore-direct-");
  git(dir, ["init", "-q", "-b", "main"]);
  configureGitIdentity(dir);
  fs.mkdirSync(path.join(dir, "memory", "failures"), { recursive: true });
  fs.mkdirSync(path.join(dir, "memory", "heuristics"), { recursive: true });
  fs.mkdirSync(path.join(dir, "other", "deep"), { recursive: true });
  fs.writeFileSync(path.join(dir, "README.md"), "journal\n");
  fs.writeFileSync(path.join(dir, "memory", "failures", "a.md"), "# a\n");
  fs.writeFileSync(path.join(dir, "memory", "heuristics", "h.md"), "# h\n");
  fs.writeFileSync(path.join(dir, "memory", "failures-notes"), "sorts between failures and failures/\n");
  fs.writeFileSync(path.join(dir, "other", "deep", "x.txt"), "x\n");
  git(dir, ["add", "."]);
  git(dir, ["commit", "-q", "-m", "start"]);
  return dir;
}

function twin(dir: string): string {
  const copy = tempDir("lore-direct-twin-");
  fs.cpSync(dir, copy, { recursive: true });
  return copy;
}

const repo = (dir: string) => ({ root: dir, gitDir: path.join(dir, ".git") });

function write(dir: string, relative: string, text: string): string {
  const file = path.join(dir, ...relative.split("/"));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

function gitCommits(dir: string, files: Array<{ relative: string; message: string }>): void {
  for (const { relative, message } of files) {
    git(dir, ["add", "--", relative]);
    git(dir, ["commit", "-q", "--only", "-m", message, "--", relative]);
  }
}

function state(dir: string) {
  return {
    head: git(dir, ["rev-parse", "HEAD"]).trim(),
    log: git(dir, ["log", "--format=%H %T %s", "--name-status"]),
    staged: git(dir, ["ls-files", "-s"]),
    status: git(dir, ["status", "--porcelain"]),
  };
}

describe("a commit without git", () => {
  it("makes the commits, index and reflog git makes, one file each", async () => {
    const ours = repository();
    const theirs = twin(ours);
    const files = [
      { relative: "memory/failures/b.md", message: "failure: b\n\nDomain: x" },
      { relative: "memory/failures/a.md", message: "failure: a again" },
      { relative: "memory/new-dir/c.md", message: "observation: c  \n\n\n" },
      // Past one stored zlib block (65,535 bytes), and past what is stored rather than deflated (64 KiB).
      { relative: "memory/failures/two-blocks.md", message: "two stored blocks" },
      { relative: "memory/failures/deflated.md", message: "deflated" },
    ];
    const texts = ["# b\n", "# a, changed\n", "# c\n", "x".repeat(65_536), "y\n".repeat(60_000)];
    for (const dir of [ours, theirs]) {
      for (const [i, { relative }] of files.entries()) write(dir, relative, texts[i]);
    }
    const ids = await commitWithoutGit(
      repo(ours),
      files.map(({ relative, message }) => ({ file: path.join(ours, ...relative.split("/")), message })),
      OPTIONS,
    );
    gitCommits(theirs, files);
    expect(ids).toHaveLength(5);
    expect(ids?.[4]).toBe(state(theirs).head);
    expect(state(ours)).toEqual(state(theirs));
    expect(state(ours).status).toBe("");
    expect(git(ours, ["fsck", "--strict", "--no-dangling"])).toBe("");
    expect(git(ours, ["diff-index", "--cached", "HEAD"])).toBe("");
    // Five commits' objects go into one pack, as git fast-import leaves a group; HEAD's commit is loose too.
    expect(git(ours, ["count-objects", "-v"])).toMatch(/^packs: 1$/m);
    const head = ids?.[4] ?? "";
    expect(fs.existsSync(path.join(ours, ".git", "objects", head.slice(0, 2), head.slice(2)))).toBe(true);
    expect(git(ours, ["reflog", "--format=%gs", "-5"]).trim().split("\n")).toEqual([
      "commit: deflated",
      "commit: two stored blocks",
      "commit: observation: c",
      "commit: failure: a again",
      "commit: failure: b",
    ]);
    // The index lore wrote is one git reads as its own: the next git commit builds on it.
    write(ours, "README.md", "changed\n");
    git(ours, ["commit", "-q", "-am", "by git"]);
    expect(git(ours, ["show", "--name-only", "--format=", "HEAD"]).trim()).toBe("README.md");
  });

  it("gives no commit for a file committed as it is, and writes nothing", async () => {
    const dir = repository();
    const before = state(dir);
    const ids = await commitWithoutGit(
      repo(dir),
      [{ file: path.join(dir, "memory", "failures", "a.md"), message: "again" }],
      OPTIONS,
    );
    expect(ids).toEqual([undefined]);
    expect(state(dir)).toEqual(before);
  });

  it("leaves the commit to git when the user has staged something", async () => {
    const dir = repository();
    write(dir, "staged.txt", "the user's\n");
    git(dir, ["add", "staged.txt"]);
    const index = fs.readFileSync(path.join(dir, ".git", "index"));
    const before = state(dir);
    const file = write(dir, "memory/failures/b.md", "# b\n");
    expect(await commitWithoutGit(repo(dir), [{ file, message: "b" }], OPTIONS)).toBeUndefined();
    expect(state(dir)).toEqual({ ...before, status: `${before.status}?? memory/failures/b.md\n` });
    expect(fs.readFileSync(path.join(dir, ".git", "index")).equals(index)).toBe(true);
    expect(fs.existsSync(path.join(dir, ".git", "index.lock"))).toBe(false);
  });

  it.each([
    ["a commit hook is installed", (dir: string) => write(dir, ".git/hooks/post-commit", "#!/bin/sh\n")],
    ["HEAD's commit is packed", (dir: string) => git(dir, ["gc", "-q"])],
    ["HEAD is detached", (dir: string) => git(dir, ["checkout", "-q", "--detach"])],
    ["commits are signed", (dir: string) => git(dir, ["config", "commit.gpgSign", "true"])],
    ["the index is version 4", (dir: string) => git(dir, ["update-index", "--index-version", "4"])],
  ])("leaves the commit to git when %s", async (_, arrange) => {
    const dir = repository();
    arrange(dir);
    if (fs.existsSync(path.join(dir, ".git/hooks/post-commit")))
      fs.chmodSync(path.join(dir, ".git/hooks/post-commit"), 0o755);
    const before = state(dir);
    const file = write(dir, "memory/failures/b.md", "# b\n");
    expect(await commitWithoutGit(repo(dir), [{ file, message: "b" }], OPTIONS)).toBeUndefined();
    expect(git(dir, ["rev-parse", "HEAD"]).trim()).toBe(before.head);
    expect(git(dir, ["ls-files", "-s"])).toBe(before.staged);
  });

  it("commits again after git made the last commit, once git's cache tree holds HEAD's tree", async () => {
    const dir = repository();
    const theirs = twin(dir);
    const first = write(dir, "memory/failures/b.md", "# b\n");
    write(theirs, "memory/failures/b.md", "# b\n");
    gitCommits(dir, [{ relative: "memory/failures/b.md", message: "by git" }]);
    gitCommits(theirs, [{ relative: "memory/failures/b.md", message: "by git" }]);
    const second = write(dir, "memory/failures/c.md", "# c\n");
    write(theirs, "memory/failures/c.md", "# c\n");
    const ids = await commitWithoutGit(repo(dir), [{ file: second, message: "by lore" }], OPTIONS);
    gitCommits(theirs, [{ relative: "memory/failures/c.md", message: "by lore" }]);
    expect(ids).toEqual([state(theirs).head]);
    // A lone commit's few objects are loose, as git writes them.
    expect(git(dir, ["count-objects", "-v"])).toMatch(/^packs: 0$/m);
    expect(state(dir)).toEqual(state(theirs));
    expect(fs.existsSync(first)).toBe(true);
  });

  it("commits after a group that git fast-imported, whose `git add` left the cache tree unsaid", async () => {
    const dir = repository();
    const grouped = ["memory/failures/b.md", "memory/heuristics/g.md"].map((relative) => write(dir, relative, "# g\n"));
    const options = { ...OPTIONS, staysUp: false };
    await stagePaths(repo(dir), grouped, options);
    const imported = await commitEachInOneProcess(
      repo(dir),
      grouped.map((file) => ({ file, message: `group ${path.basename(file)}` })),
      options,
    );
    expect(imported).toHaveLength(2);
    const file = write(dir, "memory/failures/c.md", "# c\n");
    const ids = await commitWithoutGit(repo(dir), [{ file, message: "by lore" }], OPTIONS);
    expect(ids).toEqual([git(dir, ["rev-parse", "HEAD"]).trim()]);
    expect(git(dir, ["rev-parse", "HEAD^"]).trim()).toBe(imported?.[1]);
    expect(git(dir, ["show", "--name-only", "--format=", "HEAD"]).trim()).toBe("memory/failures/c.md");
    expect(state(dir).status).toBe("");
    expect(git(dir, ["diff-index", "--cached", "HEAD"])).toBe("");
    expect(git(dir, ["fsck", "--strict", "--no-dangling"])).toBe("");
    // The cache tree lore wrote is whole again: git's next commit of an untouched index has HEAD's tree.
    expect(git(dir, ["write-tree"]).trim()).toBe(git(dir, ["rev-parse", "HEAD^{tree}"]).trim());
  });

  it("leaves the commit to git when the user staged something and the cache tree is unsaid", async () => {
    const dir = repository();
    write(dir, "staged.txt", "the user's\n");
    git(dir, ["add", "staged.txt"]);
    const index = fs.readFileSync(path.join(dir, ".git", "index"));
    const file = write(dir, "memory/failures/b.md", "# b\n");
    expect(await commitWithoutGit(repo(dir), [{ file, message: "b" }], OPTIONS)).toBeUndefined();
    expect(fs.readFileSync(path.join(dir, ".git", "index")).equals(index)).toBe(true);
    expect(fs.readdirSync(path.join(dir, ".git", "objects")).filter((name) => name.includes("tmp"))).toEqual([]);
  });
});
