/**
 * The work of `lore sync` behind its declaration (commands/sync.ts): checks
 * the flags, finds the journal (a lost database is no obstacle: sync rebuilds
 * it), runs the sync and prints the report, as text or as `--json`, with
 * progress on stderr (src/sync/progress.ts). Exit code: 0 in sync (after
 * --fix: nothing left that needs a person), 3 otherwise.
 */
import { locateJournal } from "../journal/layout.js";
import { runSync, type SyncMode } from "../sync/run-sync.js";
import { countedFindings, formatReport, reportJson } from "../sync/report.js";
import { createProgress } from "../sync/progress.js";
import { ExitCode, exitCodeFor, messageFor, UsageError, type ExitCodeValue } from "./exit-codes.js";
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
 * Runs `lore sync` and reports its own errors: this file is a bundle of its
 * own (scripts/build.mjs), so its error classes are not the ones the main
 * bundle's `exitCodeFor` knows.
 */
export async function runSyncCommand(args: SyncArgs): Promise<ExitCodeValue> {
  try {
    return await syncAndReport(args);
  } catch (error) {
    process.stderr.write(`lore sync: ${messageFor(error)}\n`);
    return exitCodeFor(error);
  }
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
