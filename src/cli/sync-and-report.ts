/**
 * The work of `lore sync` (declared in commands/sync.ts): checks the flags,
 * finds the journal (a lost database is no obstacle: sync rebuilds it), runs
 * the sync with progress on stderr (src/sync/progress.ts) and prints the
 * report, as text or as `--json`.
 *
 *   const code = await syncAndReport(args);
 *
 * Resolves to 0 when the journal is in sync (after --fix: nothing is left
 * that needs a person), else 3. Throws UsageError when --dry-run and --fix are
 * both given, and whatever the sync throws; main.ts reports it. Part of the
 * on-demand bundle dist/sync-and-hooks.js (sync-and-hooks.ts).
 */
import { locateJournal } from "../journal/layout.js";
import { runSync, type SyncMode } from "../sync/run-sync.js";
import { countedFindings, formatReport, reportJson } from "../sync/report.js";
import { createProgress } from "../sync/progress.js";
import { ExitCode, InvalidFieldError, quoted, UsageError, type ExitCodeValue } from "../base/errors.js";
import { sessionOptionsFrom, type JournalArgs } from "./journal-options.js";

export interface SyncArgs extends JournalArgs {
  fix: boolean;
  "dry-run": boolean;
  restore: boolean;
  rebuild: boolean;
  prune: boolean;
  full: boolean;
  prefer?: string;
}

function preferOf(args: SyncArgs): "files" | "db" | undefined {
  if (args.prefer === undefined || args.prefer === "files" || args.prefer === "db") return args.prefer;
  throw new InvalidFieldError("prefer", `must be files or db (got ${quoted(args.prefer)})`);
}

function modeOf(args: SyncArgs): SyncMode {
  const fixing = args.fix || args.restore || args.rebuild;
  if (args["dry-run"] && args.fix) throw new UsageError("--dry-run and --fix exclude each other");
  if (args["dry-run"]) return "dry-run";
  return fixing ? "fix" : "report";
}

export async function syncAndReport(args: SyncArgs): Promise<ExitCodeValue> {
  const mode = modeOf(args);
  const session = sessionOptionsFrom(args, process.env);
  const layout = locateJournal({ base: args.base, env: process.env, cwd: process.cwd(), databaseOptional: true });
  const report = await runSync(layout, {
    mode,
    restore: args.restore,
    prune: args.prune,
    rebuild: args.rebuild,
    full: args.full,
    prefer: preferOf(args),
    timeoutMs: session.timeoutMs,
    staleMs: session.staleMs,
    noCommit: session.noCommit,
    checkCommitted: true,
    progress: createProgress({ json: args.json, stderrIsTty: process.stderr.isTTY === true }),
  });
  if (args.json) process.stdout.write(`${JSON.stringify(reportJson(report))}\n`);
  else process.stdout.write(`${formatReport(report).join("\n")}\n`);
  const outstanding = countedFindings(mode === "fix" ? report.remaining : report.findings);
  if (mode === "dry-run" && args.rebuild) return ExitCode.OutOfSync;
  return outstanding.length === 0 ? ExitCode.Ok : ExitCode.OutOfSync;
}
