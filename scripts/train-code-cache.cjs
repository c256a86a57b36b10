// Makes dist/lore.v8cache, the V8 code cache bin/run.js compiles the bundle
// with (run by scripts/build.mjs after each build).
//
// It loads dist/lore.js the way bin/run.js does, runs the commands a record
// runs (a failure, a heuristic in a new domain and one in an existing domain,
// with and without --json) against a throw-away git journal, and then saves
// the bytecode of every function compiled so far. The cache starts with the
// bundle's build id, so that it is never used with another bundle. Any failure
// exits non-zero and writes no cache.
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { loadBundle, CODE_CACHE } = require("../bin/run.js");

async function train() {
  fs.rmSync(CODE_CACHE, { force: true });
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
    const { lore, script, buildId } = loadBundle();
    if (buildId === undefined) throw new Error("dist/lore.js has no build id");
    const base = ["--base", journal];
    const runs = [
      ["record-failure", ...base, "--title", "Code cache", "--domain", "build", "--summary", "training run"],
      ["record-failure", ...base, "--title", "Code cache", "--domain", "build", "--severity", "high", "--json"],
      ["record-heuristic", ...base, "--domain", "build", "--rule", "Train the cache", "--json"],
      ["record-heuristic", ...base, "--domain", "build", "--rule", "Train it again", "--confidence", "high"],
    ];
    for (const args of runs) {
      const code = await lore.runCli(args);
      if (code !== 0) throw new Error(`lore ${args[0]} exited with ${code}`);
    }
    fs.writeFileSync(CODE_CACHE, Buffer.concat([Buffer.from(`${buildId}\n`, "latin1"), script.createCachedData()]));
  } finally {
    fs.rmSync(journal, { recursive: true, force: true });
  }
}

train().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  },
);
