// Bundles the tools that tests and benchmarks run as real processes into
// dist-test/, so that plain `node` runs them: the lock contender of the lock
// tests (test/fixtures/lock-contender.ts) and the synthetic journal generator
// (scripts/generate-journal.ts). Run by vitest's global setup and by
// `npm run bench`, after scripts/build.mjs.
import { build } from "esbuild";

await build({
  entryPoints: {
    "lock-contender": "test/fixtures/lock-contender.ts",
    "generate-journal": "scripts/generate-journal.ts",
  },
  outdir: "dist-test",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  banner: {
    js: 'import { createRequire as __c } from "node:module"; const require = __c(import.meta.url);',
  },
  logLevel: "warning",
});
