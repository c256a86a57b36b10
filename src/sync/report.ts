/**
 * How a sync report is shown: `formatReport(report)` gives the text lines
 * (one per finding: type, where, what, and the action), `reportJson(report)`
 * the JSON object `--json` prints. Both name each finding's action the same
 * way, so `--dry-run` and `--fix` can be compared line for line.
 */
import type { Action, Finding } from "./match.js";
import { isInformational, type SyncReport } from "./run-sync.js";

export function describeAction(action: Action): string {
  switch (action.kind) {
    case "insert-row":
      return action.withLoreId || action.record.loreId === undefined
        ? "insert its row"
        : "insert a row for it (without the lore id another record holds)";
    case "update-row":
      return `update the row's ${action.columns.join(", ")} from the file`;
    case "archive-row":
      return "move the row to lore's archive (memory/index.db, table lore_archive)";
    case "restore-file":
      return "write its record back to the file";
    case "rewrite-record":
      return "rewrite its record in the file from the row";
    case "remove-record":
      return "remove its record from the file (git keeps it) and archive what the row held";
    case "keep":
      return "keep it (--prune archives it)";
    case "needs-a-person":
      return "leave it: fix the file by hand";
    case "remove-file":
      return "remove it";
    case "remove-lock":
      return "remove it";
    case "commit-file":
      return "commit it to git";
    case "leave-ignored":
      return "leave it uncommitted: git cannot commit it while the rule stands";
    case "taken-over":
      return "taken over";
    case "recover":
      return action.repair;
    case "migrate":
      return "migrate the schema (adding only)";
    case "rebuild":
      return "rebuild the database from the files";
    case "rebuild-search-index":
      return "rebuild the search index from the rows";
    case "record-feedback":
      return "record the changes in the journal as feedback events";
    case "apply-feedback":
      return "apply them to the database";
  }
}

function actionName(action: Action): string {
  return action.kind;
}

function where(finding: Finding): string {
  if (finding.path === undefined) return "";
  return finding.line === undefined ? finding.path : `${finding.path}:${finding.line}`;
}

export function findingLine(finding: Finding): string {
  return `${finding.type.padEnd(16)} ${where(finding)}: ${finding.detail} -> ${describeAction(finding.action)}`;
}

/** Findings that make the journal out of sync (all but the informational ones). */
export function countedFindings(findings: Finding[]): Finding[] {
  return findings.filter((finding) => !isInformational(finding));
}

export function formatReport(report: SyncReport): string[] {
  const lines: string[] = [];
  const counted = countedFindings(report.findings);
  if (report.rebuild) {
    lines.push(
      `Rebuilt memory/index.db from the files: ${report.rebuild.records} records` +
        (report.rebuild.quarantine ? `; the old database is in ${report.rebuild.quarantine}` : "") +
        (report.rebuild.oldDatabaseError ? ` (its data could not be read: ${report.rebuild.oldDatabaseError})` : ""),
    );
  }
  if (report.rebuildPlanned)
    lines.push("--rebuild would build memory/index.db anew from the files (--dry-run: nothing done).");
  for (const finding of report.findings) lines.push(findingLine(finding));
  const scope = `${report.files} files, ${report.read} read, ${report.rows} rows compared`;
  if (report.mode === "fix") {
    const remaining = countedFindings(report.remaining);
    lines.push(`Fixed ${counted.length - remaining.length} of ${counted.length} findings (${scope}).`);
    if (report.restored.length > 0)
      lines.push(`Restored ${report.restored.length} file(s)${report.commit ? `, committed ${report.commit}` : ""}.`);
    if (report.commitError) lines.push(`The restored files are not committed: ${report.commitError}`);
    if (report.fileCommit) lines.push(`Committed the files git had not, in ${report.fileCommit}.`);
    for (const finding of remaining) lines.push(`still: ${findingLine(finding)}`);
  } else if (counted.length === 0 && !report.rebuildPlanned) {
    lines.push(`In sync (${scope}).`);
  } else {
    lines.push(
      `${counted.length} finding(s) (${scope}); ` +
        (report.mode === "dry-run"
          ? "`lore sync --fix` would take the actions above."
          : "`lore sync --dry-run` shows the plan, `--fix` applies it."),
    );
  }
  return lines;
}

function findingJson(finding: Finding): Record<string, unknown> {
  return {
    type: finding.type,
    path: finding.path ?? null,
    line: finding.line ?? null,
    row: finding.row ?? null,
    detail: finding.detail,
    action: actionName(finding.action),
    actionText: describeAction(finding.action),
    ...(finding.action.kind === "update-row" ? { columns: finding.action.columns } : {}),
  };
}

export function reportJson(report: SyncReport): Record<string, unknown> {
  const out = report.mode === "fix" ? countedFindings(report.remaining) : countedFindings(report.findings);
  return {
    journal: report.layout.base,
    mode: report.mode,
    inSync: out.length === 0 && !report.rebuildPlanned,
    files: report.files,
    read: report.read,
    rows: report.rows,
    findings: report.findings.map(findingJson),
    remaining: report.mode === "fix" ? report.remaining.map(findingJson) : null,
    rebuild: report.rebuild ?? (report.rebuildPlanned ? "planned" : null),
    restored: report.restored,
    commit: report.commit ?? null,
    fileCommit: report.fileCommit ?? null,
  };
}
