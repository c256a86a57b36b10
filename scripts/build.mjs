// Bundles the CLI into dist/lore.js, so that a record (a short-lived process)
// loads one file instead of hundreds: start-up is most of its cost.
//
// - CommonJS, not ESM: Node's ESM loader reads every export of each built-in
//   module it imports, and reading `fs`'s stream getters alone loads Node's
//   streams (about 6 ms per record here). dist/package.json marks dist/ as
//   CommonJS inside this ESM package.
// - help, the version and usage errors (with all of yargs) are a second
//   bundle, dist/help-and-usage.js; `lore sync`, `lore hooks` and the git
//   hooks' work a third, dist/sync-and-hooks.js. Each is loaded only when
//   needed (src/cli/on-demand-parts.ts).
// - better-sqlite3 stays external (a native addon), and so does cli-progress
//   (required only when sync shows a progress bar).
// - yargs is written as ESM and reads `import.meta.url`; in CommonJS that is
//   the bundle's own file URL, made when first asked for (node:url costs a
//   record 2 ms, and the record's own code asks for `import.meta.filename`).
// - dist/lore.js starts with `//lore-build <id>`, a hash of the bundle, and
//   scripts/train-code-cache.cjs then writes dist/lore.v8cache, the V8 code
//   cache that bin/run.js compiles the bundle with (see there). Without a
//   cache (the training failed) lore works as before, only slower to start.
// - lore imports Node's fs, path, os and readline by default import. esbuild
//   turns such an import of an external module into a copy of all its
//   exports, made with one getter each, and lore has 31 such imports: about
//   6 ms and a garbage collection on every record. `builtinDefaults` hands
//   out the module itself instead; a named import from these modules fails
//   the build ("No matching export"), so none slips back in. Libraries keep
//   esbuild's way.
// - lore's own code and yargs-parser get `createRequire` from `ownRequire`,
//   not node:module: each asks for a require of its own file (lore for
//   better-sqlite3, cli-progress and the two parts above; yargs-parser, at
//   load, for config files lore never gives it), which in a bundle is the
//   bundle's `require`; loading node:module costs a record about 0.7 ms.
//   yargs-parser names its file by `import.meta.url`, and making that URL
//   costs a record 1.5 ms (Node's URL parser, used for nothing else), so the
//   bundle passes it `__filename` instead.
// - Node modules that the pinned libraries load for one small use each are
//   replaced in the bundle (`libraryShims`): signal-exit 3 (proper-lockfile's)
//   loads `assert` for one `assert.equal` on its argument (about 1 ms per
//   record); write-file-atomic loads `worker_threads` (1 ms) for the thread id
//   it hashes into temp names, which is 0 in the main thread, the only thread
//   the bundle runs in (bin/run.js), and `crypto` (3 ms, with the pages it
//   touches) to hash that id, its pid and a call count into the digits of a
//   temp name `<file>.<digits>`. Those digits need only differ between calls
//   and processes, which a 32-bit FNV-1a hash of the same inputs does as well
//   as the first 32 bits of SHA-1; lore records each temp name as it is
//   created (src/io/durable-file.ts) and never derives one.
import { readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { build } from "esbuild";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const dist = new URL("../dist/", import.meta.url);

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
writeFileSync(new URL("package.json", dist), `${JSON.stringify({ type: "commonjs" })}\n`);

const loreSources = fileURLToPath(new URL("../src/", import.meta.url));
const builtinDefaults = {
  name: "builtin-defaults",
  setup(b) {
    b.onResolve({ filter: /^node:(fs|path|os|readline)$/ }, (args) => {
      if (args.namespace === "builtin-default") return { path: args.path, external: true };
      if (!args.importer.startsWith(loreSources)) return undefined;
      return { path: args.path, namespace: "builtin-default" };
    });
    b.onLoad({ filter: /.*/, namespace: "builtin-default" }, (args) => ({
      contents: `export default require(${JSON.stringify(args.path)});`,
      loader: "js",
    }));
  },
};

const yargsParserSources = fileURLToPath(new URL("../node_modules/yargs-parser/", import.meta.url));
const ownRequire = {
  name: "own-require",
  setup(b) {
    b.onResolve({ filter: /^node:module$/ }, (args) =>
      args.importer.startsWith(loreSources) || args.importer.startsWith(yargsParserSources)
        ? { path: args.path, namespace: "own-require" }
        : undefined,
    );
    b.onLoad({ filter: /yargs-parser[\\/]build[\\/]lib[\\/]index\.js$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      const byFilename = source.replace("createRequire(import.meta.url)", "createRequire(__filename)");
      if (byFilename === source)
        console.warn(
          "build: yargs-parser no longer calls createRequire(import.meta.url); each record now pays for the URL",
        );
      return { contents: byFilename, loader: "js", resolveDir: path.dirname(args.path) };
    });
    b.onLoad({ filter: /.*/, namespace: "own-require" }, () => ({
      contents: `export function createRequire(file) {
  if (file !== __filename && file !== __loreModule.url) throw new Error("createRequire(" + file + ") in " + __filename + ": only the bundle's own file has a require here");
  return require;
}`,
      loader: "js",
    }));
  },
};

const libraryShims = {
  name: "library-shims",
  setup(b) {
    const shims = [
      {
        request: "assert",
        importer: fileURLToPath(new URL("../node_modules/signal-exit/", import.meta.url)),
        contents: `exports.equal = (actual, expected, message) => { if (actual != expected) throw new Error(message); };`,
      },
      {
        request: "node:crypto",
        importer: fileURLToPath(new URL("../node_modules/write-file-atomic/", import.meta.url)),
        contents: `exports.createHash = () => {
  let hash = 0x811c9dc5;
  const hasher = {
    update(text) {
      for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 16777619) >>> 0;
      return hasher;
    },
    digest() {
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(hash);
      return bytes;
    },
  };
  return hasher;
};`,
      },
      {
        request: "worker_threads",
        importer: fileURLToPath(new URL("../node_modules/write-file-atomic/", import.meta.url)),
        contents: `exports.threadId = 0;`,
      },
    ];
    b.onResolve({ filter: /^(assert|worker_threads|node:crypto)$/ }, (args) => {
      const shim = shims.find(
        (candidate) => candidate.request === args.path && args.importer.startsWith(candidate.importer),
      );
      return shim ? { path: args.path, namespace: "library-shim", pluginData: shim } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: "library-shim" }, (args) => ({
      contents: args.pluginData.contents,
      loader: "js",
    }));
  },
};

await build({
  entryPoints: {
    lore: "src/cli/main.ts",
    "help-and-usage": "src/cli/help-and-usage.ts",
    "sync-and-hooks": "src/cli/sync-and-hooks.ts",
  },
  outdir: "dist",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["better-sqlite3", "cli-progress", "./help-and-usage.js", "./sync-and-hooks.js"],
  // graceful-fs (proper-lockfile's fs) patches fs at load time to queue on
  // EMFILE, which lore, holding a handful of files, never meets: plain fs.
  alias: { "graceful-fs": "node:fs" },
  define: {
    LORE_VERSION: JSON.stringify(version),
    "import.meta.url": "__loreModule.url",
    "import.meta.filename": "__filename",
  },
  banner: { js: 'const __loreModule = { get url() { return require("node:url").pathToFileURL(__filename).href; } };' },
  minify: true,
  legalComments: "none",
  plugins: [builtinDefaults, ownRequire, libraryShims],
  logLevel: "warning",
});

const bundleFile = new URL("lore.js", dist);
const bundle = readFileSync(bundleFile, "utf8");
// bin/run.js compiles the bundle as a script, which has no loader for import().
if (/\bimport\(/.test(bundle))
  throw new Error("dist/lore.js has a dynamic import(); load such parts with require (src/cli/on-demand-parts.ts)");
writeFileSync(bundleFile, `//lore-build ${createHash("sha256").update(bundle).digest("hex").slice(0, 16)}\n${bundle}`);

try {
  execFileSync(process.execPath, [fileURLToPath(new URL("train-code-cache.cjs", import.meta.url))], {
    stdio: ["ignore", "ignore", "pipe"],
  });
} catch (error) {
  process.stderr.write(
    `build: no code cache for dist/lore.js (lore works, only starts slower): ${String(error.stderr || error.message).trim()}\n`,
  );
}
