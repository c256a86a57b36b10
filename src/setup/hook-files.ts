/**
 * lore's git hooks on disk: `lore hooks install | uninstall | status`.
 *
 *   const where = await hookPaths(repo);          // honours core.hooksPath
 *   installHooks(where, loreRunFile, base)  ->  what changed, per hook
 *   uninstallHooks(where)              ->  what was put back
 *   hookStatus(where, loreRunFile)     ->  installed / current, per hook
 *
 * Each managed hook (MANAGED_HOOKS) becomes a thin Node shim that only loads
 * the installed lore (its `bin/run.js`, by absolute path) and runs
 * `lore hook <name> <git's arguments>`; upgrading lore never leaves stale hook
 * code behind, and a shim that cannot find lore says so and lets git go on.
 * A hook that was there before is moved to `<hooks>/lore-chained/<name>` and
 * still runs, first (hook-runner.ts); `uninstall` moves it back. Installing
 * twice changes nothing. Files are replaced through a temp file and a rename.
 * Install also sets `merge.conflictStyle=diff3` in the repository, unless it
 * is already, because git's union merge of domain files (git-attributes.ts)
 * keeps blocks whole only then; uninstall unsets what install set.
 *
 * The state is also written to `<git dir>/lore-hooks.json` (the chained
 * directory and the journal's base), which the hooks read to find the
 * journal, and lore's own commits read to run the chained hooks only
 * (git/commit.ts): lore's hooks would repeat the checks lore has just made.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { runGit, type GitRepo } from "../git/git-process.js";
import { type HookPaths, installedHooks, writeHookState } from "../git/hook-state.js";
import { makeDirectory, removeDirectory, removeTree, renamePath, writeFile } from "../io/file-system.js";

export const MANAGED_HOOKS = ["pre-commit", "post-merge", "post-checkout", "post-rewrite"] as const;
export type ManagedHook = (typeof MANAGED_HOOKS)[number];

const MARKER = "lore: managed hook";

export interface HookState {
  name: ManagedHook;
  installed: boolean;
  current: boolean;
  chained: boolean;
}

/** The shim for `name`, calling the lore whose `bin/run.js` is `loreRunFile`. */
export function renderShim(name: ManagedHook, loreRunFile: string): string {
  const url = pathToFileURL(loreRunFile).href;
  return [
    "#!/usr/bin/env node",
    `// ${MARKER} (${name}), written by \`lore hooks install\`. It only calls the installed`,
    "// lore, so upgrading lore never leaves old code here; `lore hooks uninstall` puts",
    "// back the hook that was here before (meanwhile in lore-chained/, and still run).",
    `const lore = ${JSON.stringify(url)};`,
    "import(lore).then(",
    `  (module) => (module.default ?? module).run(["hook", ${JSON.stringify(name)}]),`,
    "  (error) => {",
    `    process.stderr.write(\`lore hook ${name}: cannot load lore from \${lore} (\${error.message}); git goes on, and \\\`lore sync --fix\\\` brings the index up to date later\\n\`);`,
    "  },",
    ");",
    "",
  ].join("\n");
}

function isShim(file: string): boolean {
  try {
    return fs.readFileSync(file, "utf8").includes(MARKER);
  } catch {
    return false;
  }
}

function writeExecutable(file: string, content: string): void {
  const temp = `${file}.lore-${process.pid}`;
  writeFile(temp, content, { mode: 0o755 });
  fs.chmodSync(temp, 0o755);
  renamePath(temp, file);
}

/**
 * git's union merge keeps whole blocks only with the diff3 conflict style: the
 * default style lets it interleave the lines of two blocks appended at once
 * (their blank and `**Source**` lines match). Sets it in this repository
 * unless it already is diff3; returns whether it did.
 */
async function ensureDiff3(repo: GitRepo): Promise<boolean> {
  let current = "";
  try {
    current = (await runGit(repo, ["config", "--get", "merge.conflictStyle"])).stdout.trim();
  } catch {
    // Not set anywhere.
  }
  if (current === "diff3") return false;
  await runGit(repo, ["config", "--local", "merge.conflictStyle", "diff3"]);
  return true;
}

export type HookChange = "installed" | "updated" | "unchanged" | "chained" | "restored" | "removed" | "absent";

/**
 * Installs the shims for the journal at `base` (which the hooks then keep in
 * sync), and the diff3 conflict style its union merges need.
 */
export async function installHooks(
  paths: HookPaths,
  loreRunFile: string,
  base: string,
): Promise<{ hooks: Array<{ name: ManagedHook; change: HookChange }>; setConflictStyle: boolean }> {
  makeDirectory(paths.chainedDir, { recursive: true });
  const changes = MANAGED_HOOKS.map((name) => {
    const file = path.join(paths.hooksDir, name);
    const shim = renderShim(name, loreRunFile);
    if (fs.existsSync(file) && !isShim(file)) {
      const chained = path.join(paths.chainedDir, name);
      if (fs.existsSync(chained)) throw new Error(`${chained} exists already: move it away, then install again`);
      renamePath(file, chained);
      writeExecutable(file, shim);
      return { name, change: "chained" as const };
    }
    if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === shim) return { name, change: "unchanged" as const };
    const existed = fs.existsSync(file);
    writeExecutable(file, shim);
    return { name, change: existed ? ("updated" as const) : ("installed" as const) };
  });
  const setNow = await ensureDiff3(paths.repo);
  const setConflictStyle = setNow || (installedHooks(paths.repo.gitDir)?.setConflictStyle ?? false);
  writeHookState(paths, { hooksDir: paths.hooksDir, chainedDir: paths.chainedDir, base, setConflictStyle });
  return { hooks: changes, setConflictStyle: setNow };
}

export async function uninstallHooks(paths: HookPaths): Promise<Array<{ name: ManagedHook; change: HookChange }>> {
  const state = installedHooks(paths.repo.gitDir);
  const changes = MANAGED_HOOKS.map((name) => {
    const file = path.join(paths.hooksDir, name);
    const chained = path.join(paths.chainedDir, name);
    if (!isShim(file)) return { name, change: "absent" as const };
    if (fs.existsSync(chained)) {
      renamePath(chained, file);
      return { name, change: "restored" as const };
    }
    removeTree(file);
    return { name, change: "removed" as const };
  });
  try {
    removeDirectory(paths.chainedDir);
  } catch {
    // Not empty (a chained file lore did not put there) or already gone: left as it is.
  }
  if (state?.setConflictStyle)
    await runGit(paths.repo, ["config", "--local", "--unset", "merge.conflictStyle"]).catch(() => undefined);
  writeHookState(paths, undefined);
  return changes;
}

export function hookStatus(paths: HookPaths, loreRunFile: string): HookState[] {
  return MANAGED_HOOKS.map((name) => {
    const file = path.join(paths.hooksDir, name);
    const installed = isShim(file);
    return {
      name,
      installed,
      current: installed && fs.readFileSync(file, "utf8") === renderShim(name, loreRunFile),
      chained: fs.existsSync(path.join(paths.chainedDir, name)),
    };
  });
}
