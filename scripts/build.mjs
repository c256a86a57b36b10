// Bundles the CLI into dist/lore.js, so that a record (a short-lived process)
// loads one file instead of hundreds: start-up is most of its cost.
//
// - CommonJS, not ESM: Node's ESM loader reads every export of each built-in
//   module it imports, and reading `fs`'s stream getters alone loads Node's
//   streams (about 6 ms per record here). dist/package.json marks dist/ as
//   CommonJS inside this ESM package.
// - yargs's help and usage front is a second file, dist/yargs-front.js,
//   loaded only when help, the version or a usage error is shown; `lore
//   sync` is a third, dist/sync-main.js, loaded only by that command.
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
import { readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
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

await build({
  entryPoints: { lore: "src/cli/main.ts", "yargs-front": "src/cli/yargs-front.ts", "sync-main": "src/cli/sync-main.ts" },
  outdir: "dist",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["better-sqlite3", "cli-progress", "./yargs-front.js", "./sync-main.js"],
  // graceful-fs (proper-lockfile's fs) patches fs at load time to queue on
  // EMFILE, which lore, holding a handful of files, never meets: plain fs.
  alias: { "graceful-fs": "node:fs" },
  define: { LORE_VERSION: JSON.stringify(version), "import.meta.url": "__loreModule.url", "import.meta.filename": "__filename" },
  banner: { js: 'const __loreModule = { get url() { return require("node:url").pathToFileURL(__filename).href; } };' },
  minify: true,
  legalComments: "none",
  plugins: [builtinDefaults],
  logLevel: "warning",
});

const bundleFile = new URL("lore.js", dist);
const bundle = readFileSync(bundleFile, "utf8");
// bin/run.js compiles the bundle as a script, which has no loader for import().
if (/\bimport\(/.test(bundle)) throw new Error("dist/lore.js has a dynamic import(); load such parts with require (src/cli/bundle-parts.ts)");
writeFileSync(bundleFile, `//lore-build ${createHash("sha256").update(bundle).digest("hex").slice(0, 16)}\n${bundle}`);

try {
  execFileSync(process.execPath, [fileURLToPath(new URL("train-code-cache.cjs", import.meta.url))], { stdio: ["ignore", "ignore", "pipe"] });
} catch (error) {
  process.stderr.write(`build: no code cache for dist/lore.js (lore works, only starts slower): ${String(error.stderr || error.message).trim()}\n`);
}
