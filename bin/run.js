// Shared start of lore's executables: loads a CLI bundle, runs it with
// `prefix` before the user's arguments, and exits with its code.
//
// A record is a short-lived process, and compiling the bundle is a good part
// of its start-up, so the bundle is compiled with the V8 code cache that the
// build made for it (scripts/train-code-cache.cjs): the bytecode of every
// function a record runs. The cache is used only with the bundle it was made
// from: dist/<name>.js starts with a `//lore-build <id>` line and
// dist/<name>.v8cache with the same id. V8 itself refuses a cache from
// another Node version or other V8 flags; then, and when there is no cache,
// the bundle is compiled as usual.
//
// It exits as soon as the output is flushed instead of letting Node tear down:
// the teardown would close the SQLite connection, and closing the last
// connection checkpoints the WAL with fsyncs, about 5 ms on every record. WAL
// mode is made for a connection that goes away without that; SQLite's
// automatic checkpoint still folds the WAL in as it grows.
//
// The read commands (`lore query`, `lore context`, `lore search`) start from their own
// bundle, dist/read-commands.js (with its own code cache), without
// dist/lore.js: a query needs none of what a record loads (git, locks,
// durable files), and each query is a fresh process too
// (docs/DESIGN.md#on-demand-bundles).
//
// bin/ and dist/ are CommonJS (see scripts/build.mjs for why).
const fs = require("node:fs");
const path = require("node:path");

const Module = module.constructor;
const DIST = path.join(__dirname, "..", "dist");
/** The commands started from dist/read-commands.js; every other from dist/lore.js. */
const READ_COMMANDS = new Set(["query", "context", "search"]);

/** dist/<name>.v8cache, the code cache of dist/<name>.js. */
function codeCacheFile(name) {
  return path.join(DIST, `${name}.v8cache`);
}

// Node 22.1+ caches compiled modules itself: there it also covers what the
// bundle leaves outside (better-sqlite3's JavaScript, dist/sync-and-hooks.js
// and dist/help-and-usage.js). On Node 20 loading node:module for nothing would cost a record.
if (Number(process.versions.node.split(".")[0]) >= 22) require("node:module").enableCompileCache?.();

/** The build id on the bundle's first line, or undefined. */
function buildIdOf(source) {
  const match = /^\/\/lore-build ([0-9a-f]+)\n/.exec(source.slice(0, 100));
  return match?.[1];
}

/** The code cache of bundle `name` made for the build `buildId`, or undefined. */
function codeCacheFor(name, buildId) {
  if (buildId === undefined) return undefined;
  let bytes;
  try {
    bytes = fs.readFileSync(codeCacheFile(name));
  } catch {
    return undefined;
  }
  const header = `${buildId}\n`;
  return bytes.toString("latin1", 0, header.length) === header ? bytes.subarray(header.length) : undefined;
}

/** The bundles loadBundle compiled in this process, by name. */
const loaded = new Map();

/**
 * Compiles and runs dist/<name>.js (default: lore) as a CommonJS module, with
 * its code cache where it has one, and registers it as that file's module;
 * once per process (a second call returns the first load). Returns the
 * module's exports and the compiled script (the build's training run makes
 * the cache from it). dist/lore.js loads its on-demand bundles that have a
 * code cache through it (src/cli/on-demand-parts.ts).
 */
function loadBundle(name = "lore") {
  const known = loaded.get(name);
  if (known) return known;
  const file = path.join(DIST, `${name}.js`);
  const source = fs.readFileSync(file, "utf8");
  const buildId = buildIdOf(source);
  const script = new (require("node:vm").Script)(
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    {
      filename: file,
      cachedData: codeCacheFor(name, buildId),
    },
  );
  const bundle = new Module(file, module);
  bundle.filename = file;
  bundle.paths = Module._nodeModulePaths(DIST);
  Module._cache[file] = bundle;
  script.runInThisContext()(bundle.exports, Module.createRequire(file), bundle, file, DIST);
  bundle.loaded = true;
  const result = { exports: bundle.exports, script, buildId };
  loaded.set(name, result);
  return result;
}

exports.loadBundle = loadBundle;
exports.codeCacheFile = codeCacheFile;

exports.run = async function run(prefix) {
  const argv = [...prefix, ...process.argv.slice(2)];
  if (READ_COMMANDS.has(argv[0])) {
    const code = await loadBundle("read-commands").exports.runCli(argv);
    // A read command writes its answer with fs.writeSync and makes no stream;
    // help and error lines do, and on Linux those streams write synchronously
    // (to files, pipes and terminals alike), so there is nothing to flush.
    // Elsewhere, flushing them is worth the cost of making them.
    if (process.platform === "linux") process.exit(code);
    return flushThenExit(code);
  }
  flushThenExit(await loadBundle().exports.runCli(argv));
};

function flushThenExit(code) {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}
