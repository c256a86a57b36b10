/**
 * `lore hook <name> [git's arguments]`: what lore's hook shims run
 * (hook-files.ts). It never fails git's operation for lore's own reasons
 * except in pre-commit, where refusing is its purpose.
 *
 *   1. The hook that was there before lore's (in lore-chained/) runs first,
 *      with git's arguments and stdin; in pre-commit its refusal stands.
 *   2. When the lore process that holds the journal lock is the one whose git
 *      runs this hook (LORE_PARENT_LOCK, set by the held lock:
 *      lock/parent-lock.ts), lore does no more: that process does the work
 *      (and waiting for its lock would deadlock).
 *   3. pre-commit checks the staged journal files (staged-check.ts), reading
 *      only, and refuses the commit with one line per problem.
 *   4. post-checkout, post-merge and post-rewrite run `lore sync --fix`
 *      quietly when the journal's files may have changed (a checkout between
 *      commits that differ there, a merge that brought changes, any rewrite).
 *      A checkout that leaves the journal alone costs one `git diff --quiet`.
 *      If sync cannot run (journal locked past its timeout, any error), it says
 *      so in one line on stderr and lets git finish; the next sync repairs.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { findWorkTree, GitError, runGit } from "../git/git-process.js";
import { journalLayout, type JournalLayout } from "../journal/layout.js";
import { RECORD_DIRECTORIES } from "../journal/journal-file.js";
import { installedHooks } from "../git/hook-state.js";
import { parentLockOf } from "../lock/parent-lock.js";

function runChained(file: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: "inherit" });
    child.on("error", (error) => {
      process.stderr.write(`lore hook: could not run ${file}: ${error.message}\n`);
      resolve(1);
    });
    child.on("close", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const NULL_COMMIT = /^0+$/;

/** Whether the journal's record files differ between two commits (true when unsure). */
async function differs(layout: JournalLayout, from: string, to: string): Promise<boolean> {
  try {
    await runGit(
      layout.base,
      ["diff", "--quiet", from, to, "--", ...RECORD_DIRECTORIES.map((entry) => entry.directory)],
      { stdout: false },
    );
    return false;
  } catch (error) {
    return !(error instanceof GitError) || error.gitStatus !== 0;
  }
}

async function journalMayHaveChanged(name: string, args: string[], layout: JournalLayout): Promise<boolean> {
  if (name === "post-checkout") {
    const [from, to, branchCheckout] = args;
    if (branchCheckout !== "1") return true;
    if (from === to) return false;
    if (!from || !to || NULL_COMMIT.test(from)) return true;
    return differs(layout, from, to);
  }
  if (name === "post-merge") return differs(layout, "ORIG_HEAD", "HEAD");
  return true;
}

export type HookWork = (name: string, layout: JournalLayout) => Promise<number>;

export async function runHook(name: string, args: string[], work: () => HookWork): Promise<number> {
  const repo = findWorkTree(process.cwd());
  if (!repo) return 0;
  const state = installedHooks(repo.gitDir);
  const chained = state ? path.join(state.chainedDir, name) : undefined;
  const chainedCode = chained && fs.existsSync(chained) ? await runChained(chained, args) : 0;
  if (name === "pre-commit" && chainedCode !== 0) return chainedCode;
  if (!state) return 0;
  const layout = journalLayout(state.base);
  if (parentLockOf(process.env)?.lockDir === layout.lockDir) return 0;
  if (name === "pre-commit") return work()(name, layout);
  if (!(await journalMayHaveChanged(name, args, layout))) return 0;
  return work()(name, layout);
}
