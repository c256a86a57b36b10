// Makes dist/lore.v8cache and dist/read-commands.v8cache, the V8 code caches
// bin/run.js compiles those bundles with (run by scripts/build.mjs after each
// build).
//
// It loads each bundle the way bin/run.js does and runs, against a throw-away
// git journal, the commands that bundle starts: for dist/lore.js those a
// record runs (a failure, a heuristic in a new domain and one in an existing
// domain, with and without --json); for dist/read-commands.js the usual
// queries (a domain as JSON, --context, --recent, --stats, a briefing for a
// task as text and as JSON) and searches (as text and as JSON). It then saves the bytecode of every function
// compiled so far. A cache starts with its bundle's build id, so that it is
// never used with another bundle. Any failure exits non-zero and writes no
// cache.
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { loadBundle, codeCacheFile } = require("../bin/run.js");

const BUNDLES = ["lore", "read-commands"];

/** Loads bundle `name`, runs each command line in `runs`, and saves the bundle's code cache. */
async function trainBundle(name, runs) {
  const { exports, script, buildId } = loadBundle(name);
  if (buildId === undefined) throw new Error(`dist/${name}.js has no build id`);
  for (const args of runs) {
    const code = await exports.runCli(args);
    if (code !== 0) throw new Error(`lore ${args[0]} exited with ${code}`);
  }
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
    await trainBundle("lore", [
      ["record-failure", ...base, "--title", "Code cache", "--domain", "build", "--summary", "training run"],
      ["record-failure", ...base, "--title", "Code cache", "--domain", "build", "--severity", "high", "--json"],
      ["record-heuristic", ...base, "--domain", "build", "--rule", "Train the cache", "--json"],
      ["record-heuristic", ...base, "--domain", "build", "--rule", "Train it again", "--confidence", "high"],
    ]);
    await trainBundle("read-commands", [
      ["query", ...base, "--domain", "build", "--format", "json"],
      ["query", ...base, "--context", "--domain", "build", "--tags", "training"],
      ["query", ...base, "--recent", "5"],
      ["query", ...base, "--stats", "--format", "json"],
      ["context", ...base, "--task", "train the code cache", "--domain", "build"],
      ["context", ...base, "--task", "train it again", "--json"],
      ["search", ...base, "code", "cache"],
      ["search", ...base, "--json", "--type", "heuristic", "train*"],
    ]);
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
