// Bundles the CLI into dist/lore.js, so that a record (a short-lived process)
// loads one module instead of hundreds: start-up is most of its cost. yargs's
// help and usage front is split into a chunk loaded only when shown.
// better-sqlite3 stays external (a native addon). CommonJS dependencies inside
// the ESM bundle get a real `require` and `__filename` from the banner.
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

await build({
  entryPoints: { lore: "src/cli/main.ts" },
  outdir: "dist",
  chunkNames: "chunks/[name]-[hash]",
  splitting: true,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["better-sqlite3"],
  // graceful-fs (proper-lockfile's fs) patches fs at load time to queue on
  // EMFILE, which lore, holding a handful of files, never meets: plain fs.
  alias: { "graceful-fs": "node:fs" },
  banner: {
    js: [
      'import { createRequire as __loreCreateRequire } from "node:module";',
      'import { fileURLToPath as __loreFileURLToPath } from "node:url";',
      "const require = __loreCreateRequire(import.meta.url);",
      "const __filename = __loreFileURLToPath(import.meta.url);",
    ].join(" "),
  },
  define: { LORE_VERSION: JSON.stringify(version) },
  minify: true,
  legalComments: "none",
  logLevel: "warning",
});
