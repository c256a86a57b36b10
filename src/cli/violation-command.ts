/**
 * The work of `lore record-violation RULE DESCRIPTION [SESSION_ID]` (declared
 * in commands/record-violation.ts): find the journal, record the violation
 * in one journal session (feedback/record-violation.ts), and report it as
 * ELF's record-violation.sh does, or as JSON (`--json`: `{ violation: {...},
 * count, level, ceoFile, ceoReview, pendingReview, commit }`).
 *
 *   const code = await runViolationCommand(args);
 *
 * Text, without ELF's colours: the VIOLATION RECORDED frame with the rule,
 * description and session, the 7-day count, the WARNING (3+), PROBATION (5+)
 * or CRITICAL (10+) box, at CRITICAL the escalation made (its file) or the
 * pending one that stands for it, and `Committed: <id>` when a commit was
 * made. A rule golden-rules.md does not name is recorded as `Unknown Rule`
 * with one warning line. Fewer than two arguments print the usage and the
 * file's rule headings (the first 10, as ELF) on stderr, exit 2; a bad RULE
 * or DESCRIPTION is InvalidFieldError (exit 2, nothing written); ELF exits 1
 * for both. A violation recorded whose git commit failed exits 5
 * (CommitPending: the next lore command commits the file; do not record it
 * again).
 */
import { ExitCode, type ExitCodeValue, messageFor } from "../base/errors.js";
import { warn } from "../base/warn.js";
import {
  recordViolation,
  type ViolationLevel,
  type ViolationResult,
  violationRequest,
} from "../feedback/record-violation.js";
import { readFileIfPresent } from "../io/durable-file.js";
import { goldenRuleListing } from "../journal/golden-rules-file.js";
import { journalAbsolutePath, type JournalLayout, locateJournal, NoJournalError } from "../journal/layout.js";
import { withJournalSession } from "../txn/journal-session.js";
import { type JournalArgs, sessionOptionsFrom } from "./journal-options.js";

export interface ViolationArgs extends JournalArgs {
  /** RULE DESCRIPTION [SESSION_ID], as given. */
  _: string[];
}

const FRAME = "═".repeat(63);
const BOX_WIDTH = 59;

const BANNERS: Record<Exclude<ViolationLevel, "none">, [string, string]> = {
  critical: ["⚠️  CRITICAL THRESHOLD  ⚠️", "10+ violations - CEO escalation required"],
  probation: ["⚠️  PROBATION MODE  ⚠️", "5+ violations - Increased scrutiny"],
  warning: ["⚠️  WARNING  ⚠️", "3+ violations - Review adherence"],
};

/** The columns `text` takes in a terminal: one a code point, so two for ⚠️ (a sign and its emoji selector), as it shows. */
function columnsOf(text: string): number {
  return [...text].length;
}

function centred(text: string): string {
  const left = Math.floor((BOX_WIDTH - columnsOf(text)) / 2);
  return `║${" ".repeat(left)}${text}${" ".repeat(BOX_WIDTH - left - columnsOf(text))}║`;
}

function banner(level: ViolationLevel): string[] {
  if (level === "none") return [];
  const [title, message] = BANNERS[level];
  return ["", `╔${"═".repeat(BOX_WIDTH)}╗`, centred(title), centred(message), `╚${"═".repeat(BOX_WIDTH)}╝`];
}

/** Usage and the rule headings of the journal's golden-rules.md (when a journal is found), as ELF prints them. */
function usage(args: ViolationArgs): string {
  let listing: string[] = [];
  try {
    const layout = locateJournal({ base: args.base, env: process.env, cwd: process.cwd() });
    listing = goldenRuleListing(readFileIfPresent(layout.goldenRulesFile) ?? "");
  } catch (error) {
    if (!(error instanceof NoJournalError)) throw error;
  }
  return [
    "lore record-violation: RULE and DESCRIPTION are required",
    'Usage: lore record-violation RULE "DESCRIPTION" [SESSION_ID]',
    "",
    "Example:",
    '  lore record-violation 1 "Started investigation without querying building"',
    "",
    "Available Golden Rules:",
    ...listing,
    "",
  ].join("\n");
}

function violationLines(result: ViolationResult, layout: JournalLayout): string[] {
  const { violation } = result;
  return [
    FRAME,
    "                   VIOLATION RECORDED",
    FRAME,
    "",
    `  Rule #${violation.ruleId}: ${violation.ruleName}`,
    `  Description: ${violation.description}`,
    `  Session: ${violation.sessionId}`,
    "",
    `  Recent violations (7 days): ${result.count}`,
    ...banner(result.level),
    ...(result.escalation
      ? ["", `  CEO escalation created: ${journalAbsolutePath(layout, result.escalation.file)}`]
      : []),
    ...(result.pendingReview
      ? [
          "",
          `  CEO escalation already pending (ceo_reviews #${result.pendingReview.id}, ` +
            `${result.pendingReview.createdAt} UTC): none made again`,
        ]
      : []),
    "",
    FRAME,
    ...(result.commit ? [`Committed: ${result.commit}`] : []),
  ];
}

export async function runViolationCommand(args: ViolationArgs): Promise<ExitCodeValue> {
  const now = new Date();
  if (args._.length < 2) {
    process.stderr.write(usage(args));
    return ExitCode.Invalid;
  }
  const request = violationRequest(args._, now);
  const options = sessionOptionsFrom(args, process.env);
  const layout = locateJournal({ base: args.base, env: process.env, cwd: process.cwd() });
  const result = await withJournalSession(layout, options, (session) => recordViolation(session, request, now));
  if (!result.ruleFound) {
    warn(
      `memory/golden-rules.md has no rule ${request.rule} in the format record-violation.sh reads ` +
        `(\`## ${request.rule}.\`): recorded as "${result.violation.ruleName}"`,
    );
  }
  if (args.json) {
    process.stdout.write(
      `${JSON.stringify({
        violation: result.violation,
        count: result.count,
        level: result.level,
        ceoFile: result.escalation?.file ?? null,
        ceoReview: result.escalation?.reviewId ?? null,
        pendingReview: result.pendingReview?.id ?? null,
        commit: result.commit,
      })}\n`,
    );
  } else {
    process.stdout.write(`${violationLines(result, layout).join("\n")}\n`);
  }
  if (result.commitError) {
    process.stderr.write(
      `lore record-violation: recorded, but the git commit failed: ${messageFor(result.commitError)}; ` +
        "the next lore command commits it (do not record it again)\n",
    );
    return ExitCode.CommitPending;
  }
  return ExitCode.Ok;
}
