// Makes dist/<name>.v8cache for the bundles bin/run.js compiles (dist/lore.js,
// dist/read-commands.js, and the on-demand dist/sync-and-hooks.js and
// dist/claude-code.js): the V8 code caches it compiles them with (run by
// scripts/build.mjs after each build).
//
// It loads each bundle the way bin/run.js does and runs, against a throw-away
// git journal, the commands that start it: for dist/lore.js those a record
// runs (a failure, a heuristic in a new domain and one in an existing domain,
// with and without --json); for dist/read-commands.js the usual queries (a
// domain as JSON, --context, --recent, --stats, a briefing for a task as text
// and as JSON) and searches (as text and as JSON); for dist/sync-and-hooks.js
// `lore sync` and `lore sync --fix`; for dist/claude-code.js `lore claude
// status`. It then saves the bytecode of every function of that bundle
// compiled so far. A cache starts with its bundle's build id, so that it is
// never used with another bundle. Any failure exits non-zero and writes no
// cache.
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { loadBundle, codeCacheFile } = require("../bin/run.js");

const BUNDLES = ["lore", "read-commands", "sync-and-hooks", "claude-code"];

/** Runs each command line in `runs` through bundle `name` (loaded once, as bin/run.js loads it). */
async function runThrough(name, runs) {
  const { exports } = loadBundle(name);
  for (const args of runs) {
    const code = await exports.runCli(args);
    if (code !== 0) throw new Error(`lore ${args.join(" ")} exited with ${code}`);
  }
}

/** Saves the code cache of bundle `name`, loaded and run before: every function compiled so far. */
function saveCodeCache(name) {
  const { script, buildId } = loadBundle(name);
  if (buildId === undefined) throw new Error(`dist/${name}.js has no build id`);
  fs.writeFileSync(
    codeCacheFile(name),
    Buffer.concat([Buffer.from(`${buildId}\n`, "latin1"), script.createCachedData()]),
  );
}

async function train() {
  for (const name of BUNDLES) fs.rmSync(codeCacheFile(name), { force: true });
  const journal = fs.mkdtempSync(path.join(os.tmpdir(), "lore-code-cache-"));
  try {
    execFileSync(process.execPath, [path.join(__dirname, "..", "bin", "lore.js"), "init", "--git", journal], {
      stdio: "ignore",
    });
    Object.assign(process.env, {
      GIT_AUTHOR_NAME: "lore build",
      GIT_AUTHOR_EMAIL: "lore-build@localhost",
      GIT_COMMITTER_NAME: "lore build",
      GIT_COMMITTER_EMAIL: "lore-build@localhost",
    });
    const base = ["--base", journal];
    await runThrough("lore", [
      ["record-failure", ...base, "--title", "Code cache", "--domain", "build", "--summary", "training run"],
      ["record-failure", ...base, "--title", "Code cache", "--domain", "build", "--severity", "high", "--json"],
      ["record-heuristic", ...base, "--domain", "build", "--rule", "Train the cache", "--json"],
      ["record-heuristic", ...base, "--domain", "build", "--rule", "Train it again", "--confidence", "high"],
    ]);
    // Before the on-demand bundles run: the cache of dist/lore.js holds what a record compiles.
    saveCodeCache("lore");
    await runThrough("lore", [
      ["sync", ...base],
      ["sync", "--fix", ...base],
    ]);
    saveCodeCache("sync-and-hooks");
    await runThrough("lore", [["claude", "status", "--json"]]);
    saveCodeCache("claude-code");
    await runThrough("read-commands", [
      ["query", ...base, "--domain", "build", "--format", "json"],
      ["query", ...base, "--context", "--domain", "build", "--tags", "training"],
      ["query", ...base, "--recent", "5"],
      ["query", ...base, "--stats", "--format", "json"],
      ["context", ...base, "--task", "train the code cache", "--domain", "build"],
      ["context", ...base, "--task", "train it again", "--json"],
      ["search", ...base, "code", "cache"],
      ["search", ...base, "--json", "--type", "heuristic", "train*"],
    ]);
    saveCodeCache("read-commands");
  } finally {
    fs.rmSync(journal, { recursive: true, force: true });
  }
}

train().then(
  () => process.exit(0),
  (error) => {
    for (const name of BUNDLES) fs.rmSync(codeCacheFile(name), { force: true });
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  },
);
