// Builds what the suites run as real processes: the CLI bundle (dist/, as
// `npm run build` makes it) and the test fixtures in test/fixtures/ (plus the
// synthetic journal generator, scripts/generate-journal.ts), bundled into
// dist-test/ so that child processes can run them with plain node.
import { execFileSync } from "node:child_process";
import { build } from "esbuild";
import path from "node:path";

export default async function setup(): Promise<void> {
  const root = path.resolve(import.meta.dirname, "../..");
  execFileSync(process.execPath, [path.join(root, "scripts/build.mjs")], { cwd: root, stdio: "inherit" });
  await build({
    entryPoints: {
      "lock-contender": path.join(root, "test/fixtures/lock-contender.ts"),
      "generate-journal": path.join(root, "scripts/generate-journal.ts"),
    },
    outdir: path.join(root, "dist-test"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    banner: {
      js: 'import { createRequire as __c } from "node:module"; const require = __c(import.meta.url);',
    },
    logLevel: "warning",
  });
}
