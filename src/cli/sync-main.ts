/**
 * The work of `lore sync`, `lore hooks` and of lore's git hooks, behind
 * their declarations (commands/sync.ts, hooks.ts, hook.ts). `lore sync` checks
 * the flags, finds the journal (a lost database is no obstacle: sync rebuilds
 * it), runs the sync and prints the report, as text or as `--json`, with
 * progress on stderr (src/sync/progress.ts). Exit code: 0 in sync (after
 * --fix: nothing left that needs a person), 3 otherwise.
 */
import { fileURLToPath } from "node:url";
import { locateJournal, type JournalLayout } from "../journal/layout.js";
import { findWorkTree } from "../git/git-process.js";
import { hookPaths } from "../git/hook-state.js";
import { hookStatus, installHooks, uninstallHooks } from "../setup/hook-files.js";
import { stagedJournalProblems } from "../hooks/staged-check.js";
import { ensureUnionMerge, UNION_MERGE_ENTRY } from "../setup/git-attributes.js";
import { runSync, type SyncMode } from "../sync/run-sync.js";
import { countedFindings, formatReport, reportJson } from "../sync/report.js";
import { createProgress } from "../sync/progress.js";
import { ExitCode, exitCodeFor, messageFor, UsageError, type ExitCodeValue } from "../base/errors.js";
import { sessionOptionsFrom, type JournalArgs } from "./journal-options.js";

export interface SyncArgs extends JournalArgs {
  fix: boolean;
  "dry-run": boolean;
  restore: boolean;
  rebuild: boolean;
  prune: boolean;
  full: boolean;
}

function modeOf(args: SyncArgs): SyncMode {
  const fixing = args.fix || args.restore || args.rebuild;
  if (args["dry-run"] && args.fix) throw new UsageError("--dry-run and --fix exclude each other");
  if (args["dry-run"]) return "dry-run";
  return fixing ? "fix" : "report";
}

/**
 * Runs a command of this file and reports its errors itself: this file is a
 * bundle of its own (scripts/build.mjs), so its error classes are not the
 * ones the main bundle's `exitCodeFor` knows.
 */
async function reportingErrors(command: string, run: () => Promise<ExitCodeValue>): Promise<ExitCodeValue> {
  try {
    return await run();
  } catch (error) {
    process.stderr.write(`lore ${command}: ${messageFor(error)}\n`);
    return exitCodeFor(error);
  }
}

export function runSyncCommand(args: SyncArgs): Promise<ExitCodeValue> {
  return reportingErrors("sync", () => syncAndReport(args));
}

async function syncAndReport(args: SyncArgs): Promise<ExitCodeValue> {
  const mode = modeOf(args);
  const session = sessionOptionsFrom(args, process.env);
  const layout = locateJournal({ base: args.base, env: process.env, cwd: process.cwd(), databaseOptional: true });
  const report = await runSync(layout, {
    mode,
    restore: args.restore,
    prune: args.prune,
    rebuild: args.rebuild,
    full: args.full,
    timeoutMs: session.timeoutMs,
    staleMs: session.staleMs,
    noCommit: session.noCommit,
    progress: createProgress({ json: args.json, stderrIsTty: process.stderr.isTTY === true }),
  });
  if (args.json) process.stdout.write(`${JSON.stringify(reportJson(report))}\n`);
  else process.stdout.write(`${formatReport(report).join("\n")}\n`);
  const outstanding = countedFindings(mode === "fix" ? report.remaining : report.findings);
  if (mode === "dry-run" && args.rebuild) return ExitCode.OutOfSync;
  return outstanding.length === 0 ? ExitCode.Ok : ExitCode.OutOfSync;
}

export interface HooksArgs {
  _: string[];
  base?: string;
  json: boolean;
}

/** Where the installed lore's `bin/run.js` is: what the hook shims load. */
function loreRunFile(): string {
  return fileURLToPath(new URL("../bin/run.js", import.meta.url));
}

async function hooksAndReport(args: HooksArgs): Promise<ExitCodeValue> {
  const action = args._[0];
  if (!["install", "uninstall", "status"].includes(action)) {
    throw new UsageError(`hooks: the action must be install, uninstall or status (got ${JSON.stringify(action)})`);
  }
  const layout = locateJournal({ base: args.base, env: process.env, cwd: process.cwd(), databaseOptional: true });
  const repo = findWorkTree(layout.base);
  if (!repo) throw new UsageError(`hooks: ${layout.base} is not inside a git work tree`);
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
    const attributes = action === "install" && ensureUnionMerge(layout.base);
    result = {
      hooksDir: paths.hooksDir,
      hooks: changes,
      gitattributes: attributes,
      conflictStyle: installed?.setConflictStyle ?? false,
    };
    lines = [
      ...changes.map((change) => `${change.name}: ${change.change}`),
      ...(attributes
        ? [`Added to .gitattributes: ${UNION_MERGE_ENTRY} (commit it, so that every clone merges domain files alike)`]
        : []),
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

export function runHooksCommand(args: HooksArgs): Promise<ExitCodeValue> {
  return reportingErrors("hooks", () => hooksAndReport(args));
}

/** The work of a hook (hook-runner.ts decided there is some): never throws. */
export async function runHookWork(name: string, layout: JournalLayout): Promise<number> {
  try {
    if (name === "pre-commit") {
      const problems = await stagedJournalProblems(layout);
      if (problems.length === 0) return 0;
      process.stderr.write(
        `${problems.map((problem) => `lore pre-commit: ${problem}`).join("\n")}\nlore pre-commit: commit refused; fix the files above, then commit again\n`,
      );
      return 1;
    }
    const session = sessionOptionsFrom({ json: false, commit: true }, process.env);
    const report = await runSync(layout, {
      mode: "fix",
      restore: false,
      prune: false,
      rebuild: false,
      full: false,
      timeoutMs: session.timeoutMs,
      staleMs: session.staleMs,
      noCommit: false,
    });
    const left = countedFindings(report.remaining);
    if (left.length > 0) {
      process.stderr.write(
        `lore ${name}: the journal index is in sync except ${left.length} finding(s) that need a person; see \`lore sync\`\n`,
      );
    }
  } catch (error) {
    process.stderr.write(
      `lore ${name}: could not bring the journal index up to date (${messageFor(error)}); git goes on, run \`lore sync --fix\` later\n`,
    );
  }
  return 0;
}
