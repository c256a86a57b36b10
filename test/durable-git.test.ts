// Durable git: every git process lore runs that writes makes what it wrote
// durable (fsync) before lore acknowledges, whatever the user's configuration
// says. git's default (core.fsync=committed,-loose-object) syncs no loose
// object, no index and no ref: after a power loss right after exit 0, the
// branch could point at an empty object.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { describe, expect, it } from "vitest";
import { createJournal, git, tempDir } from "./support/journal.js";
import { cleanEnv, recordFailure, REPO_ROOT, runLore } from "./support/lore.js";

function hasStrace(): boolean {
  try {
    execFileSync("strace", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const straceMissing = hasStrace() ? "" : "strace is not installed: the fsync calls of git cannot be traced";

interface TracedProcess {
  /** The program's arguments, from its execve line; undefined for a process that ran no program (a thread). */
  argv: string[] | undefined;
  fsyncs: number;
}

/** The processes of an `strace -ff -o <prefix>` run: one file per pid. */
function tracedProcesses(directory: string): TracedProcess[] {
  return fs.readdirSync(directory).map((name) => {
    const text = fs.readFileSync(path.join(directory, name), "utf8");
    const exec = /^execve\("[^"]*", \[(.*?)\]/m.exec(text);
    const argv = exec ? [...exec[1].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]) : undefined;
    const fsyncs = text.split("\n").filter((line) => /^(fsync|fdatasync|sync_file_range)\(.*= 0$/.test(line)).length;
    return { argv, fsyncs };
  });
}

/** git's subcommand in an argument list, past `-c name=value`, `-C dir` and other options. */
function subcommandOf(argv: string[]): string | undefined {
  for (let index = 1; index < argv.length; index++) {
    if (argv[index] === "-c" || argv[index] === "-C") index++;
    else if (!argv[index].startsWith("-")) return argv[index];
  }
  return undefined;
}

function isGit(process: TracedProcess): process is TracedProcess & { argv: string[] } {
  return process.argv !== undefined && path.basename(process.argv[0]) === "git";
}

const WRITING = new Set(["add", "commit", "fast-import", "read-tree", "update-index", "rm", "update-ref"]);

/** The argument lists of every git started while `run` ran, from git's trace2 event stream. */
async function gitArgvsOf(run: (env: Record<string, string>) => Promise<unknown>): Promise<string[][]> {
  const events = path.join(tempDir("lore-trace2-"), "events.json");
  await run({ GIT_TRACE2_EVENT: events });
  return fs
    .readFileSync(events, "utf8")
    .split("\n")
    .filter((line) => line.includes('"event":"start"'))
    .map((line) => (JSON.parse(line) as { argv: string[] }).argv);
}

function expectDurable(argvs: string[][]): void {
  const writers = argvs.filter((argv) => WRITING.has(subcommandOf(argv) ?? ""));
  expect(writers.length).toBeGreaterThan(0);
  for (const argv of writers) {
    expect(argv.join(" ")).toContain("-c core.fsync=all");
    expect(argv.join(" ")).toContain("-c core.fsyncMethod=fsync");
  }
}

/** A file the user staged: lore then leaves its commits to git (git/direct-commit.ts), whose runs are traced here. */
function stageFileOfTheUser(dir: string): void {
  fs.writeFileSync(path.join(dir, "staged-by-the-user.txt"), "not lore's\n");
  git(dir, ["add", "staged-by-the-user.txt"]);
}

/** strace's arguments to trace `calls` of `lore <args>` and every process it starts, one file per process in `traces`. */
function straceArgs(traces: string, calls: string, extra: string[], args: string[]): string[] {
  const lore = [process.execPath, path.join(REPO_ROOT, "bin", "lore.js"), ...args];
  return ["-f", "-ff", "-qq", ...extra, "-e", `trace=${calls}`, "-o", path.join(traces, "trace"), ...lore];
}

function straceRecord(
  dir: string,
  traces: string,
  calls: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): void {
  execFileSync(
    "strace",
    straceArgs(traces, calls, extra, ["record-failure", "--title", "traced", "--domain", "durability"]),
    {
      cwd: dir,
      env: { ...cleanEnv(), ...env },
      stdio: "ignore",
    },
  );
  expect(git(dir, ["log", "-1", "--format=%s"])).toMatch(/traced/);
}

/** Every thread's calls of an `strace -ff -ttt` run (the fsyncs run on libuv's pool), in the order of their times, the times dropped. */
function tracedLines(traces: string): string[] {
  return fs
    .readdirSync(traces)
    .flatMap((name) => fs.readFileSync(path.join(traces, name), "utf8").split("\n"))
    .map((line) => /^(\d+\.\d+) (.*)$/.exec(line))
    .filter((match) => match !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((match) => match[2]);
}

/** The renames in `gitDir` among traced `lines` (rename prints its paths, not descriptors), with their positions. */
function renamesIn(lines: string[], gitDir: string): Array<{ from: string; to: string; at: number }> {
  return lines.flatMap((line, at) => {
    const match = /^rename\("([^"]+)", "([^"]+)"\) = 0$/.exec(line);
    return match?.[1].startsWith(gitDir) ? [{ from: match[1], to: match[2], at }] : [];
  });
}

/**
 * Each of `files` (the new objects' renames) and the ref's and the index's
 * renames: the file fsynced before its rename, its directory after.
 */
function expectSyncedAroundRenames(
  lines: string[],
  gitDir: string,
  files: Array<{ from: string; to: string; at: number }>,
): void {
  const renames = renamesIn(lines, gitDir);
  const ref = renames.find(({ to }) => to.startsWith(path.join(gitDir, "refs", "heads")));
  const index = renames.find(({ to }) => to === path.join(gitDir, "index"));
  expect(ref && index).toBeTruthy();
  const synced = (file: string) => lines.findIndex((line) => line.startsWith("fsync(") && line.includes(`<${file}>`));
  for (const { from, to, at } of [...files, ref, index].filter((rename) => rename !== undefined)) {
    const fsync = synced(from);
    expect(fsync, `${from} fsynced`).toBeGreaterThanOrEqual(0);
    expect(fsync, `${from} fsynced before its rename`).toBeLessThan(at);
    const directory = lines.findIndex(
      (line, position) => position > at && line.startsWith("fsync(") && line.includes(`<${path.dirname(to)}>`),
    );
    expect(directory, `${path.dirname(to)} fsynced after the rename`).toBeGreaterThan(at);
  }
}

describe("durable git", () => {
  it.skipIf(straceMissing !== "")(
    "a record's git add and git commit fsync what they write, when git makes the commit (strace)",
    async () => {
      const dir = await createJournal({ git: true });
      stageFileOfTheUser(dir);
      const traces = tempDir("lore-strace-");
      straceRecord(dir, traces, "execve,fsync,fdatasync,sync_file_range");
      const gits = tracedProcesses(traces).filter(isGit);
      const fsyncsBy = (subcommand: string) =>
        gits.filter((process) => subcommandOf(process.argv) === subcommand).reduce((sum, p) => sum + p.fsyncs, 0);
      // git add: the blob and the index; git commit: the tree, the commit and the branch's ref.
      expect(fsyncsBy("add")).toBeGreaterThanOrEqual(2);
      expect(fsyncsBy("commit")).toBeGreaterThanOrEqual(3);
    },
  );

  it.skipIf(straceMissing !== "")(
    "a record committed without git fsyncs each object, the ref and the index before their renames, then their directories (strace)",
    async () => {
      const dir = await createJournal({ git: true });
      const traces = tempDir("lore-strace-");
      // A command line commits without git only past a large index, unless told to.
      straceRecord(dir, traces, "execve,fsync,rename", ["-y", "-ttt"], { LORE_COMMIT_WITHOUT_GIT: "always" });
      const lines = tracedLines(traces);
      expect(lines.some((line) => /^execve\(.*"(add|commit|fast-import)"/.test(line))).toBe(false);
      const gitDir = fs.realpathSync(path.join(dir, ".git"));
      const renames = renamesIn(lines, gitDir);
      const objects = renames.filter(({ from }) => path.basename(from).startsWith("tmp_obj_"));
      // The blob, a tree per directory of the path (memory/failures, memory, the root), the commit.
      expect(objects.length).toBeGreaterThanOrEqual(5);
      expect(renames.some(({ from }) => path.basename(from).startsWith("tmp_pack_"))).toBe(false);
      expectSyncedAroundRenames(lines, gitDir, objects);
      expect(git(dir, ["status", "--porcelain", "--", "memory"])).toBe("");
    },
  );

  it.skipIf(straceMissing !== "")(
    "a group committed without git fsyncs its pack and the pack's index before their renames, then objects/pack (strace)",
    async () => {
      const dir = await createJournal({ git: true });
      const traces = tempDir("lore-strace-");
      const transport = new StdioClientTransport({
        command: "strace",
        args: straceArgs(traces, "execve,fsync,rename", ["-y", "-ttt"], ["mcp", "--base", dir]),
        env: cleanEnv() as Record<string, string>,
        cwd: dir,
      });
      const client = new Client({ name: "lore-test", version: "1" });
      await client.connect(transport);
      // A first record, so that HEAD is born and the group's commits are lore's own.
      const record = (title: string) =>
        client.callTool({ name: "record_failure", arguments: { title, domain: "durability", summary: "traced" } });
      await record("first");
      // Calls read together are one session: one group, its commits' objects in one pack.
      const answers = await Promise.all(["a", "b", "c"].map((title) => record(`grouped ${title}`)));
      await client.close();
      expect(answers.every((answer) => !answer.isError)).toBe(true);
      const lines = tracedLines(traces);
      const gitDir = fs.realpathSync(path.join(dir, ".git"));
      const pack = renamesIn(lines, gitDir).filter(({ from }) => /^tmp_(pack|idx)_/.test(path.basename(from)));
      expect(pack.map(({ to }) => path.extname(to))).toEqual([".pack", ".idx"]);
      expectSyncedAroundRenames(lines, gitDir, pack);
      expect(git(dir, ["count-objects", "-v"])).toMatch(/^packs: 1$/m);
      expect(git(dir, ["fsck", "--strict", "--no-dangling"])).toBe("");
      expect(git(dir, ["status", "--porcelain", "--", "memory"])).toBe("");
    },
  );

  it("every writing git of a record, of a group commit and of init carries the fsync configuration", async () => {
    const dir = await createJournal({ git: true });
    stageFileOfTheUser(dir);
    expectDurable(
      await gitArgvsOf((env) => recordFailure(dir, { title: "one", domain: "durability" }, env).then(expectOk)),
    );
    // A group commit (git fast-import) and its git add.
    expectDurable(
      await gitArgvsOf((env) =>
        Promise.all(
          ["two", "three", "four"].map((title) =>
            recordFailure(dir, { title, domain: "durability" }, { ...env, LORE_HAND_OFF: "always" }).then(expectOk),
          ),
        ),
      ),
    );
    // init's commit of the database's removal: read-tree into a temporary index, rm --cached, commit.
    git(dir, ["add", "-f", "memory/index.db"]);
    git(dir, ["commit", "-q", "-m", "track the database"]);
    const argvs = await gitArgvsOf((env) => runLore(["init"], { cwd: dir, env }).then(expectOk));
    expect(argvs.map(subcommandOf)).toEqual(expect.arrayContaining(["read-tree", "rm", "commit"]));
    expectDurable(argvs);
  });
});

function expectOk(result: { code: number | null; stderr: string }): void {
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
}
