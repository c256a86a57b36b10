// The build's library patches (scripts/library-patches.mjs) hold only for the
// versions they name: package.json pins those versions, and the build fails
// when a patch no longer fits the installed library. Each case bundles the
// patched libraries with esbuild in a child process, as the build does.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, runNode } from "./support/lore.js";

interface LibraryPatch {
  library: string;
  version: string;
  requiredBy?: string;
}

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

async function libraryPatches(): Promise<LibraryPatch[]> {
  const script = `import { LIBRARY_PATCHES } from "./scripts/library-patches.mjs"; process.stdout.write(JSON.stringify(LIBRARY_PATCHES));`;
  const result = await runNode(["--input-type=module", "-e", script], { cwd: REPO_ROOT });
  expect(result.stderr).toBe("");
  return JSON.parse(result.stdout);
}

describe("library patches", () => {
  it("name the versions package.json pins: dependencies exactly, proper-lockfile's through overrides", async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
    for (const patch of await libraryPatches()) {
      const pinned = patch.requiredBy
        ? manifest.overrides?.[patch.requiredBy]?.[patch.library]
        : manifest.dependencies?.[patch.library];
      expect(pinned, patch.library).toBe(patch.version);
      if (patch.requiredBy)
        expect(manifest.dependencies?.[patch.requiredBy], patch.requiredBy).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });

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
