/**
 * The work of `lore hooks install | uninstall | status` (declared in
 * commands/hooks.ts): installs, removes or shows lore's git hooks for the
 * journal's repository (src/setup/hook-files.ts); install also adds the union
 * merge entry to .gitattributes and sets merge.conflictStyle=diff3 where
 * needed. Prints what changed (or each hook's state), as text or `--json`.
 *
 *   const code = await manageHooks(args);   // 0
 *
 * Throws UsageError for another action or a journal outside a git work tree,
 * and whatever the hook files throw; main.ts reports it. Part of the
 * on-demand bundle dist/sync-and-hooks.js (sync-and-hooks.ts).
 */
import { fileURLToPath } from "node:url";
import { locateJournal } from "../journal/layout.js";
import { findWorkTree } from "../git/git-process.js";
import { hookPaths } from "../git/hook-state.js";
import { hookStatus, installHooks, uninstallHooks } from "../setup/hook-files.js";
import { ensureUnionMerge } from "../setup/git-attributes.js";
import { ExitCode, UsageError, type ExitCodeValue } from "../base/errors.js";

export interface HooksArgs {
  _: string[];
  base?: string;
  json: boolean;
}

/** Where the installed lore's `bin/run.js` is: what the hook shims load. */
function loreRunFile(): string {
  return fileURLToPath(new URL("../bin/run.js", import.meta.url));
}

export async function manageHooks(args: HooksArgs): Promise<ExitCodeValue> {
  const action = args._[0];
  if (!["install", "uninstall", "status"].includes(action)) {
    throw new UsageError(`the action must be install, uninstall or status (got ${JSON.stringify(action)})`);
  }
  const layout = locateJournal({ base: args.base, env: process.env, cwd: process.cwd(), databaseOptional: true });
  const repo = findWorkTree(layout.base);
  if (!repo) throw new UsageError(`${layout.base} is not inside a git work tree`);
  const paths = await hookPaths(repo);
  let result: Record<string, unknown>;
  let lines: string[];
  if (action === "status") {
    const states = hookStatus(paths, loreRunFile());
    result = { hooksDir: paths.hooksDir, hooks: states };
    lines = states.map(
      (state) =>
        `${state.name}: ${state.installed ? (state.current ? "installed, current" : "installed, not current (run `lore hooks install`)") : "not installed"}` +
        (state.chained ? "; runs the hook that was there before" : ""),
    );
  } else {
    const installed = action === "install" ? await installHooks(paths, loreRunFile(), layout.base) : undefined;
    const changes = installed ? installed.hooks : await uninstallHooks(paths);
    const attributes = action === "install" ? ensureUnionMerge(layout.base) : [];
    result = {
      hooksDir: paths.hooksDir,
      hooks: changes,
      gitattributes: attributes.length > 0,
      conflictStyle: installed?.setConflictStyle ?? false,
    };
    lines = [
      ...changes.map((change) => `${change.name}: ${change.change}`),
      ...attributes.map(
        (entry) => `Added to .gitattributes: ${entry} (commit it, so that every clone merges these files alike)`,
      ),
      ...(installed?.setConflictStyle
        ? [
            "Set merge.conflictStyle=diff3 in this repository (git's union merge keeps heuristic blocks whole only then)",
          ]
        : []),
    ];
  }
  process.stdout.write(args.json ? `${JSON.stringify(result)}\n` : `${lines.join("\n")}\n`);
  return ExitCode.Ok;
}
