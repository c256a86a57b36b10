/**
 * Running git, shell-free.
 *
 * `commonDir(repo)`, `currentBranch(repo)` and `refValue(common, ref)` read
 * where the shared refs live, which branch HEAD names and the commit a ref
 * holds (none for a branch not born yet), from git's files.
 *
 * `findWorkTree(dir)` walks up from `dir` to the nearest `.git` (a directory,
 * or a file `gitdir: <path>` for linked work trees and submodules) without
 * spawning anything, and returns the work tree root and git directory.
 *
 * `runGit(repo, args)` runs `git -C <root> <args...>` with spawn: an argument
 * array, never a shell, never a command line built from strings. The
 * environment is the caller's minus the variables that would point git at
 * another repository or index (`GIT_DIR`, `GIT_INDEX_FILE`, ... which git sets
 * when it runs a hook), since lore names its repository explicitly, plus the
 * caller's `env` for this git alone. A non-zero
 * exit rejects with `GitError`, carrying git's stderr. `runGitRaw` is the same
 * with the output as bytes. `startGit` starts git without waiting for it,
 * optionally with a pipe to its standard input.
 *
 * Durable git: every git run here whose subcommand is not one known only to
 * read (READ_ONLY_SUBCOMMANDS: an unknown one counts as writing) gets
 * `-c core.fsync=all -c core.fsyncMethod=fsync`, so that the objects, packs
 * and pack indexes, the index and the refs it writes are fsynced before it
 * exits (git's default syncs no loose object, index or ref; the user's
 * configuration is left as it is: `-c` holds for that git alone, and for the
 * gits it starts). Once it exited 0, lore fsyncs what git leaves unsynced: the
 * index (`git commit --only` writes it without fsync; not a temporary
 * `GIT_INDEX_FILE`) and the directories its renames of the index and of the
 * branch's ref went into. Only then does the run resolve, so no caller can
 * acknowledge a commit the disk may not hold. A failed fsync rejects with
 * GitError. `LORE_GIT_FSYNC=off` leaves git as configured, only for measuring
 * what this costs (scripts/bench.mjs).
 * Design: docs/DESIGN.md#durable-git
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { readFileIfPresent } from "../io/durable-file.js";
import { noteGitProcess, syncDirectory, syncFileAt } from "../io/file-system.js";
import { ExitCode, LoreError } from "../base/errors.js";

export interface GitRepo {
  root: string;
  gitDir: string;
}

export class GitError extends LoreError {
  readonly exitCode = ExitCode.Failed;
  constructor(
    readonly args: string[],
    readonly gitStatus: number | null,
    readonly stderr: string,
    readonly stdout = "",
  ) {
    super(
      `git ${subcommandOf(args)} failed: ${stderr.trim().split("\n").slice(-3).join(" / ") || `exit ${gitStatus}`}`,
    );
  }
}

/** The git command in an argument list, past options such as `-c name=value`. */
function subcommandOf(args: string[]): string {
  for (let index = 0; index < args.length; index++) {
    if (args[index] === "-c" || args[index] === "-C") index++;
    else if (!args[index].startsWith("-")) return args[index];
  }
  return args[0] ?? "";
}

const REPOSITORY_VARIABLES = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_PREFIX",
  "GIT_COMMON_DIR",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
];

/** Subcommands lore runs that only read the repository; every other one is run durably. */
const READ_ONLY_SUBCOMMANDS = new Set([
  "cat-file",
  "check-ignore",
  "diff",
  "diff-index",
  "log",
  "ls-files",
  "ls-tree",
  "rev-list",
  "rev-parse",
  "show",
  "status",
  "var",
]);

const DURABLE_CONFIG = ["-c", "core.fsync=all", "-c", "core.fsyncMethod=fsync"];

export const durableGit = process.env.LORE_GIT_FSYNC !== "off";

/** Whether lore makes what this git writes durable before the run resolves. */
function writesDurably(args: string[]): boolean {
  return durableGit && !READ_ONLY_SUBCOMMANDS.has(subcommandOf(args));
}

/**
 * Staging commands, always followed by a commit that writes the index again
 * and is synced after: git fsyncs the objects they add (`core.fsync`), and
 * lore syncs nothing more after them.
 */
const STAGING_SUBCOMMANDS = new Set(["add"]);

/**
 * What a writing git leaves unsynced, synced: the index (unless it wrote a
 * temporary one), and the directory entries of its renames of the index and
 * of the branch's ref.
 */
function syncWhatGitLeft(repo: GitRepo, temporaryIndex: boolean): void {
  const index = path.join(repo.gitDir, "index");
  if (!temporaryIndex && fs.existsSync(index)) syncFileAt(index, "r");
  const common = commonDir(repo);
  const directories = new Set([repo.gitDir, common]);
  const branch = currentBranch(repo);
  if (branch) directories.add(path.dirname(path.join(common, ...branch.split("/"))));
  // The seam's own fsync, not fsyncDirectory: the named step `dir-fsync` is the record file's, not git's.
  for (const directory of directories) if (fs.existsSync(directory)) syncDirectory(directory);
}

function gitEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of REPOSITORY_VARIABLES) delete env[name];
  return env;
}

export function findWorkTree(start: string): GitRepo | undefined {
  let directory = path.resolve(start);
  for (;;) {
    const dotGit = path.join(directory, ".git");
    const stats = fs.statSync(dotGit, { throwIfNoEntry: false });
    if (stats?.isDirectory()) return { root: directory, gitDir: dotGit };
    if (stats?.isFile()) {
      const match = /^gitdir: (.+)$/m.exec(fs.readFileSync(dotGit, "utf8"));
      if (match) return { root: directory, gitDir: path.resolve(directory, match[1].trim()) };
    }
    const parent = path.dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

/** Where the shared refs, objects and hooks live: the common git directory of a linked work tree, else the git directory. */
export function commonDir(repo: GitRepo): string {
  const common = readFileIfPresent(path.join(repo.gitDir, "commondir"));
  return common === undefined ? repo.gitDir : path.resolve(repo.gitDir, common.trim());
}

/** The id a ref holds: its loose file, else its line in packed-refs; undefined when neither has it (a branch not born yet). */
export function refValue(common: string, ref: string): string | undefined {
  const loose = readFileIfPresent(path.join(common, ...ref.split("/")))?.trim();
  if (loose !== undefined) return /^[0-9a-f]{40}$/.test(loose) ? loose : undefined;
  const packed = readFileIfPresent(path.join(common, "packed-refs")) ?? "";
  return new RegExp(`^([0-9a-f]{40}) ${ref.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m").exec(packed)?.[1];
}

/** The branch HEAD names (`refs/heads/...`), read from the HEAD file; undefined when HEAD is detached or unreadable. */
export function currentBranch(repo: GitRepo): string | undefined {
  const head = readFileIfPresent(path.join(repo.gitDir, "HEAD"));
  const ref = head === undefined ? undefined : /^ref: (refs\/heads\/.+)$/m.exec(head)?.[1].trim();
  return ref && !ref.split("/").includes("..") ? ref : undefined;
}

export interface GitResult {
  stdout: string;
  stderr: string;
}

export interface RawGitResult {
  stdout: Buffer;
  stderr: string;
}

export interface GitRunOptions {
  /** false: git's standard output is discarded unread. */
  stdout?: boolean;
  /** Variables set for this git only (`GIT_INDEX_FILE` for a temporary index). */
  env?: Record<string, string>;
  /** Written to git's standard input (then closed): what would not fit in its arguments, such as many paths. */
  input?: string | Buffer;
}

/**
 * Runs git and collects its output. With `{ stdout: false }` git's standard
 * output is discarded unread, which spares Node a pipe (a socket) per run.
 */
export async function runGit(repo: GitRepo | string, args: string[], options: GitRunOptions = {}): Promise<GitResult> {
  const result = await runGitRaw(repo, args, options);
  return { stdout: result.stdout.toString("utf8"), stderr: result.stderr };
}

/** runGit with git's standard output as bytes (for large listings: hashed or split without decoding). */
export function runGitRaw(repo: GitRepo | string, args: string[], options: GitRunOptions = {}): Promise<RawGitResult> {
  if (options.input === undefined) return startGit(repo, args, options).result;
  const running = startGit(repo, args, { ...options, stdin: true });
  running.send(options.input);
  return running.result;
}

/** A git process that was started with `{ stdin: true }` and reads its standard input. */
export interface RunningGit {
  result: Promise<RawGitResult>;
  /** Writes `input` to git's standard input and closes it. */
  send(input: string | Buffer): void;
  /** Closes git's standard input with nothing written. */
  close(): void;
}

/**
 * Starts git and returns at once; `result` settles as runGitRaw's does. With
 * `{ stdin: true }` git's standard input is a pipe that the caller ends with
 * `send` or `close`; otherwise it is empty.
 */
export function startGit(
  repo: GitRepo | string,
  args: string[],
  options: GitRunOptions & { stdin?: boolean } = {},
): RunningGit {
  const cwd = typeof repo === "string" ? repo : repo.root;
  const durable = writesDurably(args);
  const child = spawn("git", [...(durable ? DURABLE_CONFIG : []), "-C", cwd, ...args], {
    env: { ...gitEnvironment(), ...options.env },
    stdio: [options.stdin ? "pipe" : "ignore", options.stdout === false ? "ignore" : "pipe", "pipe"],
    windowsHide: true,
  });
  noteGitProcess(child, () => (typeof repo === "string" ? findWorkTree(repo)?.gitDir : repo.gitDir));
  // git may exit before reading its input (a bad option, a missing repository): its error, not EPIPE, is the result.
  child.stdin?.on("error", () => {});
  const result = new Promise<RawGitResult>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", (error) => reject(new GitError(args, null, error.message)));
    child.on("close", (code) => {
      const stdout = Buffer.concat(chunks);
      if (code !== 0) {
        reject(new GitError(args, code, stderr || `exit ${code}`, stdout.toString("utf8")));
        return;
      }
      try {
        const written =
          durable &&
          !STAGING_SUBCOMMANDS.has(subcommandOf(args)) &&
          (typeof repo === "string" ? findWorkTree(repo) : repo);
        if (written) syncWhatGitLeft(written, options.env?.GIT_INDEX_FILE !== undefined);
      } catch (error) {
        reject(new GitError(args, code, `git's writes could not be made durable: ${(error as Error).message}`));
        return;
      }
      resolve({ stdout, stderr });
    });
  });
  return {
    result,
    send: (input) => child.stdin?.end(input),
    close: () => child.stdin?.end(),
  };
}
