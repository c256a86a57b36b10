// What makes a record start and commit faster, and why it is safe:
// - bin/run.js compiles dist/lore.js (and dist/read-commands.js, for a query,
//   and the on-demand dist/sync-and-hooks.js and dist/claude-code.js) with
//   the V8 code cache made by the build (scripts/train-code-cache.cjs),
//   and only with the cache made for that very bundle; a cache for another
//   bundle, or one V8 refuses, leaves lore working.
// - git commit is started beside git add and waits for its paths on stdin
//   (src/git/commit.ts); one that never gets them must change nothing.
// - The build keeps Node modules that a record has no use for out of it
//   (scripts/build.mjs): each costs every record about a millisecond.
// Real child processes, real git repositories in temp dirs.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, recordFailure, runNode } from "./support/lore.js";
import { configureGitIdentity, createJournal, git, invariantViolations, tempDir } from "./support/journal.js";
import { startGit } from "../src/git/git-process.js";

/** Loads a bundle (dist/<name>.js) through `<root>/bin/run.js` in a child and reports how its code cache fared. */
async function loadReport(
  root: string,
  name = "lore",
): Promise<{ buildId: string | undefined; cacheUsed: boolean; cacheRejected: boolean | undefined }> {
  const script = `
    const { loadBundle } = require(${JSON.stringify(path.join(root, "bin", "run.js"))});
    const { script, buildId, exports } = loadBundle(${JSON.stringify(name)});
    if (!Object.values(exports).some((value) => typeof value === "function")) throw new Error("it exports nothing");
    process.stdout.write(JSON.stringify({ buildId, cacheUsed: script.cachedDataRejected !== undefined, cacheRejected: script.cachedDataRejected }));
  `;
  const result = await runNode(["-e", script], { cwd: root });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

/** A copy of lore's bin/ and dist/ in a temp dir, sharing node_modules, so that its cache can be spoiled. */
function copyOfLore(): string {
  const root = tempDir("lore-copy-");
  for (const dir of ["bin", "dist"]) fs.cpSync(path.join(REPO_ROOT, dir), path.join(root, dir), { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, "package.json"), path.join(root, "package.json"));
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(root, "node_modules"), "dir");
  return root;
}

async function recordsWith(root: string): Promise<void> {
  const dir = await createJournal();
  const result = await runNode(
    [path.join(root, "bin", "record-failure.js"), "--title", "Cache check", "--domain", "build"],
    { cwd: dir },
  );
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  expect(invariantViolations(dir)).toEqual([]);
}

describe("the bundle's code cache", () => {
  it.each(["lore", "read-commands", "sync-and-hooks", "claude-code"])(
    "is made by the build for dist/%s.js, and V8 accepts it",
    async (name) => {
      const cache = fs.readFileSync(path.join(REPO_ROOT, "dist", `${name}.v8cache`));
      const firstLine = fs.readFileSync(path.join(REPO_ROOT, "dist", `${name}.js`), "utf8").split("\n")[0];
      expect(firstLine).toMatch(/^\/\/lore-build [0-9a-f]{16}$/);
      const report = await loadReport(REPO_ROOT, name);
      expect(cache.toString("latin1", 0, 17)).toBe(`${report.buildId}\n`);
      expect(report).toMatchObject({ cacheUsed: true, cacheRejected: false });
    },
  );

  it("made for another bundle is not used, and lore works without it", async () => {
    const root = copyOfLore();
    const cacheFile = path.join(root, "dist", "lore.v8cache");
    const cache = fs.readFileSync(cacheFile);
    fs.writeFileSync(cacheFile, Buffer.concat([Buffer.from("0123456789abcdef\n", "latin1"), cache.subarray(17)]));
    expect(await loadReport(root)).toMatchObject({ cacheUsed: false });
    await recordsWith(root);
  });

  it("that V8 refuses (damaged) is compiled around, and lore works", async () => {
    const root = copyOfLore();
    const cacheFile = path.join(root, "dist", "lore.v8cache");
    const cache = fs.readFileSync(cacheFile);
    fs.writeFileSync(cacheFile, Buffer.concat([cache.subarray(0, 17), Buffer.alloc(cache.length - 17, 0x5a)]));
    expect(await loadReport(root)).toMatchObject({ cacheUsed: true, cacheRejected: true });
    await recordsWith(root);
  });

  it("missing: lore works", async () => {
    const root = copyOfLore();
    fs.rmSync(path.join(root, "dist", "lore.v8cache"));
    expect(await loadReport(root)).toMatchObject({ cacheUsed: false });
    await recordsWith(root);
  });
});

describe("a git commit started to wait for its paths", () => {
  it("changes nothing when its input ends without them: the user's staged change stays staged, no lock is left", async () => {
    const dir = tempDir("lore-started-commit-");
    git(dir, ["init", "-q"]);
    configureGitIdentity(dir);
    fs.writeFileSync(path.join(dir, "first.txt"), "first\n");
    git(dir, ["add", "first.txt"]);
    git(dir, ["commit", "-q", "-m", "first"]);
    fs.writeFileSync(path.join(dir, "staged.txt"), "the user's\n");
    git(dir, ["add", "staged.txt"]);
    const headBefore = git(dir, ["rev-parse", "HEAD"]);

    const started = startGit(
      dir,
      ["commit", "--only", "--no-status", "--message", "lore", "--pathspec-from-file=-", "--pathspec-file-nul"],
      {
        stdin: true,
      },
    );
    started.close();
    const error = await started.result.then(
      () => undefined,
      (failure: unknown) => failure,
    );

    expect(error).toMatchObject({ gitStatus: 128 });
    expect(String((error as Error).message)).toMatch(/No paths with --include\/--only/);
    expect(git(dir, ["rev-parse", "HEAD"])).toBe(headBefore);
    expect(git(dir, ["diff", "--cached", "--name-only"]).trim()).toBe("staged.txt");
    expect(fs.readdirSync(path.join(dir, ".git")).filter((name) => name.endsWith(".lock"))).toEqual([]);
  });

  it("commits only the record when given its paths, after the add", async () => {
    const dir = await createJournal();
    fs.writeFileSync(path.join(dir, "staged.txt"), "the user's\n");
    git(dir, ["add", "staged.txt"]);
    const result = await recordFailure(dir, { title: "Started commit", domain: "git" });
    expect(result.code).toBe(0);
    expect(git(dir, ["show", "--name-only", "--format=%s", "HEAD"]).trim().split("\n")).toEqual([
      "failure: Started commit",
      "",
      expect.stringMatching(/^memory\/failures\/\d{8}_started-commit\.md$/),
    ]);
    expect(git(dir, ["diff", "--cached", "--name-only"]).trim()).toBe("staged.txt");
  });
});

/**
 * A script for `node --require` that writes, at exit, to the returned file:
 * the Node modules loaded after it (what lore loaded) and the files required.
 */
function moduleReporter(): { preload: string; loaded: () => { modules: string[]; files: string[] } } {
  const report = path.join(tempDir("lore-modules-"), "modules.json");
  const preload = path.join(path.dirname(report), "report-modules.cjs");
  fs.writeFileSync(
    preload,
    `const atStart = new Set(process.moduleLoadList);
process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(report)}, JSON.stringify({ modules: process.moduleLoadList.filter((entry) => !atStart.has(entry)), files: Object.keys(require.cache) })));\n`,
  );
  return {
    preload,
    loaded: () => {
      const { modules, files } = JSON.parse(fs.readFileSync(report, "utf8")) as { modules: string[]; files: string[] };
      return { modules: modules.map((entry) => entry.replace(/^NativeModule /, "")), files };
    },
  };
}

describe("a query's start-up", () => {
  it("loads the read commands' bundle alone: not dist/lore.js, not git's child_process, no stream", async () => {
    const dir = await createJournal();
    const reporter = moduleReporter();
    for (const args of [["query", "--domain", "x", "--format", "json"], ["query", "--context"], ["context"]]) {
      const result = await runNode(["--require", reporter.preload, path.join(REPO_ROOT, "bin", "lore.js"), ...args], {
        cwd: dir,
      });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const { modules, files } = reporter.loaded();
      expect(files.map((file) => path.relative(REPO_ROOT, file))).toContain(path.join("dist", "read-commands.js"));
      expect(files.map((file) => path.relative(REPO_ROOT, file))).not.toContain(path.join("dist", "lore.js"));
      // Nor Node's streams: the answer is written with fs.writeSync, and process.stdout is never made.
      for (const kept of ["child_process", "crypto", "readline", "net", "stream"])
        expect(modules, kept).not.toContain(kept);
    }
  });
});

describe("a record's start-up", () => {
  it.each([
    [
      "committed by git (LORE_COMMIT_WITHOUT_GIT=never): neither crypto nor zlib",
      [] as string[],
      { LORE_COMMIT_WITHOUT_GIT: "never" },
    ],
    ["committed without git after a commit of its own: crypto for the commit's hashes, no zlib", [] as string[], {}],
    ["not committed: neither crypto nor zlib", ["--no-commit"], {}],
  ])("loads none of the Node modules the build keeps out, and still records: %s", async (_, extra, env) => {
    const dir = await createJournal();
    const committed = extra.length === 0;
    const withoutGit = committed && !("LORE_COMMIT_WITHOUT_GIT" in env);
    // HEAD's commit is git's (compressed) until a first record writes one of its own (stored: object-codecs.ts).
    if (withoutGit) expect((await recordFailure(dir, { title: "First", domain: "build" }, env)).code).toBe(0);
    // Compared with what Node had loaded before lore's first line: the modules lore loaded.
    const reporter = moduleReporter();
    const result = await runNode(
      [
        "--require",
        reporter.preload,
        path.join(REPO_ROOT, "bin", "record-failure.js"),
        "--title",
        "Lean start",
        "--domain",
        "build",
        ...extra,
      ],
      { cwd: dir, env },
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(invariantViolations(dir, { git: committed })).toEqual([]);
    const loaded = reporter.loaded().modules;
    expect(loaded).toContain("child_process");
    // On Node 22+ bin/run.js loads node:module itself, on purpose: Node's own
    // compile cache (see there). The Node 20 run checks that the bundle does not.
    const nodeMajor = Number(process.versions.node.split(".")[0]);
    const keptOut = ["module", "assert", "worker_threads", "internal/fs/rimraf", "readline", "zlib"].filter(
      (name) => name !== "module" || nodeMajor < 22,
    );
    for (const kept of keptOut) {
      expect(loaded, kept).not.toContain(kept);
    }
    if (withoutGit) expect(loaded).toContain("crypto");
    else expect(loaded).not.toContain("crypto");
  });
});

describe("a sync's start-up", () => {
  it("loads no crypto when nothing changed", async () => {
    const dir = await createJournal();
    expect((await recordFailure(dir, { title: "Synced", domain: "build" })).code).toBe(0);
    // The first sync after a commit hashes git's listing of the record files; the next finds the index unchanged.
    expect((await runNode([path.join(REPO_ROOT, "bin", "lore.js"), "sync"], { cwd: dir })).code).toBe(0);
    const reporter = moduleReporter();
    const result = await runNode(["--require", reporter.preload, path.join(REPO_ROOT, "bin", "lore.js"), "sync"], {
      cwd: dir,
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const { modules, files } = reporter.loaded();
    expect(modules).not.toContain("crypto");
    expect(files).toContain(path.join(REPO_ROOT, "dist", "sync-and-hooks.js"));
  });
});
