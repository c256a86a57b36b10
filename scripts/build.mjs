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
//   the bundle's own file URL.
import { readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { build } from "esbuild";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const dist = new URL("../dist/", import.meta.url);

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
writeFileSync(new URL("package.json", dist), `${JSON.stringify({ type: "commonjs" })}\n`);

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
  define: { LORE_VERSION: JSON.stringify(version), "import.meta.url": "__loreModuleUrl" },
  banner: { js: 'const __loreModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  minify: true,
  legalComments: "none",
  logLevel: "warning",
});
