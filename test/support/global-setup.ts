// Builds what the suites run as real processes: the CLI bundle (dist/, as
// `npm run build` makes it) and the test tools (dist-test/, by
// scripts/build-test-tools.mjs), so that child processes run them with plain
// node.
import { execFileSync } from "node:child_process";
import path from "node:path";

export default function setup(): void {
  const root = path.resolve(import.meta.dirname, "../..");
  for (const script of ["scripts/build.mjs", "scripts/build-test-tools.mjs"]) {
    execFileSync(process.execPath, [path.join(root, script)], { cwd: root, stdio: "inherit" });
  }
}
