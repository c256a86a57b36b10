// Bundles the tools that tests and benchmarks run as real processes into
// dist-test/, so that plain `node` runs them: the lock contender of the lock
// tests (test/fixtures/lock-contender.ts), the synthetic journal generator
// (scripts/generate-journal.ts), the kill -9 harness (test/chaos/chaos.ts)
// the power-loss simulator's long profile (test/power-loss/power-loss.ts)
// and the in-process search timer (scripts/search-latency.ts).
// Run by vitest's global setup, `npm run bench`, `npm run chaos` and
// `npm run powerloss`, after scripts/build.mjs.
import { build } from "esbuild";

await build({
  entryPoints: {
    "lock-contender": "test/fixtures/lock-contender.ts",
    "generate-journal": "scripts/generate-journal.ts",
    chaos: "test/chaos/chaos.ts",
    powerloss: "test/power-loss/power-loss.ts",
    "search-latency": "scripts/search-latency.ts",
  },
  outdir: "dist-test",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  banner: {
    js: 'import { createRequire as __c } from "node:module"; const require = __c(import.meta.url);',
  },
  // better-sqlite3 is a native addon: loaded from node_modules, never bundled.
  external: ["better-sqlite3"],
  logLevel: "warning",
});
