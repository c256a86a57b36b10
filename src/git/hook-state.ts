/**
 * Where a repository's hooks are, and which of them lore's own commits run.
 *
 *   const where = await hookPaths(repo);        // honours core.hooksPath
 *   installedHooks(repo.gitDir)                  // lore's installation, or undefined
 *
 * While lore's hooks are installed (setup/hook-files.ts), `<git dir>/lore-hooks.json`
 * names the chained directory (the hooks that were there before lore's) and
 * the journal the hooks keep in sync. The hooks read it to find the journal;
 * lore's own commits run the chained hooks only, since lore's own hooks would
 * repeat the checks lore has just made. Reading costs one small file read and
 * throws nothing when lore's hooks are absent.
 */
import path from "node:path";
import { readFileIfPresent } from "../io/durable-file.js";
import { type GitRepo, runGit } from "./git-process.js";
import { removeTree, writeFile } from "../io/file-system.js";

export const CHAINED_DIR_NAME = "lore-chained";
const HOOK_STATE_FILE = "lore-hooks.json";

export interface HookPaths {
  repo: GitRepo;
  hooksDir: string;
  chainedDir: string;
}

/** Where git looks for hooks in `repo` (core.hooksPath included). */
export async function hookPaths(repo: GitRepo): Promise<HookPaths> {
  const output = (await runGit(repo, ["rev-parse", "--git-path", "hooks"])).stdout.trim();
  const hooksDir = path.resolve(repo.root, output);
  return { repo, hooksDir, chainedDir: path.join(hooksDir, CHAINED_DIR_NAME) };
}

/** What `<git dir>/lore-hooks.json` holds while lore's hooks are installed. */
export interface InstalledHooks {
  hooksDir: string;
  chainedDir: string;
  /** The journal the hooks keep in sync. */
  base: string;
  /** Whether install set merge.conflictStyle (uninstall then unsets it). */
  setConflictStyle: boolean;
}

/** The installation recorded in `gitDir`, or undefined when lore's hooks are not installed there. One small read. */
export function installedHooks(gitDir: string): InstalledHooks | undefined {
  // Every record asks, and most journals have no hooks: a missing file throws nothing.
  const text = readFileIfPresent(path.join(gitDir, HOOK_STATE_FILE));
  if (text === undefined) return undefined;
  try {
    const state = JSON.parse(text) as Partial<InstalledHooks>;
    if (typeof state.hooksDir !== "string" || typeof state.chainedDir !== "string" || typeof state.base !== "string")
      return undefined;
    return {
      hooksDir: state.hooksDir,
      chainedDir: state.chainedDir,
      base: state.base,
      setConflictStyle: state.setConflictStyle === true,
    };
  } catch {
    return undefined;
  }
}

/** Records (or, with undefined, removes) the installation in the repository's git dir. */
export function writeHookState(paths: HookPaths, state: InstalledHooks | undefined): void {
  const file = path.join(paths.repo.gitDir, HOOK_STATE_FILE);
  if (state === undefined) removeTree(file);
  else writeFile(file, `${JSON.stringify(state)}\n`);
}
