/**
 * `lore query --accountability-banner`: ELF's box of the golden-rule
 * violations of the last 7 days (always 7, as query.py), drawn with
 * double-line characters, 73 columns wide.
 *
 *   accountabilityBanner(violationSummary(journal, 7, now))
 *
 * Status by the number of violations: 10 or more CRITICAL, 5 or more
 * PROBATION, 3 or more WARNING, else NORMAL. Then, when there are any, the
 * five most violated rules (name cut to 35 characters, and how many more)
 * and the three most recent (date cut to 16 characters, description to 45).
 * Like query.py's, the banner only states the status: escalations are made
 * by ELF's record-violation.sh, never here.
 */
import { clip } from "./clip.js";
import type { ViolationSummary } from "./query-selections.js";

const INNER_WIDTH = 71;

const STATUSES = [
  { at: 10, name: "CRITICAL", message: "CEO ESCALATION REQUIRED" },
  { at: 5, name: "PROBATION", message: "INCREASED SCRUTINY MODE" },
  { at: 3, name: "WARNING", message: "Violations are accumulating: review the golden rules" },
  { at: 0, name: "NORMAL", message: "Golden rules are being followed" },
] as const;

/** A line of the box; a text too long for it is clipped. */
function line(text = ""): string {
  return `║  ${clip(text, INNER_WIDTH - 7).padEnd(INNER_WIDTH - 2)}║`;
}

function centred(text: string): string {
  const left = Math.floor((INNER_WIDTH - text.length) / 2);
  return `║${" ".repeat(left)}${text}${" ".repeat(INNER_WIDTH - left - text.length)}║`;
}

export function accountabilityBanner(summary: ViolationSummary): string {
  const status = STATUSES.find((candidate) => summary.total >= candidate.at) ?? STATUSES[STATUSES.length - 1];
  const rule = "═".repeat(INNER_WIDTH);
  const lines = [
    `╔${rule}╗`,
    centred("GOLDEN RULE ACCOUNTABILITY TRACKING SYSTEM"),
    centred("Violation Report"),
    `╠${rule}╣`,
    line("Period: Last 7 days"),
    line(`Total Violations: ${summary.total}`),
    line(`Status: ${status.name}`),
    line(status.message),
  ];
  if (summary.by_rule.length > 0) {
    lines.push(`╠${rule}╣`, line("Most violated rules:"));
    for (const entry of summary.by_rule.slice(0, 5)) {
      lines.push(line(`  Rule #${entry.rule_id}: ${clip(entry.rule_name, 35)} (${entry.count}x)`));
    }
    if (summary.by_rule.length > 5) lines.push(line(`  ... and ${summary.by_rule.length - 5} more`));
    lines.push(line(), line("Most recent:"));
    for (const entry of summary.recent.slice(0, 3)) {
      lines.push(line(`  [${String(entry.date ?? "").slice(0, 16)}] Rule #${entry.rule_id}`));
      lines.push(line(`    ${clip(entry.description, 45)}`));
    }
  }
  lines.push(`╠${rule}╣`, line("3+ violations: WARNING, 5+: PROBATION, 10+: CEO escalation"), `╚${rule}╝`);
  return `${lines.join("\n")}\n`;
}
