// Bundles the CLI into one file, dist/lore.js, so that a record (a short-lived
// process) loads one module instead of hundreds: start-up is most of its cost.
// better-sqlite3 stays external (a native addon). CommonJS dependencies inside
// the ESM bundle get a real `require` and `__filename` from the banner.
import { build } from "esbuild";

await build({
  entryPoints: ["src/cli/main.ts"],
  outfile: "dist/lore.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["better-sqlite3"],
  banner: {
    js: [
      'import { createRequire as __loreCreateRequire } from "node:module";',
      'import { fileURLToPath as __loreFileURLToPath } from "node:url";',
      "const require = __loreCreateRequire(import.meta.url);",
      "const __filename = __loreFileURLToPath(import.meta.url);",
    ].join(" "),
  },
  legalComments: "none",
  logLevel: "warning",
});
