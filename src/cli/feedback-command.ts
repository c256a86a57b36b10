/**
 * What `lore validate` and `lore violate` share: find the journal, record the
 * verdict on each heuristic named in one journal session
 * (feedback/record-feedback.ts), and report each heuristic's new standing,
 * as text or as JSON (`--json`: `{ verdict, heuristics: [...], events: [ids of
 * the events written], commit }`).
 * An id that names no heuristic exits 2, naming it, with nothing written; a
 * verdict recorded whose git commit failed exits 5 (CommitPending: the next
 * lore command commits it; do not record it again). `feedbackJson` and
 * `standingJson` make the JSON, for `lore mcp` too.
 */
import { ExitCode, type ExitCodeValue, messageFor } from "../base/errors.js";
import { warn } from "../base/warn.js";
import type { HeuristicStanding } from "../db/feedback-rows.js";
import {
  type FeedbackResult,
  type FeedbackVerdict,
  feedbackRequest,
  recordFeedback,
} from "../feedback/record-feedback.js";
import { locateJournal } from "../journal/layout.js";
import { withJournalSession } from "../txn/journal-session.js";
import { type JournalArgs, sessionOptionsFrom } from "./journal-options.js";

export interface FeedbackArgs extends JournalArgs {
  /** The heuristics' ids, as given. */
  _: string[];
}

/** A heuristic's standing as `--json` shows it. */
export function standingJson(row: HeuristicStanding): Record<string, unknown> {
  return {
    id: row.id,
    loreId: row.key.loreId,
    domain: row.key.domain,
    rule: row.key.rule,
    confidence: row.confidence,
    timesValidated: row.timesValidated,
    timesViolated: row.timesViolated,
    isGolden: row.isGolden,
  };
}

/** A verdict recorded, as `--json` shows it (and `lore mcp`'s validate and violate). */
export function feedbackJson(verdict: FeedbackVerdict, result: FeedbackResult): Record<string, unknown> {
  return {
    verdict,
    heuristics: result.heuristics.map(standingJson),
    events: result.events.map((event) => event.id),
    commit: result.commit,
  };
}

function describeStanding(row: HeuristicStanding, verdict: FeedbackVerdict): string {
  return (
    `H-${row.id} ${verdict}: [${row.key.domain}] ${row.key.rule} ` +
    `(confidence ${Number(row.confidence.toFixed(4))}, validated ${row.timesValidated}x, violated ${row.timesViolated}x` +
    `${row.isGolden ? ", golden" : ""})`
  );
}

export async function runFeedbackCommand(args: FeedbackArgs, verdict: FeedbackVerdict): Promise<ExitCodeValue> {
  const now = new Date();
  const request = feedbackRequest(verdict, args._);
  const options = sessionOptionsFrom(args, process.env);
  const layout = locateJournal({ base: args.base, env: process.env, cwd: process.cwd() });
  const result = await withJournalSession(layout, options, async (session) => {
    if (!session.repo && !options.noCommit) {
      warn(`${layout.base} is not inside a git work tree: recorded without a commit (--no-commit silences this)`);
    }
    return recordFeedback(session, request, now);
  });
  if (args.json) {
    process.stdout.write(`${JSON.stringify(feedbackJson(verdict, result))}\n`);
  } else {
    process.stdout.write(
      `${[...result.heuristics.map((row) => describeStanding(row, verdict)), ...(result.commit ? [`Committed: ${result.commit}`] : [])].join("\n")}\n`,
    );
  }
  if (result.commitError) {
    process.stderr.write(
      `lore ${verdict === "validated" ? "validate" : "violate"}: recorded, but the git commit failed: ` +
        `${messageFor(result.commitError)}; the next lore command commits it (do not record it again)\n`,
    );
    return ExitCode.CommitPending;
  }
  return ExitCode.Ok;
}
