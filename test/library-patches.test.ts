// The build's library patches (scripts/library-patches.mjs) hold only for the
// versions they name: package.json pins those versions, and the build fails
// when a patch no longer fits the installed library. Each case bundles the
// patched libraries with esbuild in a child process, as the build does.
import { describe, expect, it } from "vitest";
import { REPO_ROOT, runNode } from "./support/lore.js";

/** Bundles the patched libraries with the plugin, after `change` (JavaScript editing `patches`). */
async function bundleWithPatches(change: string): Promise<{ code: number | null; stderr: string }> {
  const script = `
    import { build } from "esbuild";
    import { LIBRARY_PATCHES, libraryPatches } from "./scripts/library-patches.mjs";
    const patches = structuredClone(LIBRARY_PATCHES);
    ${change}
    await build({
      stdin: { contents: 'import "yargs-parser"; import "proper-lockfile"; import "write-file-atomic";', resolveDir: process.cwd() },
      bundle: true, platform: "node", format: "cjs", write: false, logLevel: "silent",
      plugins: [libraryPatches(patches)],
    });
  `;
  const result = await runNode(["--input-type=module", "-e", script], { cwd: REPO_ROOT });
  return { code: result.code, stderr: result.stderr };
}

describe("library patches", () => {
  it("apply to the installed libraries", async () => {
    expect(await bundleWithPatches("")).toEqual({ code: 0, stderr: "" });
  });

  it("fail the build when the installed version is not the one a patch names", async () => {
    const result = await bundleWithPatches(`patches.find((p) => p.library === "signal-exit").version = "3.0.6";`);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/library patch for signal-exit 3\.0\.6 .*: signal-exit 3\.0\.7 is installed/);
  });

  it("fail the build when a rewrite's text is not in the library's file", async () => {
    const result = await bundleWithPatches(
      `patches.find((p) => p.rewrite).rewrite.from = "createRequire(import.meta.filename)";`,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/"createRequire\(import\.meta\.filename\)" occurs 0 times in .*index\.js, not once/);
  });

  it("fail the build when a patch was never applied", async () => {
    const result = await bundleWithPatches(
      `patches.find((p) => p.shim?.request === "assert").shim.request = "node:assert";`,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/never applied, so the library no longer matches it: library patch for signal-exit/);
  });
});
